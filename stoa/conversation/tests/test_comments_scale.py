"""The conversation at scale: keyset pages that neither repeat nor skip, and a step page whose
number of queries does not grow with the number of comments on the step."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.comments import selectors
from stoa.conversation.comments.selectors import Filter
from stoa.conversation.models import Bookmark, Comment, Like
from stoa.conversation.rules import Viewer
from stoa.courses.models import Course, TeamRole
from stoa.learning import services as learning
from stoa.lib.keyset import Cursor
from stoa.lib.markdown import render_comment_markdown
from stoa.testing import HTMX, expect_queries, make_follow, step_of

pytestmark = pytest.mark.django_db

BODY = "A comment with *some* emphasis and [a link](https://example.org)."
BODY_HTML = render_comment_markdown(BODY)
REPLIED = 5  # the newest comments have replies, more than the step page shows
REPLIES_EACH = 4


def fill(
    course: Course, *, count: int, authors: list[tuple[User, str]], same_time: bool = False
) -> None:
    """`count` comments on step 1.2, by the authors in turn, the newest few with replies (and
    the most likes). With
    same_time, every comment has the same created_at. Rows go in with one executemany, which
    takes seconds for 100,000 where bulk_create's many statements take half a minute."""
    run, step = course.runs.get(), step_of(course, 1, 2)
    now = timezone.now()

    def at(seconds_ago: int) -> object:
        moment = now if same_time else now - datetime.timedelta(seconds=seconds_ago)
        return connection.ops.adapt_datetimefield_value(moment)

    def row(number: int, seconds_ago: int, parent_id: int | None = None) -> tuple:
        author, role = authors[number % len(authors)]
        return (run.pk, step.pk, author.pk, parent_id, BODY, BODY_HTML, role, at(seconds_ago))

    table = Comment._meta.db_table
    columns = "run_id, step_id, author_id, parent_id, body, body_html, team_role, created_at"
    insert = (
        f"INSERT INTO {table} ({columns}, hidden_reason, like_count, reply_count, "
        "bookmark_count, submission_token) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', %s, %s, "
        "0, '')"
    )
    with connection.cursor() as cursor:
        cursor.executemany(insert, [(*row(n, count - n), n % 7, 0) for n in range(count)])
    newest = list(Comment.objects.order_by("-created_at", "-id")[:REPLIED])
    replies = [(*row(n, -n - 1, parent.pk), 0, 0) for parent in newest for n in range(REPLIES_EACH)]
    with connection.cursor() as cursor:
        cursor.executemany(insert, replies)
    # Liked most too, so that the most liked page has threads with replies as well.
    Comment.objects.filter(pk__in=[c.pk for c in newest]).update(
        reply_count=REPLIES_EACH, like_count=7
    )


@pytest.fixture
def authors(course, other_learner, educator):
    learning.enrol(user=other_learner, course=course)
    return [(other_learner, ""), (other_learner, ""), (educator, TeamRole.LEAD_EDUCATOR)]


def viewer_state(learner: User, other_learner: User) -> None:
    """The viewer liked, saved and follows something on the first page."""
    newest = list(Comment.objects.filter(parent=None).order_by("-created_at", "-id")[:3])
    now = timezone.now()
    Like.objects.bulk_create(Like(user=learner, comment=c, created_at=now) for c in newest)
    Bookmark.objects.create(user=learner, comment=newest[0], created_at=now)
    make_follow(learner, other_learner)


@pytest.mark.parametrize("count", [10, 100_000])
def test_the_step_page_runs_the_same_queries_with_10_and_100000_comments(
    client, course, learner, other_learner, authors, django_assert_num_queries, count
):
    fill(course, count=count, authors=authors)
    learning.enrol(user=learner, course=course)
    viewer_state(learner, other_learner)
    step_url = step_of(course, 1, 2).get_absolute_url()
    client.force_login(learner)
    client.get(step_url)  # the first visit records it; a return within minutes writes nothing
    # The step page's own: session, user, the course's version (its structure is held by the
    # process) with the enrolment and the step's completion (the header's unread count is kept
    # on the user). Then the conversation's:
    # comments, the first replies of those that have any, my likes, bookmarks and follows.
    content = expect_queries(client, django_assert_num_queries, step_url, 3 + 5).content.decode()
    assert content.count('class="thread"') == min(count, selectors.PAGE_SIZE)
    assert ("Show more comments" in content) is (count > selectors.PAGE_SIZE)
    assert f"Show all {REPLIES_EACH} replies" in content
    assert 'aria-pressed="true">Like</button>' in content
    assert "badge--following" in content
    # The next page, as htmx asks for it: session, user, version with enrolment, then the same
    # five reads.
    cursor = Cursor.of_time(Comment.objects.filter(parent=None).order_by("-created_at")[2])
    more = f"{reverse('comments:comments', args=[course.slug, 1, 2])}?after={cursor}"
    expect_queries(client, django_assert_num_queries, more, 3 + 5, headers=HTMX)
    # The most liked.
    expect_queries(client, django_assert_num_queries, step_url + "?filter=liked", 3 + 5)
    # A flat list of comments and replies, each reply naming whom it answers: no query for
    # threads' replies, none per reply for its parent's author.
    educators = step_url + "?filter=educators"
    content = expect_queries(client, django_assert_num_queries, educators, 3 + 4).content.decode()
    assert "In reply to" in content
    client.logout()
    # A visitor: no session, no viewer state; the course's version and the run they would
    # join, then the comments and their first replies.
    expect_queries(client, django_assert_num_queries, step_url, 2 + 2)


