"""The course team's inbox: which comments wait for the team (and which are questions), kept
on the comment with its step's count in the transaction of every write; the inbox page, its
order, filters and pages, replying in place and marking handled; who may; and `stoa inbox
backfill` for the threads written before the inbox."""

import datetime
import html
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.comments import services as conversation
from stoa.conversation.inbox import selectors as inbox
from stoa.conversation.inbox import services
from stoa.conversation.inbox.waiting import asks_a_question
from stoa.conversation.management.commands import inbox as inbox_command
from stoa.conversation.models import Comment, ModerationAction, WaitingCount
from stoa.conversation.moderation import services as moderation
from stoa.courses.models import Course, CourseTeamMember, TeamRole
from stoa.courses.selectors import current_run
from stoa.learning import services as learning
from stoa.lib.refusals import NotAllowed
from stoa.testing import (
    HTMX,
    expect_queries,
    make_comment,
    make_user,
    make_waiting_comments,
    signed_in,
    step_of,
)

pytestmark = pytest.mark.django_db


def inbox_url(course: Course, query: str = "") -> str:
    return reverse("inbox:inbox", args=[course.slug]) + query


def waiting_on(course: Course, week: int = 1, position: int = 2) -> int:
    row = WaitingCount.objects.filter(step=step_of(course, week, position)).first()
    return row.count if row else 0


def post(author, course, text="I think the axis starts at 40.", *, parent=None, step=(1, 2)):
    return conversation.post_comment(
        author=author,
        step=step_of(course, *step),
        run=course.runs.earliest("pk"),
        text=text,
        parent=parent,
    )


def make_member(course: Course, role: str, email: str):
    user = make_user(email, name=f"{role} person")
    CourseTeamMember.objects.create(
        course=course, position=5, name=user.display_name, role=role, user=user
    )
    return user


# --- The question rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, asks",
    [
        ("Why does the axis start at 40?", True),
        ("I read it twice. Is it per 100 people? Thanks", True),
        ("(is the axis cut off?)", True),
        ("Really?!", True),
        ("why does the axis start at 40", True),  # a question word, no mark
        ("What\u2019s the source", True),  # a typographic apostrophe
        ("How I read it: slowly.", True),  # the rule's known false positive
        ("What a chart!", False),  # a question word that exclaims
        ("I liked the chart.", False),
        ("The link is https://example.org/?q=1 for the data.", False),  # not a sentence's end
        ("> Why is this?\n\nI agree with the quote.", False),  # quoting a question
        ("Use `a ? b : c` in the sheet.", False),  # inline code
        ("```\nwhy?\n```\nNice code.", False),  # a code block
        ("", False),
    ],
)
def test_a_comment_is_a_question_when_it_asks_one(text, asks):
    assert asks_a_question(text) is asks


def test_posting_and_editing_set_whether_it_is_a_question(course, enrolled, learner):
    comment = post(learner, course, "Good chart.")
    assert not comment.is_question
    conversation.edit_comment(comment=comment, editor=learner, text="Good chart. Why 40?")
    comment.refresh_from_db()
    assert comment.is_question


# --- Waiting, kept on the comment ----------------------------------------------------------


def test_a_learner_s_comment_waits_until_the_team_replies(course, enrolled, learner, educator):
    comment = post(learner, course)
    assert comment.waiting and waiting_on(course) == 1
    post(learner, course, "And another thing.", parent=comment)  # the learner's own follow-up
    reply = Comment.objects.latest("pk")
    assert not reply.waiting
    comment.refresh_from_db()
    assert comment.waiting and waiting_on(course) == 1
    post(educator, course, "It does, on purpose.", parent=reply)  # a reply to a reply
    comment.refresh_from_db()
    assert not comment.waiting
    assert waiting_on(course) == 0  # in the reply's transaction: no recount anywhere
    post(educator, course, "And more.", parent=comment)  # twice is once
    assert waiting_on(course) == 0


def test_the_team_s_own_comments_do_not_wait(course, educator):
    assert not post(educator, course, "Welcome, everyone. Any questions?").waiting
    assert waiting_on(course) == 0


