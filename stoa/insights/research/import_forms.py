"""The form of the workspace's import (import_views.py): which run, and the files."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from stoa.courses.models import CourseRun


class _ManyFiles(forms.FileInput):
    allow_multiple_selected = True


class _FilesField(forms.FileField):
    """One file input that takes several files: a ZIP, or the datasets' CSV files."""

    widget = _ManyFiles(attrs={"accept": ".zip,.csv"})

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data] if data else [one(None, initial)]
        return [one(data, initial)]


class ImportForm(forms.Form):
    run = forms.ChoiceField(label=_("Run to import into"))
    datasets = _FilesField(
        label=_("Dataset files"),
        help_text=_(
            "A ZIP of the run's datasets, or their CSV files, named as the reference platform "
            "names them (course_enrolments.csv, course_step-activity.csv and so on)."
        ),
    )

    def __init__(self, runs: list[CourseRun], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs = {str(run.pk): run for run in runs}
        field = self.fields["run"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (key, _("Starting %(date)s") % {"date": date_format(run.starts_on, "j F Y")})
            for key, run in self.runs.items()
        ]

    def clean_run(self) -> CourseRun:
        return self.runs[self.cleaned_data["run"]]
