from typing import cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from stoa.accounts import limits, services
from stoa.accounts.forms import (
    EmailPasswordResetForm,
    LearnerProfileForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
)
from stoa.accounts.models import LearnerProfile, User
from stoa.lib.http import safe_next


def _refused(
    request: HttpRequest, template: str, context: dict, refusal: limits.Refusal
) -> HttpResponse:
    response = render(request, template, {**context, "refusal": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    form = SignUpForm(initial={"email": _suggested_email(request)})
    if request.method == "POST":
        if refusal := limits.check_sign_up(request):
            typed = {name: request.POST.get(name, "") for name in ("email", "display_name")}
            context = {"form": SignUpForm(initial=typed), "next": next_url}
            return _refused(request, "accounts/signup.html", context, refusal)
        form = SignUpForm(request.POST)
        if form.is_valid():
            try:
                user = services.sign_up(**form.cleaned_data)
            except services.EmailTaken:
                form.add_error("email", form.error_messages["email_taken"])
            else:
                login(request, user)
                messages.success(request, f"Welcome to {settings.SITE_NAME}, {user.public_name}.")
                return redirect(next_url or "/")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


def _suggested_email(request: HttpRequest) -> str:
    """The address in ?email=, for the form to start with, if the form's field would take
    it; else "". A team invitation's link sends the invited address here
    (courses.team_views.invitation); it is only a suggestion, which the person may change."""
    try:
        return SignUpForm.base_fields["email"].clean(request.GET.get("email", ""))
    except ValidationError:
        return ""


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    form = SignInForm(request)
    if request.method == "POST":
        email = request.POST.get("username", "")
        if refusal := limits.check_sign_in(request, email=email):
            context = {"form": SignInForm(request, initial={"username": email}), "next": next_url}
            return _refused(request, "accounts/signin.html", context, refusal)
        form = SignInForm(request, data=request.POST)
        if form.is_valid():
            limits.forgive_sign_in(request, email=email)
            login(request, form.get_user())
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/signin.html", {"form": form, "next": next_url})


@sensitive_post_parameters()
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """Stands in for the admin's own sign-in page (stoa/urls.py routes it first), which would
    check passwords without Stoa's limits: staff sign in on Stoa's page like everyone else,
    and a password posted here is never looked at."""
    next_url = safe_next(request) or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, settings.LOGIN_URL)
    if not admin.site.has_permission(request):
        # The admin sends signed-in people here when they may not use it; sending them to
        # sign in again would loop.
        raise PermissionDenied(gettext("This account may not use the admin."))
    return redirect(next_url)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view for the emailed link. A new password set through it also clears the
    failed sign-ins counted against the account: resetting is the owner's way past them."""

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        limits.password_was_reset(self.request, email=form.user.email)
        return response


_send_reset_link = auth_views.PasswordResetView.as_view(
    form_class=EmailPasswordResetForm,
    template_name="accounts/password_reset.html",
    subject_template_name="accounts/email/password_reset_subject.txt",
    email_template_name="accounts/email/password_reset.txt",
    extra_email_context={"site_name": settings.SITE_NAME},
    success_url=reverse_lazy("accounts:password_reset_done"),
)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Django's reset view, behind a limit per address and per network."""
    if request.method == "POST":
        email = request.POST.get("email", "")
        if refusal := limits.check_password_reset(request, email=email):
            context = {"form": EmailPasswordResetForm(initial={"email": email})}
            return _refused(request, "accounts/password_reset.html", context, refusal)
    return _send_reset_link(request)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("/")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_profile(user=user, **form.cleaned_data)
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    else:
        form = _profile_form(user)
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "about_form": LearnerProfileForm(initial=_learner_profile(user))},
    )


def _profile_form(user: User) -> ProfileForm:
    return ProfileForm(
        initial={
            "display_name": user.display_name,
            "bio": user.bio,
            "show_comments_on_profile": user.show_comments_on_profile,
            "daily_digest": user.daily_digest,
        }
    )


def _learner_profile(user: User) -> dict[str, str]:
    fields = list(LearnerProfileForm.base_fields)
    return LearnerProfile.objects.filter(user=user).values(*fields).first() or {}


@login_required
@never_cache
@require_POST
def about_you(request: HttpRequest) -> HttpResponse:
    """Saves the profile page's "About you" (the learner profile of the research data); on
    an error, the page again with what was chosen."""
    user = cast(User, request.user)
    about_form = LearnerProfileForm(request.POST)
    if about_form.is_valid():
        services.update_learner_profile(user=user, **about_form.cleaned_data)
        messages.success(request, gettext("Your answers about you are saved."))
        return redirect(reverse("accounts:profile") + "#about-you")
    context = {"form": _profile_form(user), "about_form": about_form}
    return render(request, "accounts/profile.html", context)