def test_marking_handled_takes_it_out_once(course, enrolled, learner, educator):
    comment = post(learner, course)
    assert services.mark_handled(user=educator, comment=comment)
    assert not services.mark_handled(user=educator, comment=comment)
    assert waiting_on(course) == 0
    assert not Comment.objects.get(pk=comment.pk).waiting


def test_only_those_who_reply_may_mark_handled(course, enrolled, learner, other_learner):
    comment = post(learner, course)
    host = make_member(course, TeamRole.HOST, "host@example.org")
    for user in (other_learner, host):
        with pytest.raises(NotAllowed):
            services.mark_handled(user=user, comment=comment)
    assert waiting_on(course) == 1


def test_deleting_or_hiding_takes_it_out_and_restoring_puts_it_back(
    course, enrolled, learner, other_learner, educator
):
    deleted, hidden = post(learner, course), post(other_learner, course, "Spam spam.")
    assert waiting_on(course) == 2
    conversation.delete_comment(comment=deleted, user=learner)
    assert waiting_on(course) == 1
    moderation.hide_comment(moderator=educator, comment=hidden, reason="Spam.")
    assert waiting_on(course) == 0
    moderation.restore_comment(moderator=educator, comment=hidden)
    assert waiting_on(course) == 1
    assert Comment.objects.get(pk=hidden.pk).waiting


def test_counts_are_per_step(course, enrolled, learner):
    post(learner, course, step=(1, 2))
    post(learner, course, "Second.", step=(1, 2))
    post(learner, course, "Third.", step=(1, 3))
    counts = inbox.waiting_counts(course.runs.get())
    assert [(count.step_number, count.count) for count in counts] == [("1.2", 2), ("1.3", 1)]


# --- The page ------------------------------------------------------------------------------


def test_the_inbox_lists_questions_first_then_likes_replies_and_age(course, learner, educator):
    old = make_comment(learner, course, "Old remark.", ago=datetime.timedelta(days=2))
    new = make_comment(learner, course, "New remark.")
    liked = make_comment(learner, course, "Liked remark.", like_count=3)
    replied = make_comment(learner, course, "Replied remark.", like_count=3, reply_count=2)
    question = make_comment(learner, course, "Why 40?", is_question=True)
    Comment.objects.update(waiting=True)
    chosen = inbox.inbox_filter(course, {})
    assert chosen is not None
    order = [item.pk for item in inbox.waiting_comments(chosen).items]
    assert order == [question.pk, replied.pk, liked.pk, old.pk, new.pk]


def test_the_inbox_page_shows_each_comment_with_its_step_badge_and_counts(
    course, enrolled, learner, educator
):
    post(learner, course, "Why does the axis start at 40?")
    post(learner, course, "Lovely week.", step=(1, 3))
    page = signed_in(educator).get(inbox_url(course)).content.decode()
    assert (
        "step 1.2: Step 1.2" in page and '<span class="badge badge--warn">Question</span>' in page
    )
    assert page.index("Why does the axis") < page.index("Lovely week.")
    assert "2 comments waiting in this run." in page
    assert 'aria-current="page">Inbox</a>' in page
    assert "Mark as handled" in page and "Post reply" in page


def test_filters_by_week_step_and_run(course, enrolled, learner, educator, second_run):
    post(learner, course, "Week one.", step=(1, 2))
    make_comment(learner, course, "Week two.", step=(2, 1), waiting=True)
    client = signed_in(educator)
    run = course.runs.get(pk=learner.enrolments.get().run_id)
    week_two = client.get(inbox_url(course, f"?run={run.pk}&week=2")).content.decode()
    assert "Week two." in week_two and "Week one." not in week_two
    step = client.get(inbox_url(course, f"?run={run.pk}&step=1.2")).content.decode()
    assert "Week one." in step and "Week two." not in step
    other = client.get(inbox_url(course, f"?run={second_run.pk}")).content.decode()
    assert "Week one." not in other and "No comments are waiting" in other


def test_the_inbox_opens_on_the_latest_started_run(course, second_run):
    assert current_run(course) == course.runs.order_by("-starts_on").first()