def viewer_in(course: Course, user: User, **standing) -> Viewer:
    return Viewer(user, course_id=course.pk, run=course.runs.get(), **standing)


def page_through(viewer: Viewer, course: Course, chosen: str) -> list[int]:
    seen, cursor = [], None
    while True:
        page = selectors.conversation_page(
            step=step_of(course, 1, 2),
            viewer=viewer,
            chosen=chosen,
            cursor=cursor,
        )
        seen += [item.pk for item in page.items]
        if page.next_cursor is None:
            return seen
        cursor = Cursor.parse(str(page.next_cursor))  # as it travels in the URL


@pytest.mark.parametrize("same_time", [False, True])
@pytest.mark.parametrize("chosen", [Filter.ALL, Filter.LIKED, Filter.EDUCATORS])
def test_keyset_pages_neither_repeat_nor_skip_a_comment(
    course, authors, learner, same_time, chosen
):
    fill(course, count=80, authors=authors, same_time=same_time)
    viewer = viewer_in(course, learner, is_enrolled=True)
    expected = Comment.objects.filter(parent=None)
    if chosen == Filter.EDUCATORS:
        expected = Comment.objects.exclude(team_role="")
    seen = page_through(viewer, course, chosen)
    assert len(seen) == len(set(seen)) == expected.count()


def test_most_liked_pages_in_order_of_likes(course, authors, learner):
    fill(course, count=60, authors=authors)
    seen = page_through(viewer_in(course, learner), course, Filter.LIKED)
    likes = dict(Comment.objects.values_list("pk", "like_count"))
    assert [likes[pk] for pk in seen] == sorted((likes[pk] for pk in seen), reverse=True)


def test_a_page_of_50_threads_fetches_all_their_first_replies_in_one_query(
    course, authors, learner, django_assert_num_queries
):
    fill(course, count=50, authors=authors)
    step = step_of(course, 1, 2)
    viewer = viewer_in(course, learner)
    with django_assert_num_queries(2):  # the comments, then the first replies of all of them
        page = selectors.conversation_page(step=step, viewer=viewer, size=50)
    assert len(page.items) == 50
    replied = [item for item in page.items if item.replies]
    assert len(replied) == REPLIED
    assert all(len(item.replies) == selectors.REPLIES_SHOWN for item in replied)
    assert all(item.more_replies for item in replied)


def test_a_page_of_threads_without_replies_does_not_ask_for_replies(
    course, authors, learner, django_assert_num_queries
):
    fill(course, count=50, authors=authors)
    step = step_of(course, 1, 2)
    cursor = Cursor.of_time(Comment.objects.filter(parent=None).order_by("-created_at")[10])
    viewer = viewer_in(course, learner)
    with django_assert_num_queries(1):  # the comments, none of them with replies
        page = selectors.conversation_page(step=step, viewer=viewer, cursor=cursor)
    assert len(page.items) == selectors.PAGE_SIZE
    assert not any(item.replies or item.more_replies for item in page.items)


def test_a_bad_cursor_is_a_bad_request(client, course, authors):
    fill(course, count=30, authors=authors)
    url = step_of(course, 1, 2).get_absolute_url()
    for junk in (
        "nonsense",
        "1.",
        ".5",
        "-1.-1",
        "9" * 40 + ".1",
        "%C2%B2.1",
        "3" + "0" * 17 + ".1",
    ):
        response = client.get(f"{url}?after={junk}")
        assert response.status_code == 400, junk
        assert "address is damaged" in response.content.decode()
    assert client.get(f"{url}?after=").status_code == 200  # an empty one is the first page
