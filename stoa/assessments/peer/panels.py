"""Peer review's two sections: below its step (settings.STOA_STEP_PANELS, through
stoa.assessments.panels) and in the course's moderation queue (settings.STOA_MODERATION_PANELS,
so that the conversation imports nothing of assessments)."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.urls import reverse

from stoa.assessments.peer import selectors
from stoa.assessments.peer.selectors import Answer
from stoa.assessments.peer.services import MAX_ANSWER_CHARS, MAX_CHARS, RESERVATION
from stoa.courses.models import Course
from stoa.learning.access import StepAccess, StepPanel
from stoa.lib.keyset import cursor_from


def step_urls(access: StepAccess) -> dict[str, str]:
    """The addresses the panel's forms post to, by name."""
    args = [access.course.slug, access.step.week.number, access.step.position]
    return {
        "work": reverse("peer:work", args=args),
        "start": reverse("peer:start", args=args),
        "step": access.step.get_absolute_url(),
    }


def peer_review_panel(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    """The learner's work, the work they review and the reviews of theirs; for the course
    team, every submission with its reviews; for everyone else, an invitation to join. Only
    called for a step that is open to the person (stoa.assessments.panels)."""
    try:
        settings = access.step.peer_review
    except ObjectDoesNotExist:
        return None
    context: dict = {
        "settings": settings,
        "urls": step_urls(access),
        "max_chars": MAX_CHARS,
        "max_answer_chars": MAX_ANSWER_CHARS,
        "blank_answers": [Answer(question, "") for question in settings.rubric],
        "reservation_minutes": int(RESERVATION.total_seconds() // 60),
    }
    if access.is_team:
        cursor = cursor_from(request.GET, "before")
        context["team"] = selectors.team_peer_review(
            step=access.step, settings=settings, cursor=cursor
        )
    elif request.user.is_authenticated:
        context["peer"] = selectors.learner_peer_review(
            step=access.step,
            settings=settings,
            user=request.user,
            run=access.run,
            enrolled=access.enrolment is not None,
        )
    return StepPanel("assessments/peer/panel.html", context)


def moderation_panel(request: HttpRequest, course: Course) -> StepPanel | None:
    """Reported peer-review work and reviews, and the hidden ones, on the moderation page of
    a course with peer review. The conversation's queue view has checked that the person
    moderates this course."""
    moderation = selectors.peer_moderation(course=course)
    if moderation is None:
        return None
    return StepPanel(
        "assessments/peer/moderation.html", {"course": course, "moderation": moderation}
    )
