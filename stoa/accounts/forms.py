from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserChangeForm,
)
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from stoa.accounts.countries import countries_by_name
from stoa.accounts.models import LearnerProfile, User

BIO_MAX_LENGTH = User._meta.get_field("bio").max_length or 1000
DISPLAY_NAME_MAX_LENGTH = User._meta.get_field("display_name").max_length or 80


class AdminUserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class AdminUserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="You will sign in with this. We only use it to email you about your account.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text="Shown to other learners beside what you write. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    error_messages = {
        "email_taken": (
            "An account with this email address already exists. "
            "Sign in, or reset your password if you have forgotten it."
        ),
    }

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(self.error_messages["email_taken"], code="email_taken")
        return email

    @sensitive_variables("password")
    def clean(self) -> dict:
        # Form.clean returns cleaned_data; the stubs allow None, for overrides that return nothing.
        cleaned = cast(dict[str, Any], super().clean())
        password = cleaned.get("password")
        if password:
            # Checked against the would-be user, so a password like the email address is refused.
            candidate = User(
                email=cleaned.get("email", ""), display_name=cleaned.get("display_name", "")
            )
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        # "username" rather than "email": it is what password managers look for on a sign-in form.
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email address and password do not match an account. "
            "Check them and try again, or reset your password."
        ),
        "inactive": "This account is closed.",
    }


class BioField(forms.CharField):
    """Counts a line break as one character, as the browser's maxlength does; browsers submit
    each one as two (CRLF)."""

    def to_python(self, value: str | None) -> str:
        # A str: the stubs allow None, which CharField gives only with empty_value=None.
        return cast(str, super().to_python(value)).replace("\r\n", "\n")


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text="Shown to other learners beside what you write.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    bio = BioField(
        label="Bio",
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "max_length": (
                "Your bio is %(show_value)d characters long; the limit is %(limit_value)d. "
                "Please shorten it."
            ),
        },
    )

    show_comments_on_profile = forms.BooleanField(
        label="Show my comments on my profile",
        required=False,
        help_text=(
            "People who take a course with you see your comments from it on your profile. "
            "Your comments stay in the course's conversations either way."
        ),
    )
    daily_digest = forms.BooleanField(
        label="Email me a daily digest",
        required=False,
        help_text="Once a day, an email listing replies, likes and other activity you have "
        "not read yet. Nothing is sent on a quiet day.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bio = self.data.get("bio", "") if self.is_bound else self.initial.get("bio", "")
        used = len((bio or "").replace("\r\n", "\n"))
        # The script bio-count.js keeps the number current while people type.
        self.fields["bio"].help_text = format_html(
            "A few sentences about yourself for other learners. Up to {} characters "
            '(<span data-count-for="{}">{}</span> used).',
            BIO_MAX_LENGTH,
            # The default "id_%s": this form is never built with auto_id=False.
            cast(str, self.auto_id) % self.add_prefix("bio"),
            used,
        )


class EmailPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "autofocus": True}
        ),
    )


class NewPasswordForm(SetPasswordForm):
    new_password1, new_password2 = SetPasswordForm.create_password_fields(
        label1="New password", label2="New password again"
    )


class ChangePasswordForm(PasswordChangeForm):
    new_password1, new_password2 = SetPasswordForm.create_password_fields(
        label1="New password", label2="New password again"
    )

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "That is not your current password. Please enter it again.",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"


StrOrPromise = str | Promise
NOT_ANSWERED = gettext_lazy("Not answered")


def _answers(choices: Sequence[tuple[str, StrOrPromise]]) -> list[tuple[str, StrOrPromise]]:
    return [("", NOT_ANSWERED), *choices]


def _countries() -> list[tuple[str, StrOrPromise]]:
    """Prefer not to say first, then the countries in the reader's language's order."""
    prefer_not = LearnerProfile.Gender.PREFER_NOT
    return _answers([(prefer_not.value, prefer_not.label), *countries_by_name()])


class LearnerProfileForm(forms.Form):
    """The profile's "About you": what a learner chooses to tell their courses' teams for
    research (accounts.LearnerProfile), every answer optional."""

    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"),
        required=False,
        choices=_answers(LearnerProfile.Gender.choices),
    )
    # Called for each form, so that the names are in the reader's language.
    country = forms.ChoiceField(
        label=gettext_lazy("Country you live in"), required=False, choices=_countries
    )
    age_range = forms.ChoiceField(
        label=gettext_lazy("Age"), required=False, choices=_answers(LearnerProfile.AgeRange.choices)
    )
    highest_education_level = forms.ChoiceField(
        label=gettext_lazy("Highest level of education"),
        required=False,
        choices=_answers(LearnerProfile.Education.choices),
    )
    employment_status = forms.ChoiceField(
        label=gettext_lazy("Employment status"),
        required=False,
        choices=_answers(LearnerProfile.EmploymentStatus.choices),
    )
    employment_area = forms.ChoiceField(
        label=gettext_lazy("Area of work"),
        required=False,
        choices=_answers(LearnerProfile.EmploymentArea.choices),
    )
