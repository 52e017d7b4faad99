"""Forms of the course team's workspace. They check what a field alone can say (a date is a
date); the rules between dates are the services' (courses.services.create_run), whose
refusals the views put back on the form's fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stoa.courses.models import CourseRun, Release


class DateInput(forms.DateInput):
    """The browser's own date picker; it submits YYYY-MM-DD, whatever the locale shows."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class RunForm(forms.Form):
    starts_on = forms.DateField(
        label=_("Start date"),
        help_text=_("Week 1 opens on this day. Today or later."),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the day the run starts."),
            "invalid": _("Enter the start date as a date, such as 2027-01-11."),
        },
    )
    joining_closes_on = forms.DateField(
        label=_("Joining closes on"),
        required=False,
        help_text=_(
            "The last day learners can join, up to the run's last day. Leave it empty to keep "
            "joining open while the run lasts."
        ),
        widget=DateInput(),
        error_messages={"invalid": _("Enter the day joining closes as a date, or leave it empty.")},
    )
    release = forms.ChoiceField(
        label=_("Weeks are released"),
        choices=Release.choices,
        initial=Release.WEEKLY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the weeks are released.")},
    )
    conversation_closes_on = forms.DateField(
        label=_("Conversation closes on"),
        required=False,
        help_text=_(
            "From the day after, the run's comments can be read but no longer posted, replied "
            "to or liked. Leave it empty to keep the conversation open."
        ),
        widget=DateInput(),
        error_messages={
            "invalid": _("Enter the day the conversation closes as a date, or leave it empty.")
        },
    )
    week_open_emails = forms.BooleanField(
        label=_("Email learners on the day each week opens"),
        required=False,
        help_text=_(
            "The run's learners get an announcement naming the week and linking to its first "
            "step; with all weeks at once, one on the first day. Learners who turned off the "
            "course's emails get none."
        ),
    )

    @classmethod
    def for_run(cls, run: CourseRun, data=None) -> "RunForm":
        return cls(
            data,
            initial={
                "starts_on": run.starts_on,
                "joining_closes_on": run.joining_closes_on,
                "release": run.release,
                "conversation_closes_on": run.conversation_closes_on,
                "week_open_emails": run.week_open_emails,
            },
        )
