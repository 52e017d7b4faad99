"""The dashboard of a run: what its learners do, read from the tallies that each write keeps
(learning's JoinTally, ActivityTally and StepTally, conversation's CommentTally, assessments'
QuestionTally, certificates' CertificateTally). A query per tally, a row per day, week, step
or question: the page costs the same for ten learners as for a million.

Each chart is a Chart: its title, a description that says what it shows and its main figure,
the numbers as rows (the table beneath the picture, and the CSV download), and the picture.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stoa.assessments.models import QuestionTally
from stoa.certificates.models import Certificate, CertificateTally
from stoa.conversation.models import CommentTally
from stoa.courses.models import CourseRun, Question, Step, StepType
from stoa.insights.dashboard import charts
from stoa.learning.models import ActivityTally, JoinTally, ParticipationTally, StepTally

Cell = str | int | float | datetime.date


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Cell]]
    svg: str = ""  # empty when there is nothing to draw yet
    empty: str = ""  # what to say instead

    @property
    def label_id(self) -> str:
        return f"chart-{self.slug}"

    def table(self) -> list[list[tuple[str, bool]]]:
        """The rows as the page shows them: each cell's text, and whether it is a number."""
        return [[_shown(value) for value in row] for row in self.rows]


def _shown(value: Cell) -> tuple[str, bool]:
    if isinstance(value, datetime.date):
        return date_format(value, "j M Y"), False
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value), False
    return number_format(value, use_l10n=True, force_grouping=True), True


@dataclass
class Glance:
    """The figures at the top of the dashboard."""

    learners: int
    joined_this_week: int
    active_this_week: int
    comments: int
    certificates: int
    fully_participated: int

    @property
    def fully_participated_percent(self) -> float:
        return round(100 * self.fully_participated / self.learners, 1) if self.learners else 0


@dataclass
class Dashboard:
    run: CourseRun
    glance: Glance
    charts: list[Chart] = field(default_factory=list)

    def chart(self, slug: str) -> Chart | None:
        return next((chart for chart in self.charts if chart.slug == slug), None)


def _steps(run: CourseRun) -> list[Step]:
    return list(
        Step.objects.filter(week__course_id=run.course_id)
        .select_related("week")
        .order_by("week__number", "position")
        .only("position", "title", "type", "week__number")
    )


