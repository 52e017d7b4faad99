"""The certificate as a PDF: page 1 the certificate, page 2 the transcript of learning.

WeasyPrint lays out certificates/pdf.html with the machine's own fonts, which
scripts/system-packages installs: EB Garamond for Latin, Amiri for Arabic, Ezra SIL for
Hebrew, and DejaVu for whatever else a name is written in. Pango picks a font for each
character from the stylesheet's list and HarfBuzz shapes it, so a name in any of those scripts
comes out joined and in its own direction.

Rendering reads nothing from the network or the disk: the QR code is inline SVG, the stylesheet
is in the page, and the fetcher takes only data: URLs. Callers pass the verification address
in, so this module needs no request and no URLconf.
"""

import unicodedata

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import get_text_list
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from stoa.certificates.models import Certificate

# Past these lengths the name and the title take a smaller size (pdf.css's holder--medium,
# holder--small and course--...), so that the longest the fields hold (200 characters each)
# still clears the signatures at the foot of page 1.
NAME_LENGTHS = (32, 72)
TITLE_LENGTHS = (64, 128)


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    context = {
        "certificate": certificate,
        "language": get_language() or settings.LANGUAGE_CODE,
        "site_name": settings.SITE_NAME,
        "verify_url": verify_url,
        "qr_code": _qr_svg(verify_url),
        "partners": get_text_list(certificate.organisations, _("and")),
        "holder_dir": text_direction(certificate.holder_name),
        "holder_size": _size(certificate.holder_name, NAME_LENGTHS),
        "title_dir": text_direction(certificate.course_title),
        "title_size": _size(certificate.course_title, TITLE_LENGTHS),
        "educator_dir": text_direction(certificate.lead_educator),
        "outcomes": [(outcome, text_direction(outcome)) for outcome in certificate.outcomes],
        "weeks": [
            (number, title, text_direction(title))
            for number, title in enumerate(certificate.weeks, start=1)
        ],
    }
    html = render_to_string("certificates/pdf.html", context)
    # No base_url: a relative URL resolves to nothing rather than to a file or the site.
    # Tagged, so that screen readers read the certificate in order.
    return HTML(string=html, url_fetcher=offline_fetcher()).write_pdf(pdf_tags=True)


def offline_fetcher() -> URLFetcher:
    """A fetcher that takes data: URLs only: no network, no file on the server."""
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def text_direction(text: str) -> str:
    """The text's direction, "rtl" or "ltr", from its first letter with a strong direction, as
    dir="auto" decides in a browser: WeasyPrint does not read dir="auto", so the template gets
    the answer."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _size(text: str, lengths: tuple[int, int]) -> str:
    medium, small = lengths
    return "large" if len(text) <= medium else "medium" if len(text) <= small else "small"


def _qr_svg(url: str) -> str:
    # No quiet zone in the SVG: the page leaves more than the four modules' margin round it,
    # and without one the code's edge lines up with the text beside it.
    qr = segno.make_qr(url, error="m")
    svg = qr.svg_inline(
        scale=1,
        border=0,
        omitsize=True,
        dark="#1c2541",
        svgclass="qr-code",
        lineclass=None,
        title=_("QR code of %(url)s") % {"url": url},
    )
    return mark_safe(svg)  # segno escapes the title; the rest is its own path data
