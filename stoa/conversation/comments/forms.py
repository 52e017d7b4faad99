import functools
import secrets

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from stoa.conversation.comments.services import MAX_LENGTH


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


class CommentForm(forms.Form):
    """A comment, a reply or an edit. The submission token makes a double submit harmless:
    the second post of one form finds the comment the first one stored."""

    body = forms.CharField(
        label="Your comment",
        max_length=MAX_LENGTH,
        help_text=(
            f"Up to {MAX_LENGTH:,} characters. You can use *emphasis*, **bold**, "
            "[links](https://example.org) and lists."
        ),
        error_messages={
            "required": "Write something before posting.",
            "max_length": (
                "Comments can be up to %(limit_value)s characters; this one has %(show_value)s. "
                "Shorten it and post again."
            ),
        },
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    submission_token = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, label: str = "Your comment", **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_token", new_submission_token())
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        body.label = label
        # A clear message beats the browser silently cutting off a pasted text.
        body.widget.attrs.pop("maxlength", None)
        # The limit, as a number people read, with thousands separated.
        body.error_messages["max_length"] = body.error_messages["max_length"].replace(
            "%(limit_value)s", f"{MAX_LENGTH:,}"
        )

    def body_html(self) -> SafeString:
        """The body's field as accounts/_field.html draws it. An empty form's is the same for
        every learner on every step page, so it is drawn once per language and label."""
        field = self["body"]
        if self.is_bound or self.initial.get("body") or type(self) is not CommentForm:
            return SafeString(render_to_string("accounts/_field.html", {"field": field}))
        attrs = tuple(sorted(field.field.widget.attrs.items()))
        return _empty_body_html(get_language(), self.auto_id, field.label, attrs)


@functools.lru_cache(maxsize=64)
def _empty_body_html(language: str, auto_id: str, label: str, attrs: tuple) -> SafeString:
    form = CommentForm(auto_id=auto_id, label=label)
    form.fields["body"].widget.attrs = dict(attrs)
    return SafeString(render_to_string("accounts/_field.html", {"field": form["body"]}))


class EditForm(CommentForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label="Edit your comment", **kwargs)
        del self.fields["submission_token"]