@pytest.mark.parametrize(
    "query",
    [
        "?run=abc",
        "?run=999999",
        "?run=99999999999999999999999",
        "?week=0",
        "?week=99",
        "?week=-1",
        "?week=%C2%B2",
        "?step=9.9",
        "?step=1",
        "?step=x.y",
        "?week=2&step=1.2",
    ],
)
def test_garbage_in_the_filters_is_not_found(course, educator, query):
    assert signed_in(educator).get(inbox_url(course, query)).status_code == 404


def test_another_course_s_run_is_not_found(course, educator, other_course_educator):
    other = Course.objects.get(slug="other-course").runs.get()
    assert signed_in(educator).get(inbox_url(course, f"?run={other.pk}")).status_code == 404


def test_who_may_open_the_inbox(course, learner, other_course_educator, educator, admin_user):
    url = inbox_url(course)
    assert Client().get(url).status_code == 302  # to sign in
    host = make_member(course, TeamRole.HOST, "host@example.org")
    for outsider in (learner, other_course_educator, host):
        assert signed_in(outsider).get(url).status_code == 403
    mentor = make_member(course, TeamRole.MENTOR, "mentor@example.org")
    for member in (educator, mentor, admin_user):
        assert signed_in(member).get(url).status_code == 200


def test_outsiders_cannot_reply_or_mark_handled(
    course, enrolled, learner, other_learner, other_course_educator
):
    comment = post(learner, course)
    for name in ("reply", "handled"):
        url = reverse(f"inbox:{name}", args=[course.slug, comment.pk])
        assert Client().post(url, {"body": "Hi"}).status_code == 302
        for outsider in (other_learner, other_course_educator):
            assert signed_in(outsider).post(url, {"body": "Hi"}).status_code == 403
        assert signed_in(other_learner).get(url).status_code == 405
    assert waiting_on(course) == 1 and Comment.objects.count() == 1


@pytest.mark.parametrize("count", [10, 1000])
def test_the_inbox_costs_the_same_with_10_or_1000_comments(
    course, learner, educator, django_assert_num_queries, count
):
    make_waiting_comments(learner, course, count)
    make_waiting_comments(learner, course, 3, step=(2, 1))
    # The session, the user and the workspace's own; then the comments, the counts and the
    # runs: eight, whatever the number of comments.
    response = expect_queries(signed_in(educator), django_assert_num_queries, inbox_url(course), 8)
    assert f"{count + 3} comments waiting" in response.content.decode()


# --- Pages -------------------------------------------------------------------------------


def inbox_key(comment: Comment) -> tuple:
    """A comment's place in the inbox's order (selectors.INBOX_ORDER), computed here."""
    return (
        not comment.is_question,
        -comment.like_count,
        -comment.reply_count,
        comment.created_at,
        comment.pk,
    )


