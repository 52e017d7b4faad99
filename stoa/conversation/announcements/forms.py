"""The workspace's announcement form. It checks what a field alone can say; the rest is
create_announcement's, whose refusals the view puts back on the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stoa.courses.models import Course, CourseRun
from stoa.courses.selectors import current_run


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker (it submits YYYY-MM-DDTHH:MM)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class RunChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return ngettext(
            "Starting %(date)s (%(count)d learner)",
            "Starting %(date)s (%(count)d learners)",
            obj.learner_count,
        ) % {
            "date": obj.starts_on.strftime("%-d %B %Y"),
            "count": obj.learner_count,
        }


class AnnouncementForm(forms.Form):
    run = RunChoiceField(
        label=_("Run"),
        queryset=CourseRun.objects.none(),
        empty_label=None,
        help_text=_("Its active learners get the announcement."),
        error_messages={"required": _("Choose a run."), "invalid_choice": _("Choose a run.")},
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        error_messages={"required": _("Enter a subject.")},
    )
    body = forms.CharField(
        label=_("Announcement"),
        max_length=20000,
        help_text=_("Markdown: **bold**, *italic*, [a link](https://example.org), lists."),
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={"required": _("Write the announcement.")},
    )
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        help_text=_("Leave it empty to send now."),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("Enter the time as a date and time, or leave it empty.")},
    )

    def __init__(self, course: Course, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        runs = self.fields["run"]
        assert isinstance(runs, forms.ModelChoiceField)
        runs.queryset = course.runs.order_by("-starts_on", "-pk")
        # The run the other tabs open on (the latest started), not the newest: a run made
        # for next term has no learners yet.
        runs.initial = current_run(course)
