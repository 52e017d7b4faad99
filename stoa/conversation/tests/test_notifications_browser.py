import pytest
from playwright.sync_api import Page, expect

from stoa.conversation.models import Notification
from stoa.conversation.notifications import services as notifications
from stoa.testing import make_comment, step_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_reads_a_reply_in_their_activity(
    live_server, sign_in, page: Page, check_page, course, learner, other_learner, educator, enrolled
):
    mine = make_comment(learner, course, "Is a **median** better here?")
    reply = make_comment(
        other_learner, course, "Yes: the *mean* is pulled by outliers.", parent=mine
    )
    notifications.notify(
        recipient=learner, kind=Notification.Kind.REPLY, actor=other_learner, comment=reply
    )
    liked = notifications.notify(
        recipient=learner, kind=Notification.Kind.LIKE, actor=educator, comment=mine
    )
    notifications.mark_read(user=learner, notification_ids=[liked.pk])

    sign_in(page, learner)
    nav = page.get_by_role("navigation", name="Site")
    nav.get_by_role("link", name="Activity (1 unread)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    unread = page.locator(".notification--unread")
    expect(unread).to_have_count(1)
    expect(unread.get_by_role("link")).to_have_text("Robin Other replied to your comment")
    expect(unread).to_contain_text("the mean is pulled by outliers.")
    expect(page.get_by_role("link", name="Dr Ana Lima liked your comment")).to_be_visible()
    check_page(page, "notifications-activity")

    # Shown once as new, it is read: the header counts nothing, and it is not new again.
    expect(nav.get_by_role("link", name="Activity", exact=True)).to_be_visible()
    page.reload()
    expect(page.locator(".notification--unread")).to_have_count(0)

    page.goto(f"{live_server.url}/people/{other_learner.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Robin Other")
    expect(page.get_by_text("Yes: the mean is pulled by outliers.")).to_be_visible()
    check_page(page, "notifications-profile")
    page.get_by_role("button", name="Follow Robin Other").click()
    expect(page.get_by_text("You follow Robin Other")).to_have_count(2)
    expect(page.get_by_role("button", name="Unfollow Robin Other")).to_be_visible()


def test_a_learner_opts_into_the_digest_and_keeps_comments_private(
    live_server, sign_in, page: Page, check_page, learner
):
    sign_in(page, learner)
    page.goto(f"{live_server.url}/accounts/profile/")

    page.get_by_label("Email me a daily digest").check()
    page.get_by_label("Show my comments on my profile").uncheck()
    check_page(page, "notifications-settings")
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    learner.refresh_from_db()
    assert (learner.daily_digest, learner.show_comments_on_profile) == (True, False)
    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_text("Your comments are private: only you see this list.")).to_be_visible()


def test_a_learner_bookmarks_a_comment_finds_it_on_their_bookmarks_page_and_removes_it(
    live_server, sign_in, page: Page, check_page, course, learner, other_learner, enrolled
):
    make_comment(other_learner, course, "Always ask **what the baseline** was.")

    sign_in(page, learner)
    page.goto(f"{live_server.url}{step_of(course, 1, 2).get_absolute_url()}")
    page.get_by_role("button", name="Bookmark").click()
    expect(page.get_by_role("button", name="Bookmark")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Bookmarks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookmarks")
    expect(page.get_by_text("Always ask what the baseline was.")).to_be_visible()
    check_page(page, "bookmarks")

    page.get_by_role("link", name="Comment by Robin Other").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment by Robin Other")
    page.go_back()
    page.get_by_role("button", name="Remove the bookmark of the comment by Robin Other").click()
    expect(page.get_by_text("Removed from your bookmarks.")).to_be_visible()
    expect(page.get_by_text("No bookmarks yet.")).to_be_visible()
