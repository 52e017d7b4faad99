"""A run whose conversation has closed (CourseRun.conversation_closes_on): read-only for
learners and team alike, and still readable by both."""

import datetime

import pytest
from django.utils import timezone

from stoa.conversation import rules
from stoa.conversation.comments import services
from stoa.conversation.models import Comment
from stoa.lib.refusals import NotAllowed
from stoa.testing import make_comment, step_of, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(course):
    """The course's run, its conversation closed yesterday."""
    run = course.runs.get()
    run.conversation_closes_on = timezone.localdate() - datetime.timedelta(days=1)
    run.save()
    return run


def test_the_conversation_is_open_on_its_closing_day_and_read_only_after(course):
    run = course.runs.get()
    today = timezone.localdate()
    run.conversation_closes_on = today
    assert not rules.is_read_only(run, today=today)
    assert rules.is_read_only(run, today=today + datetime.timedelta(days=1))
    run.conversation_closes_on = None
    assert not rules.is_read_only(run, today=today + datetime.timedelta(days=1000))


def test_a_learner_cannot_post_reply_or_like_once_it_closed(
    course, enrolled, learner, other_learner, closed
):
    comment = make_comment(other_learner, course, run=closed)
    with pytest.raises(NotAllowed, match="closed on"):
        services.post_comment(
            author=learner, step=step_of(course, 1, 2), run=closed, text="Late thought."
        )
    with pytest.raises(NotAllowed, match="no longer post, reply or like"):
        services.post_comment(
            author=learner, step=comment.step, run=closed, text="Agreed.", parent=comment
        )
    with pytest.raises(NotAllowed):
        services.toggle_like(user=learner, comment=comment)
    assert Comment.objects.count() == 1


def test_the_team_cannot_post_either(course, educator, closed):
    with pytest.raises(NotAllowed, match="closed on"):
        services.post_comment(
            author=educator, step=step_of(course, 1, 2), run=closed, text="Welcome!"
        )


def test_posting_works_until_the_closing_day(course, enrolled, learner):
    run = course.runs.get()
    run.conversation_closes_on = timezone.localdate()
    run.save()
    comment = services.post_comment(
        author=learner, step=step_of(course, 1, 2), run=run, text="Just in time."
    )
    assert comment.pk


def test_learners_and_team_still_read_a_closed_conversation(
    client, course, enrolled, learner, educator, other_learner, closed
):
    make_comment(other_learner, course, "Still worth reading.", run=closed)
    for reader in (learner, educator):
        client.force_login(reader)
        page = client.get(step_url(course)).content.decode()
        assert "Still worth reading." in page
        assert "Post comment" not in page