def make_tied_comments(learner, course, count: int) -> list[Comment]:
    """count waiting comments whose keys tie in every way the order can: questions and not,
    likes and replies from a few values (0 among them), and moments shared by eight at a
    time, so only the id tells them apart. Returned in the inbox's order."""
    comments = make_waiting_comments(learner, course, count)
    moment = timezone.now().replace(microsecond=123456)
    for n, comment in enumerate(comments):
        comment.is_question = n % 5 == 0
        comment.like_count = (0, 0, 2, 7)[n % 4]
        comment.reply_count = (0, 1)[n % 3 == 0]
        comment.created_at = moment - datetime.timedelta(minutes=n // 8)
    Comment.objects.bulk_update(
        comments, ["is_question", "like_count", "reply_count", "created_at"]
    )
    return sorted(comments, key=inbox_key)


def test_pages_follow_one_another_without_skipping_or_repeating(course, learner):
    expected = [comment.pk for comment in make_tied_comments(learner, course, 60)]
    chosen = inbox.inbox_filter(course, {})
    assert chosen is not None
    seen, after, pages = [], None, 0
    while True:
        page = inbox.waiting_comments(chosen, after=after, size=4)
        seen += [item.pk for item in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        after = inbox.InboxCursor.parse(str(page.next_cursor))  # through the URL's form
        assert after == page.next_cursor
    assert seen == expected and pages == 15


def test_the_next_page_link_continues_where_the_page_ended(course, learner, educator):
    comments = make_tied_comments(learner, course, inbox.PAGE_SIZE + 30)
    last, first = comments[inbox.PAGE_SIZE - 1], comments[inbox.PAGE_SIZE]
    assert inbox_key(last)[:3] == inbox_key(first)[:3]  # the pages split a tie in likes
    client = signed_in(educator)
    page = client.get(inbox_url(course)).content.decode()
    assert 'rel="next">Next page</a>' in page and "First page" not in page
    next_url = re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', page)
    assert next_url
    second = client.get(inbox_url(course, html.unescape(next_url[1]))).content.decode()
    listed = [int(pk) for pk in re.findall(r'id="inbox-item-([0-9]+)"', page + second)]
    assert listed == [comment.pk for comment in comments]
    assert "Next page" not in second and "First page</a>" in second


def test_the_next_page_keeps_the_step_chosen(course, learner, educator):
    make_waiting_comments(learner, course, inbox.PAGE_SIZE + 1, step=(1, 3))
    make_waiting_comments(learner, course, 5, step=(1, 2))
    client = signed_in(educator)
    run = course.runs.earliest("pk")
    page = client.get(inbox_url(course, f"?run={run.pk}&step=1.3")).content.decode()
    next_url = html.unescape(re.search(r'href="(\?[^"]*)" rel="next"', page)[1])
    assert f"run={run.pk}&step=1.3&after=" in next_url
    second = client.get(inbox_url(course, next_url)).content.decode()
    assert second.count('id="inbox-item-') == 1


def test_page_two_costs_what_page_one_costs(course, learner, educator, django_assert_num_queries):
    make_tied_comments(learner, course, 3 * inbox.PAGE_SIZE)
    client = signed_in(educator)
    first = expect_queries(client, django_assert_num_queries, inbox_url(course), 8)
    next_url = re.search(r'href="(\?[^"]*)" rel="next"', first.content.decode())
    assert next_url
    second = expect_queries(
        client, django_assert_num_queries, inbox_url(course, html.unescape(next_url[1])), 8
    )
    assert second.content.decode().count('id="inbox-item-') == inbox.PAGE_SIZE


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "1.0.0.1",  # a key missing
        "2.0.0.1767225600000000.1",  # a question is 0 or 1
        "0.-1.0.1767225600000000.1",
        "0.0.0.1767225600000000.1.2",
        "0.0.0.9999999999999999999.1",  # past 10**18
        "0.0.0.999999999999999999.1",  # no date: after the year 9999
        "0.0.0.1767225600000000.%C2%B2",
    ],
)
def test_a_damaged_page_address_is_a_bad_request(course, learner, educator, after):
    make_waiting_comments(learner, course, 3)
    response = signed_in(educator).get(inbox_url(course, f"?after={after}"))
    assert response.status_code == 400


def test_a_page_after_the_last_waiting_comment_says_so(course, learner, educator):
    (comment,) = make_waiting_comments(learner, course, 1)
    after = inbox.InboxCursor(False, 0, 0, comment.created_at, comment.pk)
    page = signed_in(educator).get(inbox_url(course, f"?after={after}")).content.decode()
    assert "No more comments are waiting here." in page and "Back to the first page" in page


# --- Replying and marking handled ----------------------------------------------------------


