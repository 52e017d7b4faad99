"""The certificate PDF, read back with poppler-utils (installed by scripts/system-packages):
pdfinfo for its pages, pdftotext for what it says, pdftoppm for a picture of page 1 saved under
test-output/certificates/ for people to look at."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest

from stoa.certificates.models import Certificate
from stoa.certificates.pdf import certificate_pdf, offline_fetcher, text_direction
from stoa.learning.services import enrol

pytestmark = pytest.mark.django_db

ISSUED_AT = datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC)
# pdftotext wraps right-to-left runs in embedding marks (U+202B ... U+202C); they are not text.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def make_certificate(course, learner):
    """A certificate for the learner on the course, saying what a finished course would."""
    enrolment = enrol(user=learner, course=course)

    def make(**fields) -> Certificate:
        values = {
            "kind": Certificate.Kind.ACHIEVEMENT,
            "issued_at": ISSUED_AT,
            "holder_name": "Zoë Ñúñez-Østergård",
            "course_title": course.title,
            "organisations": ["Harbour University", "North Coast College"],
            "week_count": 3,
            "hours_per_week": 3,
            "lead_educator": "Dr Ana Lima",
            "outcomes": [
                "Explain what an average does and does not tell you",
                "Judge whether a chart in a news story is honest",
            ],
            "weeks": ["Numbers in the news", "Charts and what they hide", "Better questions"],
            "steps_completed": 41,
            "step_count": 45,
            "test_average": 7850,
            **fields,
        }
        return Certificate.objects.create(
            enrolment=enrolment, user=learner, course=course, run=enrolment.run, **values
        )

    return make


@pytest.fixture
def certificates_folder(pytestconfig) -> Path:
    folder = pytestconfig.rootpath / "test-output" / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def verify_url(certificate: Certificate) -> str:
    return f"https://stoa.example.org/certificates/{certificate.code}/"


def write_pdf(certificate: Certificate, tmp_path: Path) -> Path:
    path = tmp_path / f"{certificate.code}.pdf"
    path.write_bytes(certificate_pdf(certificate, verify_url=verify_url(certificate)))
    return path


def poppler(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, text=True
    ).stdout


def text_of(pdf: Path) -> str:
    """The PDF's text in reading order, with runs of white space made one space."""
    return " ".join(BIDI_CONTROLS.sub("", poppler("pdftotext", pdf, "-")).split())


def save_first_page(pdf: Path, folder: Path, name: str) -> Path:
    poppler("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, folder / name)
    return folder / f"{name}.png"


def test_certificate_is_two_a4_landscape_pages(make_certificate, tmp_path):
    info = poppler("pdfinfo", write_pdf(make_certificate(), tmp_path))
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE)
    # Points: 297 by 210 mm is 841.89 by 595.28, wider than high.
    assert re.search(r"^Page size:\s+841\.89 x 595\.2\d* pts \(A4\)$", info, re.MULTILINE)


def test_certificate_says_who_earned_what_and_where_to_verify_it(
    make_certificate, tmp_path, certificates_folder
):
    certificate = make_certificate()
    pdf = write_pdf(certificate, tmp_path)
    text = text_of(pdf)
    for words in (
        "Certificate of Achievement",
        "This is to certify that Zoë Ñúñez-Østergård has completed the course",
        "Reading Data in the News",
        "A course by Harbour University and North Coast College",
        "3 weeks, 3 hours per week",
        "12 March 2026",
        "Dr Ana Lima",
        "Lead educator",
        certificate.code,
        verify_url(certificate),
    ):
        assert words in text
    png = save_first_page(pdf, certificates_folder, "certificate-latin")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_transcript_lists_outcomes_weeks_steps_and_score(make_certificate, tmp_path):
    text = text_of(write_pdf(make_certificate(), tmp_path))
    transcript = text[text.index("Transcript of learning") :]
    for words in (
        "Zoë Ñúñez-Østergård",
        "Learning outcomes",
        "Judge whether a chart in a news story is honest",
        "Week 1: Numbers in the news",
        "Week 3: Better questions",
        "41 of 45 steps",
        "78.5%",
    ):
        assert words.casefold() in transcript.casefold()  # the headings are set in capitals


@pytest.mark.parametrize(
    ("name", "script", "font"),
    [("ليلى عبد الله", "arabic", "Amiri"), ("נועה כהן", "hebrew", "Ezra-SIL")],
)
def test_right_to_left_names_come_out_whole(
    make_certificate, tmp_path, certificates_folder, name, script, font
):
    pdf = write_pdf(make_certificate(holder_name=name), tmp_path)
    # Set in the font that scripts/system-packages installs for the script, not in boxes.
    assert f"+{font} " in poppler("pdffonts", pdf)
    # In logical order, as typed: pdftotext puts right-to-left runs back in reading order.
    text = text_of(pdf)
    assert f"This is to certify that {name} has completed the course" in text
    assert text.count(name) == 2  # the certificate and the transcript
    save_first_page(pdf, certificates_folder, f"certificate-{script}")


def test_participation_without_tests_hours_or_outcomes_leaves_them_out(make_certificate, tmp_path):
    certificate = make_certificate(
        kind=Certificate.Kind.PARTICIPATION,
        organisations=["Harbour University"],
        week_count=1,
        hours_per_week=None,
        outcomes=[],
        weeks=["Numbers in the news"],
        lead_educator="",
        test_average=None,
    )
    text = text_of(write_pdf(certificate, tmp_path))
    assert "Certificate of Participation" in text
    assert "has participated in the course" in text
    assert "A course by Harbour University 1 week" in text
    for missing in ("hours per week", "Lead educator", "Learning outcomes", "test score"):
        assert missing.casefold() not in text.casefold()


def test_longest_name_and_title_stay_on_the_first_page(make_certificate, tmp_path):
    certificate = make_certificate(
        holder_name=("Maria Fernanda de los Ángeles Gutiérrez-Villanueva " * 4)[:200],
        course_title=("Climate Science, Policy and Communication for Teachers " * 4)[:200],
    )
    pdf = write_pdf(certificate, tmp_path)
    assert re.search(r"^Pages:\s+2$", poppler("pdfinfo", pdf), re.MULTILINE)
    first_page = poppler("pdftotext", "-l", "1", pdf, "-")
    assert certificate.code in first_page


def test_rendering_fetches_only_data_urls():
    fetcher = offline_fetcher()
    for url in ("https://example.org/logo.png", "http://127.0.0.1/", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Zoë", "ltr"),
        ("ليلى", "rtl"),
        ("נועה", "rtl"),
        ("2. ليلى", "rtl"),  # digits and punctuation have no direction of their own
        ("", "ltr"),
    ],
)
def test_text_direction_follows_the_first_strong_letter(text, direction):
    assert text_direction(text) == direction