def _joiners(run: CourseRun, today: datetime.date) -> tuple[Chart, int]:
    days = list(
        JoinTally.objects.filter(run=run, joiners__gt=0)
        .order_by("day")
        .values_list("day", "joiners")
    )
    rows: list[list[Cell]] = []
    total = 0
    for day, joiners in days:
        total += joiners
        rows.append([day, joiners, total])
    week_ago = today - datetime.timedelta(days=6)
    recent = sum(joiners for day, joiners in days if day >= week_ago)
    title = _("Joiners per day")
    chart = Chart(
        slug="joiners",
        title=title,
        description=ngettext(
            "%(total)s person has joined the run; %(recent)s in the last seven days.",
            "%(total)s people have joined the run; %(recent)s in the last seven days.",
            total,
        )
        % {"total": total, "recent": recent},
        columns=[_("Day"), _("Joined"), _("Joined so far")],
        rows=rows,
        empty=_("Nobody has joined this run yet."),
    )
    if rows:
        chart.svg = charts.cumulative_line(
            [(day, total) for day, _joined, total in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=chart.description,
        )
    return chart, recent


def _activity(run: CourseRun, today: datetime.date) -> tuple[Chart, int]:
    counted = dict(ActivityTally.objects.filter(run=run).values_list("week", "learners"))
    last_week = max([*counted, run.week_of(today) if today >= run.starts_on else 0])
    rows: list[list[Cell]] = [[week, counted.get(week, 0)] for week in range(1, last_week + 1)]
    this_week = counted.get(run.week_of(today), 0) if today >= run.starts_on else 0
    title = _("Active learners per week")
    chart = Chart(
        slug="active",
        title=title,
        description=_(
            "Learners who visited at least one step in each week of the run; "
            "%(count)s so far this week."
        )
        % {"count": this_week},
        columns=[_("Week"), _("Active learners")],
        rows=rows,
        empty=_("No learner has visited a step yet."),
    )
    if any(row[1] for row in rows):
        chart.svg = charts.columns(
            [(_("Week %(number)s") % {"number": week}, count) for week, count in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=chart.description,
        )
    return chart, this_week


def _per_step(model, run: CourseRun, *fields: str) -> dict[int, tuple[int, ...]]:
    """A tally kept per step of the run: its fields, by step id."""
    return {
        step_id: tuple(counts)
        for step_id, *counts in model.objects.filter(run=run).values_list("step_id", *fields)
    }


def _funnel(run: CourseRun, steps: list[Step]) -> Chart:
    tallies = _per_step(StepTally, run, "visitors", "completers")
    rows: list[list[Cell]] = []
    for step in steps:
        visitors, completers = tallies.get(step.pk, (0, 0))
        share = round(100 * completers / visitors, 1) if visitors else ""
        rows.append([step.number, step.title, visitors, completers, share])
    title = _("Step funnel")
    first = rows[0][2] if rows else 0
    last = rows[-1][3] if rows else 0
    chart = Chart(
        slug="funnel",
        title=title,
        description=_(
            "For each step, the learners who visited it and who completed it: "
            "%(first)s visited the first step and %(last)s completed the last."
        )
        % {"first": first, "last": last},
        columns=[_("Step"), _("Title"), _("Visited"), _("Completed"), _("Completed (%)")],
        rows=rows,
        empty=_("No learner has visited a step yet."),
    )
    if any(row[2] or row[3] for row in rows):
        chart.svg = charts.bars(
            [(str(row[0]), (row[2], row[3])) for row in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=chart.description,
            legend=[_("Visited"), _("Completed")],
        )
    return chart


def _comments(run: CourseRun, steps: list[Step]) -> tuple[Chart, int]:
    tallies = _per_step(CommentTally, run, "comments", "replies")
    rows: list[list[Cell]] = []
    for step in steps:
        comments, replies = tallies.get(step.pk, (0, 0))
        rows.append([step.number, step.title, comments, replies, comments + replies])
    total = sum(comments + replies for comments, replies in tallies.values())
    busiest = max(rows, key=lambda row: row[4], default=None)
    title = _("Comments per step")
    description = _("Comments and replies posted on each step: %(total)s in all.") % {
        "total": total
    }
    if busiest and busiest[4]:
        description += " " + _("The busiest step is %(step)s, with %(count)s.") % {
            "step": busiest[0],
            "count": busiest[4],
        }
    chart = Chart(
        slug="comments",
        title=title,
        description=description,
        columns=[_("Step"), _("Title"), _("Comments"), _("Replies"), _("In all")],
        rows=rows,
        empty=_("Nobody has commented yet."),
    )
    if total:
        chart.svg = charts.bars(
            [(str(row[0]), (row[4],)) for row in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=description,
        )
    return chart, total


def _questions(run: CourseRun) -> Chart:
    questions = list(
        Question.objects.filter(
            step__week__course_id=run.course_id, step__type__in=[StepType.QUIZ, StepType.TEST]
        )
        .select_related("step__week")
        .order_by("step__week__number", "step__position", "position")
        .only("position", "prompt", "step__position", "step__type", "step__week__number")
    )
    tallies = {
        question_id: (tries, correct)
        for question_id, tries, correct in QuestionTally.objects.filter(run=run).values_list(
            "question_id", "first_tries", "first_try_correct"
        )
    }
    rows: list[list[Cell]] = []
    for question in questions:
        tries, correct = tallies.get(question.pk, (0, 0))
        step = question.step
        label = f"{step.week.number}.{step.position}.{question.position}"
        share = round(100 * correct / tries, 1) if tries else ""
        prompt = question.prompt if len(question.prompt) <= 120 else question.prompt[:119] + "…"
        rows.append([label, step.get_type_display(), prompt, tries, correct, share])
    answered = [row for row in rows if row[3]]
    hardest = min(answered, key=lambda row: row[5], default=None)
    title = _("Right at the first try")
    description = _(
        "For each quiz and test question, the share of learners whose first answer was right."
    )
    if hardest:
        description += " " + _("The hardest is %(question)s: %(share)s%% right first.") % {
            "question": hardest[0],
            "share": f"{hardest[5]:g}",
        }
    chart = Chart(
        slug="questions",
        title=title,
        description=description,
        columns=[
            _("Question"),
            _("Step type"),
            _("Question asked"),
            _("Learners who answered"),
            _("Right at the first try"),
            _("Right at the first try (%)"),
        ],
        rows=rows,
        empty=_("No quiz or test question has been answered yet.")
        if questions
        else _("This course has no quizzes or tests."),
    )
    if answered:
        chart.svg = charts.bars(
            [(str(row[0]), (row[5] if row[3] else 0,)) for row in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=description,
            percent=True,
        )
    return chart


def _certificates(run: CourseRun) -> tuple[Chart, int]:
    by_day: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for day, kind, issued in (
        CertificateTally.objects.filter(run=run, issued__gt=0)
        .order_by("day")
        .values_list("day", "kind", "issued")
    ):
        by_day[day][kind] = issued
    rows: list[list[Cell]] = []
    total = 0
    for day, kinds in by_day.items():
        participation = kinds.get(Certificate.Kind.PARTICIPATION, 0)
        achievement = kinds.get(Certificate.Kind.ACHIEVEMENT, 0)
        total += participation + achievement
        rows.append([day, participation, achievement, total])
    title = _("Certificates issued")
    chart = Chart(
        slug="certificates",
        title=title,
        description=ngettext(
            "%(total)s certificate issued so far (participation and achievement).",
            "%(total)s certificates issued so far (participation and achievement).",
            total,
        )
        % {"total": total},
        columns=[_("Day"), _("Participation"), _("Achievement"), _("Issued so far")],
        rows=rows,
        empty=_("No certificate has been issued on this run yet."),
    )
    if rows:
        chart.svg = charts.cumulative_line(
            [(row[0], row[3]) for row in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=chart.description,
        )
    return chart, total


def _participation(run: CourseRun, learners: int) -> tuple[Chart, int]:
    days = list(
        ParticipationTally.objects.filter(run=run, learners__gt=0)
        .order_by("day")
        .values_list("day", "learners")
    )
    rows: list[list[Cell]] = []
    total = 0
    for day, reached in days:
        total += reached
        rows.append([day, reached, total])
    share = round(100 * total / learners, 1) if learners else 0
    title = _("Learners who fully participated")
    chart = Chart(
        slug="participation",
        title=title,
        description=ngettext(
            "%(total)s learner has fully participated (more than half of the steps and every "
            "test question): %(share)s%% of the run's learners.",
            "%(total)s learners have fully participated (more than half of the steps and every "
            "test question): %(share)s%% of the run's learners.",
            total,
        )
        % {"total": total, "share": f"{share:g}"},
        columns=[_("Day"), _("Reached full participation"), _("Fully participated so far")],
        rows=rows,
        empty=_("No learner has fully participated yet."),
    )
    if rows:
        chart.svg = charts.cumulative_line(
            [(day, total) for day, _reached, total in rows],  # type: ignore[misc]
            label_id=chart.label_id,
            title=title,
            description=chart.description,
        )
    return chart, total


def dashboard(run: CourseRun, *, today: datetime.date | None = None) -> Dashboard:
    """Every chart of the run's dashboard: nine queries, whatever the run's size."""
    today = today or timezone.localdate()
    steps = _steps(run)
    joiners, joined_this_week = _joiners(run, today)
    active, active_this_week = _activity(run, today)
    comments, comment_total = _comments(run, steps)
    certificates, certificate_total = _certificates(run)
    participation, participated = _participation(run, run.learner_count)
    return Dashboard(
        run=run,
        glance=Glance(
            learners=run.learner_count,
            joined_this_week=joined_this_week,
            active_this_week=active_this_week,
            comments=comment_total,
            certificates=certificate_total,
            fully_participated=participated,
        ),
        charts=[
            joiners,
            active,
            _funnel(run, steps),
            participation,
            comments,
            _questions(run),
            certificates,
        ],
    )
