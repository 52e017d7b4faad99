"""Pinning: the team pins one comment per step and run to the top of its conversation, with
a label; pinning another unpins the first; who may."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stoa.conversation.comments import services as conversation
from stoa.conversation.inbox import services
from stoa.conversation.models import Comment
from stoa.conversation.moderation import services as moderation
from stoa.courses.models import CourseTeamMember, TeamRole
from stoa.lib.refusals import NotAllowed
from stoa.testing import make_comment, make_user, signed_in, step_url

pytestmark = pytest.mark.django_db

LABEL = "Pinned by the course team"


@pytest.fixture
def comments(course, enrolled, learner, other_learner):
    """An older comment and a newer one on step 1.2."""
    older = make_comment(learner, course, "The older remark.", ago=timezone.timedelta(hours=2))
    newer = make_comment(other_learner, course, "The newer remark.")
    return older, newer


def pin_url(comment: Comment, action: str = "pin") -> str:
    return reverse(f"inbox:{action}", args=[comment.run.course.slug, comment.pk])


def test_a_pinned_comment_comes_first_with_its_label(course, comments, educator, learner):
    older, _ = comments
    services.pin_comment(user=educator, comment=older)
    page = signed_in(learner).get(step_url(course)).content.decode()
    assert page.count(LABEL) == 1
    assert page.index("The older remark.") < page.index("The newer remark.")
    assert page.index(LABEL) < page.index("The older remark.")


def test_one_pinned_comment_per_step_and_run(course, comments, educator):
    older, newer = comments
    services.pin_comment(user=educator, comment=older)
    services.pin_comment(user=educator, comment=newer)
    assert list(Comment.objects.filter(pinned_at__isnull=False)) == [newer]
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.filter(pk=older.pk).update(pinned_at=timezone.now())


def test_unpinning_puts_it_back_in_its_place(course, comments, educator, learner):
    older, _ = comments
    client = signed_in(educator)
    response = client.post(pin_url(older), {"next": step_url(course)})
    assert response.status_code == 302
    assert response["Location"] == f"{step_url(course)}#comment-{older.pk}"
    assert client.post(pin_url(older, "unpin")).status_code == 302
    page = signed_in(learner).get(step_url(course)).content.decode()
    assert LABEL not in page
    assert page.index("The newer remark.") < page.index("The older remark.")


def test_pin_buttons_show_to_those_who_may_pin(course, comments, educator, learner):
    older, _ = comments
    assert f'id="pin-{older.pk}"' in signed_in(educator).get(step_url(course)).content.decode()
    assert 'id="pin-' not in signed_in(learner).get(step_url(course)).content.decode()
    services.pin_comment(user=educator, comment=older)
    assert f'id="unpin-{older.pk}"' in signed_in(educator).get(step_url(course)).content.decode()


def test_who_may_pin(course, comments, learner, other_course_educator):
    older, _ = comments
    host = make_user("host@example.org")
    CourseTeamMember.objects.create(
        course=course, position=5, name="Host", role=TeamRole.HOST, user=host
    )
    assert Client().post(pin_url(older)).status_code == 302  # to sign in
    for outsider in (learner, host, other_course_educator):
        assert signed_in(outsider).post(pin_url(older)).status_code == 403
        with pytest.raises(NotAllowed):
            services.pin_comment(user=outsider, comment=older)
    assert signed_in(learner).get(pin_url(older)).status_code == 405
    assert not Comment.objects.filter(pinned_at__isnull=False).exists()


def test_replies_hidden_and_deleted_comments_are_not_pinned(course, comments, educator, learner):
    older, newer = comments
    reply = make_comment(learner, course, "A reply.", parent=newer)
    assert signed_in(educator).post(pin_url(reply)).status_code == 404
    services.pin_comment(user=educator, comment=older)
    moderation.hide_comment(moderator=educator, comment=older, reason="Off topic.")
    assert Comment.objects.get(pk=older.pk).pinned_at is None
    with pytest.raises(NotAllowed):
        services.pin_comment(user=educator, comment=Comment.objects.get(pk=older.pk))
    services.pin_comment(user=educator, comment=newer)
    conversation.delete_comment(comment=Comment.objects.get(pk=newer.pk), user=newer.author)
    assert not Comment.objects.filter(pinned_at__isnull=False).exists()


def test_a_pinned_comment_is_not_repeated_on_later_pages(course, enrolled, learner, educator):
    oldest = make_comment(learner, course, "The first remark.", ago=timezone.timedelta(days=1))
    for n in range(30):
        make_comment(learner, course, f"Remark {n}.")
    services.pin_comment(user=educator, comment=oldest)
    client = signed_in(learner)
    first = client.get(step_url(course)).content.decode()
    assert first.count("The first remark.") == 1 and LABEL in first
    later = reverse("comments:comments", args=[course.slug, 1, 2])
    cursor = first.split("after=")[1].split('"')[0].replace("&amp;", "&")
    rest = client.get(f"{later}?after={cursor}", headers={"HX-Request": "true"}).content.decode()
    assert "Remark 0." in rest and "The first remark." not in rest


def test_pinning_costs_the_step_page_no_query_when_the_comment_is_on_it(
    course, comments, educator, learner
):
    older, _ = comments
    client = signed_in(learner)
    client.get(step_url(course))  # the first visit records it

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as context:
            page = client.get(step_url(course)).content.decode()
        return len(context), page

    before, page = queries()
    assert LABEL not in page
    services.pin_comment(user=educator, comment=older)  # on the page: found by its query
    after, page = queries()
    assert LABEL in page and after == before


def test_the_pin_button_escapes_the_author_s_name(course, enrolled, educator):
    villain = make_user("v@example.org", name='<img src=x onerror="alert(1)">')
    make_comment(villain, course, "Hello.")
    page = signed_in(educator).get(step_url(course)).content.decode()
    assert "<img src=x" not in page
    assert "the comment by &lt;img src=x" in page
