from django import forms
from django.utils.translation import gettext as _

from stoa.conversation.moderation.services import REASON_MAX_LENGTH


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, label: str, required_message: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.label = label
        reason.help_text = _("At most %(max)d characters.") % {"max": REASON_MAX_LENGTH}
        reason.widget.attrs.pop("maxlength", None)  # a clear message beats silent truncation
        reason.error_messages["required"] = required_message
        reason.error_messages["max_length"] = _(
            "Keep the reason to %(limit_value)d characters or fewer; it has %(show_value)d."
        )


def report_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label=_("Why are you reporting this comment?"),
        required_message=_("Say why you are reporting this comment."),
    )


def hide_form(data=None) -> ReasonForm:
    return ReasonForm(
        data,
        label=_("Reason for hiding, shown to the author"),
        required_message=_("Give the author a reason for hiding their comment."),
    )
