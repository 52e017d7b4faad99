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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from stoa.courses.models import Course, Step, StepType
from stoa.courses.structure import CourseStructure
from stoa.learning import rendering, selectors, services, surveys, video
from stoa.learning.access import StepAccess, find_step, step_access, step_panels
from stoa.learning.extensions import progress_panels
from stoa.learning.forms import ArchetypeForm, LeavingForm, WeekForm
from stoa.learning.models import Enrolment
from stoa.lib import ratelimit, webvtt
from stoa.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest
from stoa.lib.markdown import render_step_markdown
from stoa.lib.refusals import Invalid, TooMany
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
            "leaving_form": LeavingForm() if enrolment else None,
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
    return redirect("learning:welcome", slug=course.slug)


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Where joining lands: what brings the learner to the course (optional, asked once),
    then on to the course. Skipping is the link to it."""
    course = get_object_or_404(Course, slug=slug)
    enrolment = selectors.enrolment_for(user=request.user, course=course)
    if enrolment is None:
        return redirect(course)
    if request.method == "POST":
        form = ArchetypeForm(request.POST)
        if not form.is_valid():
            raise Invalid(_("Choose one of the answers shown, or skip the question."))
        if form.cleaned_data["archetype"]:
            surveys.answer_archetype(
                user=request.user, course=course, archetype=form.cleaned_data["archetype"]
            )
        return redirect("learning:continue", slug=course.slug)
    if not surveys.wants_archetype(enrolment=enrolment):
        return redirect("learning:continue", slug=course.slug)
    return render(request, "learning/welcome.html", {"course": course, "form": ArchetypeForm()})


@login_required
@require_POST
def leave(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    form = LeavingForm(request.POST)
    if not form.is_valid():
        raise Invalid(_("Choose a reason from the list, or none."))
    enrolment = selectors.enrolment_for(user=request.user, course=course)
    if enrolment is not None:
        services.leave(enrolment=enrolment, reason=form.cleaned_data["reason"])
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
            context["paragraphs"] = structure.memo(
                ("paragraphs", step.pk), lambda: _paragraphs(step)
            )
        if step.type == "peer-review":
            context["peer_review"] = getattr(step, "peer_review", None)
    if request.htmx and request.htmx.target == "completion":
        return render(request, "learning/step.html#completion", context)
    if access.enrolment is not None and not access.is_locked:
        # On the week's last step only; whether it was answered came with the enrolment.
        question = surveys.week_question(enrolment=access.enrolment, step=step, following=following)
        if question is not None:
            context["week_question"] = question
            context["week_form"] = WeekForm()
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


def _paragraphs(step: Step) -> list[tuple[webvtt.Paragraph, str]]:
    """The transcript as a learner reads it (stoa.lib.webvtt: rolling captions read once,
    speakers named, tags gone), each paragraph with its start in words for "Skip to"."""
    return [
        (paragraph, format_spoken_time(paragraph.start_ms))
        for paragraph in webvtt.transcript_paragraphs(step.transcript_source)
    ]


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


@login_required
@require_POST
def week_sentiment(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int
) -> HttpResponse:
    """Answers the question at the end of the step's week, then back to the step; with htmx,
    the thanks (or the form with its errors) in place of the question."""
    step = find_step(slug=slug, week=week, position=position)
    form = WeekForm(request.POST)
    context = {"course": step.week.course, "step": step, "week_form": form}
    if form.is_valid():
        surveys.answer_week(
            user=request.user,
            step=step,
            rating=form.cleaned_data["rating"],
            reason=form.cleaned_data["reason"],
        )
        context["week_question"] = surveys.WeekQuestion(week=step.week.number, answered=True)
    elif not request.htmx:
        for errors in form.errors.values():
            messages.error(request, " ".join(map(str, errors)))
    if request.htmx:
        context.setdefault(
            "week_question", surveys.WeekQuestion(week=step.week.number, answered=False)
        )
        return render(request, "learning/_week_question.html", context)
    return redirect(f"{step.get_absolute_url()}#week-question")


@login_required
@require_POST
def video_stats(
    request: AuthenticatedHttpRequest, slug: str, week: int, position: int
) -> HttpResponse:
    """Counts what the player reports of a view (stoa.learning.video): 204, or 400 for a body
    that is not a batch of events, 429 over the learner's allowance."""
    step = find_step(slug=slug, week=week, position=position)
    try:
        video.record_beacon(
            user=request.user,
            step=step,
            body=request.body,
            client_ip=ratelimit.client_ip(request),
        )
    except TooMany as refusal:
        response = HttpResponse(str(refusal), status=429, content_type="text/plain")
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return HttpResponse(status=204)


def transcript_vtt(request: HttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _readable_transcript(request, slug, week, position)
    # As written when browsers read all of it; else (Teams' timings, SubRip) the cues Stoa read.
    captions = webvtt.for_browsers(access.step.transcript_source)
    response = HttpResponse(captions, content_type="text/vtt; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{access.step.file_stem}.vtt"'
    return response


def transcript_text(request: HttpRequest, slug: str, week: int, position: int) -> HttpResponse:
    access = _readable_transcript(request, slug, week, position)
    step = access.step
    text = webvtt.transcript_text(step.title, webvtt.transcript_paragraphs(step.transcript_source))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
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
