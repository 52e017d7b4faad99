"""The conversation in Debian's Chromium, as learners use it: with htmx, and without
JavaScript; and axe-core on a long conversation."""

import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from stoa.conversation.models import Comment, Like
from stoa.courses.models import TeamRole
from stoa.testing import make_comment, step_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def comment_by(page: Page, name: str, text: str):
    """The comment by `name` that says `text`, found as a person would: an article."""
    return page.get_by_role("article", name=name).filter(has_text=text)


@pytest.fixture
def cohort(course, enrolled):
    """The course, with both learners on it."""
    return course


def test_a_learner_posts_replies_likes_filters_shows_more_edits_and_deletes(
    live_server, sign_in, page: Page, cohort, learner, other_learner
):
    for number in range(30):
        make_comment(
            other_learner,
            cohort,
            f"Robin's comment number {number}",
            ago=datetime.timedelta(minutes=60 - number),
        )
    sign_in(page, learner)
    page.goto(live_server.url + step_of(cohort, 1, 2).get_absolute_url())
    conversation = page.get_by_role("region", name="Comments")

    # Post
    conversation.get_by_text("Add a comment").click()
    conversation.get_by_label("Your comment").fill("The axis starts at **40**, not 0.")
    conversation.get_by_role("button", name="Post comment").click()
    expect(conversation.get_by_role("status")).to_have_text("Comment posted.")
    mine = comment_by(page, "Lee Learner", "The axis starts at 40")
    expect(mine.locator("strong")).to_have_text("40")
    expect(conversation.get_by_label("Your comment")).to_have_value("")
    assert Comment.objects.filter(author=learner).count() == 1

    # Like
    latest = comment_by(page, "Robin Other", "Robin's comment number 29")
    latest.get_by_role("button", name="Like").click()
    expect(latest.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(latest).to_contain_text("1 like")
    assert Like.objects.get().user == learner

    # Reply
    latest.get_by_role("link", name="Reply").click()
    conversation.get_by_label("Reply to Robin Other").fill("Good point, Robin.")
    conversation.get_by_role("button", name="Post reply").click()
    expect(conversation.get_by_role("status")).to_have_text("Reply posted.")
    thread = page.locator("li.thread").filter(has=latest)
    expect(thread.get_by_role("article", name="Lee Learner")).to_contain_text("Good point, Robin.")
    expect(thread).to_contain_text("1 reply")

    # Show more
    threads = page.locator("#comment-list > li.thread")
    expect(threads).to_have_count(26)  # a page of 25, and mine on top
    conversation.get_by_role("link", name="Show more comments").click()
    expect(threads).to_have_count(31)
    expect(comment_by(page, "Robin Other", "Robin's comment number 0")).to_be_visible()
    expect(conversation.get_by_role("link", name="Show more comments")).to_have_count(0)

    # Filter
    conversation.get_by_role("link", name="My comments").click()
    expect(page.get_by_role("link", name="My comments")).to_have_attribute("aria-current", "page")
    expect(threads).to_have_count(2)  # the comment and the reply, each on its own
    expect(page.get_by_text("Robin's comment number 29")).to_have_count(0)
    expect(page.get_by_text("In reply to")).to_be_visible()
    page.get_by_role("link", name="All", exact=True).click()

    # Edit
    mine = comment_by(page, "Lee Learner", "The axis starts at 40")
    mine.get_by_role("link", name="Edit").click()
    page.get_by_label("Edit your comment").fill("The axis starts at 40; the bars mislead.")
    page.get_by_role("button", name="Save changes").click()
    edited = comment_by(page, "Lee Learner", "the bars mislead")
    expect(edited).to_contain_text("edited")
    expect(page.get_by_role("status").filter(has_text="Comment updated.")).to_be_visible()

    # Delete
    edited.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete comment").click()
    expect(page.get_by_text("the bars mislead")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Comment deleted.")).to_be_visible()
    assert Comment.objects.get(author=learner, parent=None).deleted_at is not None


def test_the_conversation_works_without_javascript(
    live_server, sign_in, browser: Browser, cohort, learner, other_learner
):
    for number in range(27):
        make_comment(
            other_learner,
            cohort,
            f"Comment {number}",
            step=(1, 3),
            ago=datetime.timedelta(minutes=60 - number),
        )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, learner)
    page.goto(live_server.url + step_of(cohort, 1, 3).get_absolute_url())
    discussion = page.get_by_role("region", name="Join the discussion")

    discussion.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("alert")).to_contain_text("Write something before posting.")
    page.get_by_label("Your comment").fill("Typed without *JavaScript*")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Comment posted.")).to_be_visible()
    expect(comment_by(page, "Lee Learner", "Typed without JavaScript")).to_be_visible()

    robin = comment_by(page, "Robin Other", "Comment 26")
    robin.get_by_role("button", name="Like").click()
    robin = comment_by(page, "Robin Other", "Comment 26")
    expect(robin.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    robin.get_by_role("button", name="Follow Robin Other").click()
    expect(comment_by(page, "Robin Other", "Comment 25")).to_contain_text("Following")

    comment_by(page, "Robin Other", "Comment 26").get_by_role("link", name="Reply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment by Robin Other")
    page.get_by_label("Reply to Robin Other").fill("A reply, still no script")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Reply posted.")).to_be_visible()
    expect(comment_by(page, "Lee Learner", "A reply, still no script")).to_be_visible()

    page.goto(live_server.url + step_of(cohort, 1, 3).get_absolute_url())
    page.get_by_role("link", name="Show more comments").click()
    expect(page.get_by_text("Comment 0", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Back to the first comments")).to_be_visible()
    context.close()


@pytest.fixture
def long_conversation(cohort, learner, other_learner, educator):
    """60 comments on the article step 1.2, some with replies, some by the course team."""
    people = [other_learner, learner, educator]
    for number in range(60):
        author = people[number % 3]
        role = TeamRole.LEAD_EDUCATOR if author == educator else ""
        text = f"Comment {number}: *why* the axis matters, see [the data](https://example.org)."
        comment = make_comment(
            author, cohort, text, ago=datetime.timedelta(minutes=600 - number), team_role=role
        )
        for reply in range(number % 5):
            make_comment(people[(number + reply + 1) % 3], cohort, f"Reply {reply}", parent=comment)
    Comment.objects.filter(body__startswith="Comment 59").update(like_count=3)
    return cohort


def test_a_long_conversation_is_accessible(
    live_server, sign_in, page: Page, long_conversation, learner, check_page
):
    url = live_server.url + step_of(long_conversation, 1, 2).get_absolute_url()
    page.goto(url)
    check_page(page, "conversation-visitor")
    sign_in(page, learner)
    page.goto(url)
    check_page(page, "conversation-learner")
    page.get_by_role("link", name="Show more comments").click()
    expect(page.locator("#comment-list > li.thread")).to_have_count(50)
    page.get_by_text("Add a comment").click()
    check_page(page, "conversation-more")
    page.goto(url + "?filter=educators")
    check_page(page, "conversation-educators")
    thread = Comment.objects.filter(parent=None, reply_count=4).first()
    page.goto(f"{url}comments/{thread.pk}/")
    check_page(page, "conversation-thread")
    page.goto(live_server.url + step_of(long_conversation, 1, 3).get_absolute_url())
    check_page(page, "conversation-discussion")
