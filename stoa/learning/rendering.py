"""Parts of the learner's to-do and progress pages built in Python rather than templates.

Every learner opens these pages, and the issue "Speed" holds them to twice a bare view's
server time. Django's template engine spends several microseconds on each variable and tag
(a course has a hundred steps, each with a few), so the parts that repeat are made here with
plain strings, as the conversation's comments are (stoa.conversation.comments.rendering).

How this stays safe: text from the course (titles) and from the apps (states) goes through
escape() exactly once, here; numbers, dates and fixed words need none (translations are the
project's own); the step heads are made with format_html. Each function returns a SafeString.
"""

from html import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop, ngettext

from stoa.courses.models import Course
from stoa.courses.structure import CourseStructure
from stoa.learning.selectors import Progress, Todo, TodoWeek
from stoa.lib.i18n import Words
from stoa.lib.urls import reverse

# Fixed words, translated once per language (stoa.lib.i18n).
WORDS = Words(
    todo=gettext_noop("To-do"),
    progress=gettext_noop("Progress"),
    about=gettext_noop("About the course"),
    this_week=gettext_noop("This week"),
    completed=gettext_noop("Completed"),
    not_completed=gettext_noop("Not completed"),
    overall=gettext_noop("Overall"),
    completed_this_week=gettext_noop("Completed this week"),
    last_activity=gettext_noop("Last activity"),
    none_yet=gettext_noop("None yet"),
    week=gettext_noop("Week %(number)d: %(title)s"),
    opens=gettext_noop("opens %(day)s"),
    week_counts=gettext_noop("%(percent)d%% (%(done)d of %(total)d)"),
)
# With markup of their own: not escaped.
MARKUP = Words(
    figure=gettext_noop(
        "<strong>%(percent)d%%</strong> of steps completed (%(done)d of %(total)d)"
    ),
)


def course_tabs(course: Course, *, active: str) -> SafeString:
    """The to-do and progress tabs, and the way back to the course's page."""
    words = WORDS.html()
    tabs = []
    for name in ("todo", "progress"):
        label = words[name]
        current = ' aria-current="page"' if name == active else ""
        url = reverse(f"learning:{name}", args=[course.slug])
        tabs.append(f'<li><a href="{url}"{current}>{label}</a></li>')
    about = escape(course.get_absolute_url())
    return SafeString(
        f'<nav class="course-tabs" aria-label="{escape(course.title)}"><ul>{"".join(tabs)}'
        f'<li><a href="{about}">{words["about"]}</a></li></ul></nav>'
    )


def todo_heads(structure: CourseStructure) -> dict[int, str]:
    """Each step's number, link and type as the to-do list shows them: the same for every
    learner, so made once per process, language and version of the course."""
    return {
        step.pk: format_html(
            '<span class="todo-step__number">{}</span> '
            '<a class="todo-step__title" href="{}">{}</a> '
            '<span class="todo-step__type">{}</span>',
            step.number,
            step.get_absolute_url(),
            step.title,
            step.get_type_display(),
        )
        for step in structure.steps
    }


def todo_weeks(todo: Todo, heads: dict[int, str]) -> SafeString:
    """The to-do list's weeks, the current one first, then the others in order."""
    weeks = sorted(todo.weeks, key=lambda w: (w.week.number != todo.current_week, w.week.number))
    words = WORDS.html()
    return SafeString(
        "".join(_todo_week(week, heads, words, current=todo.current_week) for week in weeks)
    )


def _todo_week(
    todo_week: TodoWeek, heads: dict[int, str], words: dict[str, str], *, current: int
) -> str:
    week = todo_week.week
    number = week.number
    is_current = number == current
    steps = todo_week.steps
    summary = ngettext(
        "%(done)d of %(total)d step completed", "%(done)d of %(total)d steps completed", len(steps)
    ) % {"done": sum(item.completed for item in steps), "total": len(steps)}
    if not todo_week.is_open and todo_week.opens_on:
        summary += " · " + words["opens"] % {"day": date_format(todo_week.opens_on, "j F Y")}
    badge = f' <span class="badge">{words["this_week"]}</span>' if is_current else ""
    parts = [
        f'<section class="todo-week{" todo-week--current" if is_current else ""}" '
        f'aria-labelledby="week-{number}"><h2 id="week-{number}">'
        + words["week"] % {"number": number, "title": escape(week.title)}
        + f'{badge}</h2><p class="muted">{summary}</p>'
    ]
    done, not_done = words["completed"], words["not_completed"]
    for activity in todo_week.activities:
        if activity.title:
            parts.append(f'<h3 class="todo-activity">{escape(activity.title)}</h3>')
        parts.append('<ol class="todo-steps">')
        for item in activity.steps:
            if item.completed:
                state, modifier = f'<span aria-hidden="true">✓ </span>{done}', " todo-step--done"
            else:
                state, modifier = (escape(item.state.label) if item.state else not_done), ""
            if item.state and item.state.detail:
                state += f" · {escape(item.state.detail)}"
            parts.append(
                f'<li class="todo-step{modifier}">{heads[item.step.pk]} '
                f'<span class="todo-step__state">{state}</span></li>'
            )
        parts.append("</ol>")
    parts.append("</section>")
    return "".join(parts)


def progress_summary(progress: Progress) -> SafeString:
    """The learner's share of steps completed, this week's count and their last activity."""
    percent = progress.percent
    figure = MARKUP.now()["figure"] % {
        "percent": percent,
        "done": progress.completed,
        "total": progress.total,
    }
    this_week = progress.completed_this_week
    week_count = ngettext("%(count)d step", "%(count)d steps", this_week) % {"count": this_week}
    words = WORDS.html()
    last = progress.last_activity_at
    if last is not None:
        last = timezone.localtime(last)
        last_html = f'<time datetime="{last.isoformat()}">{date_format(last, "j F Y")}</time>'
    else:
        last_html = words["none_yet"]
    return SafeString(
        '<section class="progress-summary" aria-labelledby="overall-heading">'
        f'<h2 id="overall-heading">{words["overall"]}</h2>'
        f'<p class="progress-figure">{figure}</p>'
        f'<progress class="bar" max="100" value="{percent}" '
        f'aria-labelledby="overall-heading">{percent}%</progress><dl class="facts">'
        f"<div><dt>{words['completed_this_week']}</dt><dd>{week_count}</dd></div>"
        f"<div><dt>{words['last_activity']}</dt><dd>{last_html}</dd></div></dl></section>"
    )


def progress_weeks(progress: Progress) -> SafeString:
    """Each week's share of steps completed, as a labelled bar."""
    words = WORDS.html()
    items = []
    for week in progress.weeks:
        number, percent = week.week.number, week.percent
        label = words["week"] % {
            "number": number,
            "title": escape(week.week.title),
        }
        counts = words["week_counts"] % {
            "percent": percent,
            "done": week.completed,
            "total": week.total,
        }
        items.append(
            f'<li><p class="week-progress__label" id="week-progress-{number}">{label} '
            f'<span class="muted">{counts}</span></p><progress class="bar" max="100" '
            f'value="{percent}" aria-labelledby="week-progress-{number}">{percent}%</progress>'
            "</li>"
        )
    return SafeString("".join(items))
