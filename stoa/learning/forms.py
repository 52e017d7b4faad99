"""The learner surveys' forms (stoa.learning.surveys): each question optional but the weekly
rating, which is the question itself."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stoa.learning.models import Archetype, LeavingReason, Sentiment, SentimentResponse

WEEK_REASON_MAX_LENGTH = SentimentResponse._meta.get_field("reason").max_length or 2000


class LeavingForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you leaving?"),
        choices=LeavingReason.choices,
        required=False,
        widget=forms.RadioSelect,
    )


class WeekForm(forms.Form):
    # Its fields' names and ids apart from those of the step page's other forms.
    prefix = "week"

    rating = forms.TypedChoiceField(
        label=_("How was this week for you?"),
        choices=Sentiment.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the week was for you.")},
    )
    reason = forms.CharField(
        label=_("Why?"),
        required=False,
        max_length=WEEK_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArchetypeForm(forms.Form):
    archetype = forms.ChoiceField(
        label=_("What brings you to this course?"),
        choices=Archetype.choices,
        required=False,
        widget=forms.RadioSelect,
    )
