import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from stoa.lib.sharing import (
    course_description,
    linkedin_add_to_profile_url,
    plain_excerpt,
    share_links,
    step_description,
)

URL = "https://stoa.example.org/courses/reading-data/steps/1.2/?a=1&b=2"
TITLE = 'Averages & "outliers" <b>+ more</b>'


def links_by_kind():
    return {link.kind: link for link in share_links(URL, TITLE, "Why the mean misleads.")}


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_every_network_is_a_plain_link_with_an_accessible_name():
    links = share_links(URL, TITLE)
    assert [link.kind for link in links] == ["email", "linkedin", "mastodon", "x", "facebook"]
    assert [link.label for link in links] == [
        "Share by email",
        "Share on LinkedIn",
        "Share on Mastodon",
        "Share on X",
        "Share on Facebook",
    ]


def test_email_has_the_title_as_subject_and_the_text_and_address_in_the_body():
    href = links_by_kind()["email"].href
    assert href.startswith("mailto:?")
    params = parse_qs(href.removeprefix("mailto:?"))
    assert params["subject"] == [TITLE]
    assert params["body"] == [f"{TITLE}: Why the mean misleads.\n\n{URL}"]
    # Spaces as %20: mail programs read a + in a mailto: link as a plus sign.
    assert "+" not in href.replace("%2B", "")
    assert "%20" in href


def test_networks_get_the_address_encoded_so_its_own_query_survives():
    links = links_by_kind()
    linkedin = links["linkedin"].href
    assert linkedin.startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert query(linkedin) == {"url": [URL]}
    assert "url=https%3A%2F%2Fstoa.example.org%2F" in linkedin
    facebook = links["facebook"].href
    assert facebook.startswith("https://www.facebook.com/sharer/sharer.php?")
    assert query(facebook) == {"u": [URL]}
    x = links["x"].href
    assert x.startswith("https://x.com/intent/post?")
    assert query(x) == {"url": [URL], "text": [TITLE]}


def test_mastodon_goes_through_an_instance_picker_with_the_text_in_the_fragment():
    href = links_by_kind()["mastodon"].href
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://tootpick.org/"
    assert parts.query == ""
    # The fragment never reaches the picker's server.
    assert parts.fragment.startswith("text=")
    assert unquote(parts.fragment.removeprefix("text=")) == f"{TITLE} {URL}"
    assert "&" not in parts.fragment and " " not in parts.fragment


def test_linkedin_add_to_profile_fills_in_the_certification():
    href = linkedin_add_to_profile_url(
        name="Certificate of Achievement: Reading Data & Numbers",
        organisation="Harbour University and Stoa",
        issued_on=datetime.date(2026, 3, 9),
        certificate_url="https://stoa.example.org/certificates/AB12-CD34/",
        certificate_id="AB12-CD34",
    )
    assert href.startswith("https://www.linkedin.com/profile/add?")
    assert query(href) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["Certificate of Achievement: Reading Data & Numbers"],
        "organizationName": ["Harbour University and Stoa"],
        "issueYear": ["2026"],
        "issueMonth": ["3"],
        "certUrl": ["https://stoa.example.org/certificates/AB12-CD34/"],
        "certId": ["AB12-CD34"],
    }


# --- descriptions ---


def test_excerpt_is_plain_text_without_markdown_or_html():
    body = (
        "# Why averages mislead\n\n"
        "![A chart](media/chart.png)\n\n"
        "The **mean** of a _skewed_ set <b>hides</b> its [outliers](https://example.org).\n"
        "Use `median()` instead.\n\n"
        "```\ncode()\n```\n"
    )
    assert plain_excerpt(body) == (
        "The mean of a skewed set hides its outliers. Use median() instead."
    )


def test_excerpt_stops_after_the_last_whole_sentence_that_fits():
    first = "A" * 120 + "."
    second = "It goes on" + " and on" * 20 + "."
    assert len(first + " " + second) > 200
    assert plain_excerpt(f"{first} {second}") == first
    assert plain_excerpt(f"{first}\n\n{second}") == first


def test_an_excerpt_of_one_long_sentence_ends_at_a_word_with_an_ellipsis():
    text = "word " * 60
    excerpt = plain_excerpt(text)
    assert len(excerpt) <= 200
    assert excerpt.endswith("word…")


def test_a_short_text_is_kept_whole_and_an_empty_one_gives_nothing():
    assert plain_excerpt("Just this.") == "Just this."
    assert plain_excerpt("") == ""
    assert plain_excerpt("## Only a heading") == ""


def test_descriptions_name_the_partners():
    assert course_description("Read the numbers.", partners=["Uni A", "Uni B", "Uni C"]) == (
        "Read the numbers. A free online course by Uni A, Uni B and Uni C."
    )
    assert course_description("Read the numbers.", partners=[]) == "Read the numbers."
    assert step_description("Means mislead.", course="Reading Data", partners=["Uni A"]) == (
        "Means mislead. From “Reading Data”, a free online course by Uni A."
    )
    assert step_description("", course="Reading Data", partners=[]) == (
        "From “Reading Data”, a free online course."
    )
