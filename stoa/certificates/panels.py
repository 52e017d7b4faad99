from html import escape

from django.http import HttpRequest
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop, ngettext

from stoa.certificates import selectors
from stoa.courses.structure import CourseStructure
from stoa.learning.access import StepPanel
from stoa.learning.models import Enrolment
from stoa.lib.i18n import Words
from stoa.lib.urls import reverse


def progress_panel(
    request: HttpRequest, enrolment: Enrolment, structure: CourseStructure
) -> StepPanel | None:
    """The certificates on the learner's progress page: what is left, or the link."""
    standing = selectors.standing_for(enrolment=enrolment)
    if not standing.goals:
        return None
    return StepPanel(html=standing_html(standing))


# Fixed words, translated once per language (stoa.lib.i18n).
WORDS = Words(
    earned=gettext_noop("Earned on %(date)s."),
    view=gettext_noop("View your certificate"),
    still=gettext_noop("Still to do:"),
    raise_average=gettext_noop("Raise your test average from %(average)s%% to %(needed)s%%"),
    certificates=gettext_noop("Certificates"),
    achievements=gettext_noop("All your achievements"),
)


def standing_html(standing: selectors.Standing) -> SafeString:
    """The panel, built here rather than in a template: the progress page is one every learner
    opens, and the template engine cost it a fifth of its time. The labels are the course's
    certificate kinds and fixed words; numbers and dates need no escaping; the certificate's
    URL is escaped."""
    words = WORDS.html()
    goals = []
    for goal in standing.goals:
        if goal.certificate is not None:
            earned = words["earned"] % {"date": date_format(goal.certificate.issued_at, "j F Y")}
            body = (
                f'<p class="certificate-goal__done"><span aria-hidden="true">✓ </span>{earned} '
                f'<a href="{escape(goal.certificate.get_absolute_url())}">'
                f"{words['view']}</a></p>"
            )
        else:
            left = []
            if goal.steps_left:
                left.append(
                    ngettext(
                        "Mark %(counter)s more step complete",
                        "Mark %(counter)s more steps complete",
                        goal.steps_left,
                    )
                    % {"counter": goal.steps_left}
                )
            if goal.questions_left:
                left.append(
                    ngettext(
                        "Answer %(counter)s more test question",
                        "Answer %(counter)s more test questions",
                        goal.questions_left,
                    )
                    % {"counter": goal.questions_left}
                )
            if goal.average_needed:
                left.append(
                    words["raise_average"]
                    % {"average": floatformat(goal.average, "-1"), "needed": goal.average_needed}
                )
            items = "".join(f"<li>{line}</li>" for line in left)
            body = f"<p>{words['still']}</p><ul>{items}</ul>"
        modifier = " certificate-goal--earned" if goal.earned else ""
        goals.append(
            f'<li class="certificate-goal{modifier}">'
            f'<h3 class="certificate-goal__title">{escape(str(goal.label))}</h3>{body}</li>'
        )
    return SafeString(
        '<section class="certificate-goals" aria-labelledby="certificates-heading">'
        f'<h2 id="certificates-heading">{words["certificates"]}</h2>'
        f'<ul class="certificate-goals__list">{"".join(goals)}</ul>'
        f'<p><a href="{reverse("certificates:achievements")}">{words["achievements"]}</a>'
        "</p></section>"
    )
