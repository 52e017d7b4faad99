import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from stoa.courses.models import Course, Step, StepType, TranscriptCue
from stoa.courses.structure import CourseStructure
from stoa.learning import rendering, selectors, services
from stoa.learning.access import StepAccess, step_access, step_panels
from stoa.learning.extensions import progress_panels
from stoa.learning.models import Enrolment
from stoa.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest
from stoa.lib.markdown import render_step_markdown
from stoa.lib.transcripts import format_spoken_time
from stoa.lib.visitor_pages import cached_for_visitors

logger = logging.getLogger(__name__)


def _learner_access(
    request: HttpRequest, slug: str, week: int, position: int
) -> tuple[StepAccess, Enrolment]:
    """As step_access, for actions: only a learner on the course, on an open week; with their
    enrolment."""
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    if access.enrolment is None:
        raise PermissionDenied("Join this course to mark its steps complete.")
    if access.is_locked:
        raise PermissionDenied(f"This step opens on {access.opens_on:%-d %B %Y}.")
    return access, access.enrolment


@cached_for_visitors
def course(request: HttpRequest, slug: str) -> HttpResponse:
    structure, enrolment = selectors.course_and_enrolment(user=request.user, slug=slug)
    course = structure.course
    return render(
        request,
        "learning/course.html",
        {
            "course": course,
            "partners": structure.partners,
            "team": structure.team,
            "weeks": structure.weeks,
            "run": selectors.next_open_run(course=course),
            "enrolment": enrolment,
        },
    )


