"""Certificates' pages: the learner's achievements, the public verification page (which the
course team also revokes and restores from), and the holder's downloads. Views map refusals
to responses; the services and selectors decide."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stoa.certificates import selectors, services
from stoa.certificates.models import Certificate
from stoa.courses.permissions import Can, may
from stoa.lib import ratelimit
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.refusals import AlreadyDone, Invalid, NotFound, TooMany
from stoa.lib.sharing import linkedin_add_to_profile_url

# Look-ups by code, per client address: plenty for people, too few to guess codes by.
LOOKUPS_PER_ADDRESS = 60
LOOKUP_WINDOW_SECONDS = 60


def _looked_up(request: HttpRequest, code: str) -> Certificate:
    """The certificate with the code, counting the look-up against the client's address."""
    result = ratelimit.hit(
        "certificate-lookup",
        ratelimit.client_ip(request),
        limit=LOOKUPS_PER_ADDRESS,
        window_seconds=LOOKUP_WINDOW_SECONDS,
    )
    if not result.allowed:
        raise TooMany(_("Too many look-ups."), retry_after=result.retry_after)
    return _certificate(code)


def _certificate(code: str) -> Certificate:
    certificate = selectors.certificate_at(code)
    if certificate is None:
        raise NotFound(
            _("There is no certificate with this code. Check it against the certificate.")
        )
    return certificate


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(
        request,
        "certificates/too_many.html",
        {"retry_after_minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _holders(request: HttpRequest, code: str) -> Certificate:
    """The certificate, for its holder only: to anyone else it does not exist."""
    certificate = selectors.certificate_at(code)
    if certificate is None or certificate.user_id != request.user.pk:
        raise NotFound(_("There is no certificate of yours with this code."))
    return certificate


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    try:
        certificate = _looked_up(request, code)
    except TooMany as refusal:
        return _too_many(request, refusal.retry_after)
    is_holder = certificate.user_id == request.user.pk
    is_team = may(user=request.user, course=certificate.course, action=Can.REVOKE_CERTIFICATES)
    url = settings.SITE_URL + certificate.get_absolute_url()
    title = _("%(kind)s: %(course)s") % {
        "kind": certificate.get_kind_display(),
        "course": certificate.course_title,
    }
    context = {
        "certificate": certificate,
        "is_holder": is_holder,
        "is_team": is_team,
        "decisions": selectors.decisions_on(certificate) if is_team else [],
        "verify_url": url,
        "shareable": not certificate.is_revoked,
        "share_title": title,
        "meta_description": _("%(kind)s awarded to %(name)s for %(course)s%(by)s.")
        % {
            "kind": certificate.get_kind_display(),
            "name": certificate.holder_name,
            "course": certificate.course_title,
            "by": (" " + _("by %(partners)s") % {"partners": ", ".join(certificate.organisations)})
            if certificate.organisations
            else "",
        },
        "linkedin_url": linkedin_add_to_profile_url(
            name=title,
            organisation=", ".join(certificate.organisations) or settings.SITE_NAME,
            issued_on=services.issued_on(certificate),
            certificate_url=url,
            certificate_id=certificate.code,
        )
        if is_holder and not certificate.is_revoked
        else "",
    }
    return render(request, "certificates/verify.html", context)


@login_required
@require_GET
def achievements(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "certificates/achievements.html",
        {"certificates": selectors.certificates_of(user=request.user)},
    )


@login_required
@require_GET
def pdf(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    from stoa.certificates.pdf import certificate_pdf

    certificate = _holders(request, code)
    if certificate.is_revoked:
        raise NotFound(_("This certificate was revoked, so it cannot be downloaded."))
    body = certificate_pdf(
        certificate, verify_url=settings.SITE_URL + certificate.get_absolute_url()
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    return response


@login_required
@require_GET
def credential(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    from stoa.certificates.credentials import credential_for

    certificate = _holders(request, code)
    if certificate.is_revoked:
        raise NotFound(_("This certificate was revoked, so it cannot be downloaded."))
    response = JsonResponse(
        credential_for(certificate, origin=settings.SITE_URL),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.code}.credential.json"'
    )
    return response


@require_GET
def status(request: HttpRequest, code: str) -> HttpResponse:
    from stoa.certificates.credentials import status_document

    try:
        certificate = _looked_up(request, code)
    except TooMany as refusal:
        response = JsonResponse({"error": "too many look-ups"}, status=429)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return JsonResponse(status_document(certificate))


@require_GET
def site_key(request: HttpRequest) -> HttpResponse:
    from stoa.certificates.credentials import public_key_document

    return JsonResponse(public_key_document(settings.SITE_URL))


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    certificate = _certificate(code)
    return _decided(
        request,
        certificate,
        lambda: services.revoke(
            certificate=certificate, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("The certificate is revoked. Its page now says so."),
    )


@login_required
@require_POST
def restore(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    certificate = _certificate(code)
    return _decided(
        request,
        certificate,
        lambda: services.restore(certificate=certificate, by=request.user),
        _("The certificate is valid again."),
    )


def _decided(request: HttpRequest, certificate: Certificate, decide, done: str) -> HttpResponse:
    """Carries out the team's decision and goes back to the certificate's page, saying what
    happened or why not (NotAllowed passes on as a 403)."""
    try:
        decide()
    except (Invalid, AlreadyDone) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return redirect(certificate)