def test_replying_without_javascript_posts_and_comes_back(course, enrolled, learner, educator):
    comment = post(learner, course, "Why 40?")
    url = reverse("inbox:reply", args=[course.slug, comment.pk])
    back = inbox_url(course, "?week=1")
    client = signed_in(educator)
    response = client.post(url, {"body": "On purpose.", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    reply = Comment.objects.get(parent=comment)
    assert reply.author == educator and reply.team_role == TeamRole.LEAD_EDUCATOR
    assert not Comment.objects.get(pk=comment.pk).waiting and waiting_on(course) == 0
    # The inbox says so, with the way to the thread the comment left the inbox for.
    thread = reverse("comments:comment", args=[course.slug, 1, 2, comment.pk])
    assert f'Reply posted. <a href="{thread}">See the thread</a>' in client.get(back).text


def test_replying_with_htmx_swaps_the_item_for_a_status(course, enrolled, learner, educator):
    comment = post(learner, course, "Why 40?")
    url = reverse("inbox:reply", args=[course.slug, comment.pk])
    response = signed_in(educator).post(url, {"body": "On purpose."}, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="inbox-item-{comment.pk}"' in page and 'role="status">Reply posted.' in page
    assert waiting_on(course) == 0


def test_an_empty_reply_says_why_in_place_or_on_a_page(course, enrolled, learner, educator):
    comment = post(learner, course)
    url = reverse("inbox:reply", args=[course.slug, comment.pk])
    client = signed_in(educator)
    plain = client.post(url, {"body": "  "})
    assert plain.status_code == 400 and "Write something before posting." in plain.content.decode()
    swapped = client.post(url, {"body": ""}, headers=HTMX)
    assert swapped.status_code == 200 and "There is a problem" in swapped.content.decode()
    assert "<html" not in swapped.content.decode()
    assert waiting_on(course) == 1


def test_marking_handled_from_the_page(course, enrolled, learner, educator):
    first, second = post(learner, course), post(learner, course, "Second.")
    client = signed_in(educator)
    url = reverse("inbox:handled", args=[course.slug, first.pk])
    assert client.post(url).status_code == 302
    url = reverse("inbox:handled", args=[course.slug, second.pk])
    assert 'role="status">Marked as handled.' in client.post(url, headers=HTMX).content.decode()
    assert waiting_on(course) == 0
    assert "No comments are waiting" in client.get(inbox_url(course)).content.decode()


def test_a_reply_to_a_comment_of_another_course_is_not_found(
    course, educator, other_course_educator
):
    other = Course.objects.get(slug="other-course")
    outsider = make_user("x@example.org")
    learning.enrol(user=outsider, course=other)
    comment = post(outsider, other, "Elsewhere?")
    url = reverse("inbox:reply", args=[course.slug, comment.pk])
    assert signed_in(educator).post(url, {"body": "Hi"}).status_code == 404


def test_the_inbox_never_shows_a_learner_s_markup_unescaped(course, enrolled, educator):
    villain = make_user("v@example.org", name='<img src=x onerror="alert(1)">')
    learning.enrol(user=villain, course=course)
    post(villain, course, "<script>alert(1)</script> Why?")
    page = signed_in(educator).get(inbox_url(course)).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page


# --- Backfilling the threads written before the inbox --------------------------------------

BEFORE_INBOX = datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)


def written_before_inbox(comment: Comment) -> Comment:
    Comment.objects.filter(pk=comment.pk).update(created_at=BEFORE_INBOX)
    return comment


def backfill(*args: str) -> str:
    out = io.StringIO()
    call_command("inbox", "backfill", *args, "--before", "2025-06-01", stdout=out, stderr=out)
    return out.getvalue()


def waiting_ids() -> set[int]:
    return set(Comment.objects.filter(waiting=True).values_list("pk", flat=True))


@pytest.fixture
def old_threads(course, learner, other_learner, educator):
    """What a course held before the inbox: threads to put in it, and others to leave."""
    old = written_before_inbox
    threads = {
        "question": old(make_comment(learner, course, "Why does the axis start at 40?")),
        "remark": old(make_comment(other_learner, course, "Lovely chart.", step=(1, 3))),
        "learners only": old(make_comment(learner, course, "A thought.")),
        "answer deleted": old(make_comment(learner, course, "Another thought.")),
        "answered": old(make_comment(learner, course, "Is 40 right?")),
        "by the team": old(make_comment(educator, course, "Welcome!", team_role="educator")),
        "hidden": old(make_comment(learner, course, "Spam.", hidden_at=BEFORE_INBOX)),
        "deleted": old(make_comment(learner, course, "Oops.", deleted_at=BEFORE_INBOX)),
        "restored since": old(make_comment(learner, course, "Back again.")),
        "handled since": make_comment(learner, course, "Handled, after the inbox."),
    }
    make_comment(other_learner, course, "Me too.", parent=threads["learners only"])
    make_comment(
        educator,
        course,
        "See 1.3.",
        parent=threads["answer deleted"],
        team_role="educator",
        deleted_at=BEFORE_INBOX,
    )
    make_comment(educator, course, "Yes.", parent=threads["answered"], team_role="educator")
    ModerationAction.objects.create(
        comment=threads["restored since"],
        moderator=educator,
        kind=ModerationAction.Kind.RESTORE,
        created_at=timezone.now(),
    )
    Comment.objects.filter(pk=threads["handled since"].pk).update(
        created_at=datetime.datetime(2025, 7, 1, tzinfo=datetime.UTC)
    )
    return threads


def test_backfill_puts_the_unanswered_threads_from_before_the_inbox_in_it(
    course, old_threads, educator
):
    output = backfill()
    expected = ("question", "remark", "learners only", "answer deleted")
    assert waiting_ids() == {old_threads[name].pk for name in expected}
    assert "Put 4 comments in the team's inbox." in output and "4/4" in output
    assert waiting_on(course, 1, 2) == 3 and waiting_on(course, 1, 3) == 1
    questions = Comment.objects.filter(is_question=True).values_list("pk", flat=True)
    assert list(questions) == [old_threads["question"].pk]
    page = signed_in(educator).get(inbox_url(course)).content.decode()
    assert "4 comments waiting in this run." in page
    assert page.index("Why does the axis") < page.index("Lovely chart.")


def test_backfill_twice_changes_nothing(course, old_threads):
    backfill()
    state = list(Comment.objects.order_by("pk").values_list("pk", "waiting", "is_question"))
    counts = list(WaitingCount.objects.order_by("pk").values_list("step_id", "count"))
    assert "Put 0 comments in the team's inbox." in backfill()
    assert list(Comment.objects.order_by("pk").values_list("pk", "waiting", "is_question")) == (
        state
    )
    assert list(WaitingCount.objects.order_by("pk").values_list("step_id", "count")) == counts


def test_backfill_goes_in_batches_and_counts_with_what_already_waits(
    course, enrolled, learner, monkeypatch
):
    monkeypatch.setattr(inbox_command, "BATCH", 2)
    post(learner, course, "Posted with the inbox.")  # already waiting, counted
    old = [written_before_inbox(make_comment(learner, course, f"Old {n}.")) for n in range(5)]
    assert "Put 5 comments" in backfill()
    assert waiting_ids() >= {comment.pk for comment in old}
    assert waiting_on(course) == 6


def test_backfill_of_one_course_leaves_the_others(course, learner, other_course_educator):
    other = Course.objects.get(slug="other-course")
    outsider = make_user("x@example.org")
    elsewhere = written_before_inbox(make_comment(outsider, other, "Elsewhere."))
    here = written_before_inbox(make_comment(learner, course, "Here."))
    assert "Put 1 comment of reading-data in" in backfill(course.slug)
    assert waiting_ids() == {here.pk}
    backfill()
    assert waiting_ids() == {here.pk, elsewhere.pk}


@pytest.mark.parametrize(
    "args, refusal",
    [
        (["--before", "2999-01-01"], "after the inbox arrived here"),
        (["--before", "last week"], "is not a date"),
        (["--before", "2025-02-30"], "is not a date"),
        (["nope", "--before", "2025-06-01"], "No course with slug 'nope'"),
    ],
)
def test_backfill_refuses_what_it_cannot_do_safely(course, old_threads, args, refusal):
    with pytest.raises(CommandError, match=refusal):
        call_command("inbox", "backfill", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not waiting_ids()


def test_backfill_needs_the_date_the_inbox_arrived(db):
    with pytest.raises(CommandError, match="--before"):
        call_command("inbox", "backfill", stdout=io.StringIO(), stderr=io.StringIO())