@login_required
@require_POST
def join(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    try:
        services.enrol(user=request.user, course=course)
    except services.NoOpenRun:
        messages.error(request, "This course has no run open for joining at the moment.")
        return redirect(course)
    messages.success(request, f"You have joined {course.title}.")
    return redirect("learning:continue", slug=course.slug)


@login_required
@require_POST
def leave(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    enrolment = selectors.enrolment_for(user=request.user, course=course)
    if enrolment is not None:
        services.leave(enrolment=enrolment)
        messages.success(
            request, f"You have left {course.title}. Your progress is kept if you rejoin."
        )
    return redirect(course)


@login_required
def continue_course(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    enrolment = selectors.enrolment_for(user=request.user, course=course)
    if enrolment is None:
        return redirect(course)
    step = selectors.continue_step(enrolment=enrolment)
    if step is None:
        return redirect("learning:todo", slug=slug)
    return redirect("learning:step", slug=slug, week=step.week.number, position=step.position)


# Steps whose panels (answers, the conversation) are their main content: shown before the
# step navigation rather than after it.
ANSWERED_TYPES = frozenset(
    {StepType.DISCUSSION, StepType.QUIZ, StepType.TEST, StepType.POLL, StepType.PEER_REVIEW}
)
# Steps that complete themselves when their work is done (every quiz question right, every
# test question answered, a vote, work submitted and reviews given): no "Mark as complete".
SELF_COMPLETED_TYPES = frozenset(
    {StepType.QUIZ, StepType.TEST, StepType.POLL, StepType.PEER_REVIEW}
)


@cached_for_visitors
def step(request: HtmxHttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    step, structure = access.step, access.structure
    if access.enrolment is not None and not access.is_locked:
        try:
            services.record_visit(enrolment=access.enrolment, step=step)
        except OperationalError:
            # The database too busy to take the visit in time (SQLite's write lock held past
            # its timeout): the page is still worth showing, and the next visit records it.
            logger.warning("Visit of step %s not recorded: the database was busy", step.pk)
    previous, following = structure.neighbours(step)
    context = {
        "access": access,
        "step": step,
        "course": access.course,
        "partners": structure.partners,  # for the preview tags (meta description)
        "previous": previous,
        "next": following,
        "completed": access.is_completed,
        "answered_types": ANSWERED_TYPES,
        "self_completed_types": SELF_COMPLETED_TYPES,
    }
    if not access.is_locked:
        context["body"] = structure.memo(
            ("body", step.pk),
            lambda: render_step_markdown(step.body, media_urls=structure.media_urls),
        )
        if step.has_media:
            context["cues"] = structure.memo(("cues", step.pk), lambda: _cues(step))
        if step.type == "peer-review":
            context["peer_review"] = getattr(step, "peer_review", None)
    if request.htmx and request.htmx.target == "completion":
        return render(request, "learning/step.html#completion", context)
    context["fragments"] = _step_fragments(request, access, context)
    context["panels"] = [
        panel for make_panel in step_panels() if (panel := make_panel(request, access))
    ]
    return render(request, "learning/step.html", context)


def _step_fragments(request: HttpRequest, access: StepAccess, context: dict) -> dict[str, str]:
    """The parts of the step page that are the same for every reader, rendered once per
    process and version of the course, in each language and for each address the site is
    reached at (the share links and preview tags hold whole URLs). A step not open yet shows
    the day it opens in this reader's run, so its content is rendered each time."""
    fragment_context = {
        **context,
        "request": request,
        "site_name": settings.SITE_NAME,
    }
    where = (access.step.pk, get_language(), request.build_absolute_uri("/"), access.is_locked)

    def fragment(name: str) -> str:
        return render_to_string(f"learning/_step_{name}.html", fragment_context)  # safe

    return {
        "meta": access.structure.memo(("meta", *where), lambda: fragment("meta")),
        "content": fragment("content")
        if access.is_locked
        else access.structure.memo(("content", *where), lambda: fragment("content")),
        "nav": access.structure.memo(("nav", *where), lambda: fragment("nav")),
    }


def _cues(step: Step) -> list[tuple[TranscriptCue, str]]:
    return [(cue, format_spoken_time(cue.start_ms)) for cue in step.cues.order_by("position")]


@login_required
@require_POST
def complete(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int
) -> HttpResponse:
    access, enrolment = _learner_access(request, slug, week, position)
    services.complete_step(enrolment=enrolment, step=access.step)
    return _after_completion(request, access, completed=True)


@login_required
@require_POST
def uncomplete(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int
) -> HttpResponse:
    access, enrolment = _learner_access(request, slug, week, position)
    services.uncomplete_step(enrolment=enrolment, step=access.step)
    return _after_completion(request, access, completed=False)


def _after_completion(
    request: HtmxHttpRequest, access: StepAccess, *, completed: bool
) -> HttpResponse:
    if request.htmx:
        context = {
            "access": access,
            "course": access.course,
            "step": access.step,
            "completed": completed,
        }
        return render(request, "learning/step.html#completion", context)
    return redirect(access.step.get_absolute_url())


def transcript_vtt(request: HttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _readable_transcript(request, slug, week, position)
    response = HttpResponse(access.step.transcript_source, content_type="text/vtt; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.step.file_stem}.vtt"'
    return response


def transcript_text(request: HttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _readable_transcript(request, slug, week, position)
    lines = [access.step.title, ""]
    lines += [cue.text for cue in access.step.cues.order_by("position")]
    response = HttpResponse("\n\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.step.file_stem}.txt"'
    return response


def _readable_transcript(request: HttpRequest, slug: str, week: int, position: int) -> StepAccess:
    access = step_access(user=request.user, slug=slug, week=week, position=position)
    if not access.step.has_media:
        raise Http404("This step has no transcript")
    if access.is_locked:
        raise PermissionDenied(f"This step opens on {access.opens_on:%-d %B %Y}.")
    return access


def _course_and_enrolment(
    request: HttpRequest, slug: str
) -> tuple[CourseStructure, Enrolment | None]:
    return selectors.course_and_enrolment(user=request.user, slug=slug)


def _tabs(structure: CourseStructure, active: str) -> str:
    """The course's tabs, made once per process and version of the course, language, address
    and tab."""
    where = ("tabs", active, get_language(), get_script_prefix())
    return structure.memo(where, lambda: rendering.course_tabs(structure.course, active=active))


@login_required
def todo(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    structure, enrolment = _course_and_enrolment(request, slug)
    course = structure.course
    if enrolment is None:
        messages.info(request, "Join the course to keep a to-do list.")
        return redirect(course)
    today = timezone.localdate()
    todo = selectors.todo_for(structure=structure, enrolment=enrolment, today=today)
    heads = structure.memo(("todo-heads", get_language()), lambda: rendering.todo_heads(structure))
    return render(
        request,
        "learning/todo.html",
        {
            "course": course,
            "enrolment": enrolment,
            "tabs": _tabs(structure, "todo"),
            "weeks_html": rendering.todo_weeks(todo, heads),
        },
    )


@login_required
def progress(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    structure, enrolment = _course_and_enrolment(request, slug)
    course = structure.course
    if enrolment is None:
        messages.info(request, "Join the course to track your progress.")
        return redirect(course)
    progress = selectors.progress_for(
        structure=structure, enrolment=enrolment, today=timezone.localdate()
    )
    return render(
        request,
        "learning/progress.html",
        {
            "course": course,
            "enrolment": enrolment,
            "tabs": _tabs(structure, "progress"),
            "summary_html": rendering.progress_summary(progress),
            "weeks_html": rendering.progress_weeks(progress),
            "panels": progress_panels(request, enrolment, structure),
        },
    )


@login_required
def my_courses(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "learning/my_courses.html", {"courses": selectors.my_courses(user=request.user)}
    )
