"""`stoa team add` and `stoa team remove`, and joining a team in the admin; a package
re-import keeps the members added on the site."""

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from stoa.courses.models import Course, CourseTeamMember, TeamRole
from stoa.courses.package import course_spec_from_models
from stoa.courses.services import import_package
from stoa.lib.shared import shared_dir
from stoa.testing import make_user


def on_team(user, course) -> bool:
    """On the course's team with their account: what lets them see every week and moderate."""
    return CourseTeamMember.objects.filter(course=course, user=user).exists()


pytestmark = pytest.mark.django_db

EXAMPLE_PACKAGE = shared_dir() / "examples" / "qi-basics"


def team(course: Course) -> list[tuple[int, str, str, str | None, bool]]:
    return [
        (m.position, m.name, m.role, m.user.email if m.user else None, m.from_package)
        for m in course.team.select_related("user").order_by("position")
    ]


@pytest.fixture
def mentor(db):
    return make_user("mo@example.org", name="Mo Mentor")


def test_team_add_puts_the_account_on_the_team_with_its_role(course, mentor, capsys):
    call_command("team", "add", course.slug, "MO@example.org", "--role", "mentor")
    assert team(course)[-1] == (2, "Mo Mentor", "mentor", "mo@example.org", False)
    assert "Added mo@example.org to the team of reading-data as Mentor." in capsys.readouterr().out
    assert on_team(mentor, course)


def test_team_add_again_changes_the_role(course, mentor, capsys):
    call_command("team", "add", course.slug, mentor.email, "--role", "mentor")
    call_command("team", "add", course.slug, mentor.email, "--role", "host")
    call_command("team", "add", course.slug, mentor.email, "--role", "host")
    output = capsys.readouterr().out
    assert "mo@example.org is now Host on reading-data." in output
    assert "mo@example.org already is Host on reading-data." in output
    assert course.team.filter(user=mentor).get().role == TeamRole.HOST
    assert course.team.count() == 2


def test_team_add_links_the_package_s_member_of_the_same_name(course, capsys):
    CourseTeamMember.objects.filter(course=course).update(from_package=True)
    ana = make_user("ana@example.org", name="Dr Ana Lima")
    call_command("team", "add", course.slug, ana.email, "--role", "lead-educator")
    assert team(course) == [(1, "Dr Ana Lima", "lead-educator", "ana@example.org", True)]
    assert "Linked ana@example.org to Dr Ana Lima" in capsys.readouterr().out


def test_changing_the_role_of_a_member_the_package_lists_warns_of_the_next_import(
    course, educator, capsys
):
    CourseTeamMember.objects.filter(course=course).update(from_package=True)
    call_command("team", "add", course.slug, educator.email, "--role", "host")
    out = capsys.readouterr().out
    assert "is now Host on reading-data." in out
    assert "the course package lists Dr Ana Lima too, so importing it again sets" in out


def test_team_remove_deletes_a_member_the_command_added(course, mentor, capsys):
    call_command("team", "add", course.slug, mentor.email, "--role", "mentor")
    call_command("team", "remove", course.slug, mentor.email)
    assert "Removed mo@example.org from the team of reading-data." in capsys.readouterr().out
    assert not course.team.filter(name="Mo Mentor").exists()
    assert not on_team(mentor, course)


def test_team_remove_unlinks_a_member_the_package_lists(course, educator):
    CourseTeamMember.objects.filter(course=course).update(from_package=True)
    call_command("team", "remove", course.slug, educator.email)
    assert team(course) == [(1, "Dr Ana Lima", "lead-educator", None, True)]
    assert not on_team(educator, course)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "no-such-course", "mo@example.org", "--role", "mentor"], "No course with slug"),
        (["add", "reading-data", "nobody@example.org", "--role", "mentor"], "No account with"),
        (["add", "reading-data", "mo@example.org", "--role", "tutor"], "'tutor' is not a team"),
        (["remove", "no-such-course", "mo@example.org"], "No course with slug"),
        (["remove", "reading-data", "nobody@example.org"], "No account with"),
        (["remove", "reading-data", "mo@example.org"], "is not on the team of reading-data"),
    ],
)
def test_team_command_refuses_bad_input_clearly(course, mentor, args, message):
    before = team(course)
    with pytest.raises(CommandError, match=message) as refusal:
        call_command("team", *args)
    assert refusal.value.returncode == 1
    assert team(course) == before


def test_a_re_import_keeps_the_members_added_on_the_site(settings, tmp_path: Path, mentor):
    settings.MEDIA_ROOT = tmp_path / "media"
    package = tmp_path / "qi-basics"
    shutil.copytree(EXAMPLE_PACKAGE, package, copy_function=shutil.copyfile)
    course = import_package(root=package).course
    listed = team(course)
    assert listed and all(member[4] for member in listed)
    call_command("team", "add", course.slug, mentor.email, "--role", "mentor")

    import_package(root=package)
    assert team(course) == [
        *listed,
        (len(listed) + 1, "Mo Mentor", "mentor", "mo@example.org", False),
    ]
    # The export is the author's package: members added on the site are not in it.
    assert "Mo Mentor" not in {member.name for member in course_spec_from_models(course).team}

    # A package that lists one member fewer removes theirs, and only theirs.
    course_yaml = package / "course.yaml"
    text = course_yaml.read_text()
    sam = (
        "  - name: Sam Lindqvist\n    role: mentor\n"
        "    bio: Improvement advisor; answers questions in the comments.\n"
    )
    assert listed[-1][1] == "Sam Lindqvist" and text.count(sam) == 1
    course_yaml.write_text(text.replace(sam, ""))
    import_package(root=package)
    assert team(course) == [
        *listed[:-1],
        (len(listed), "Mo Mentor", "mentor", "mo@example.org", False),
    ]


class FormFields(HTMLParser):
    """The values a browser would submit from a page's form: inputs, selected options,
    textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in {"submit", "checkbox"}:
            self.values[name] = attr.get("value") or ""
        elif tag == "input" and name and "checked" in attr:
            self.values[name] = attr.get("value") or "on"
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.values[self._select] = attr.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n")


def test_an_admin_adds_an_account_to_a_course_team(client, course, admin_user, mentor):
    client.force_login(admin_user)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "courses",
            "model_name": "courseteammember",
            "field_name": "user",
            "term": "mo@",
        },
    ).json()
    assert [result["text"] for result in found["results"]] == ["Mo Mentor"]

    change = reverse("admin:courses_course_change", args=[course.pk])
    form = FormFields()
    form.feed(client.get(change).content.decode())
    data = {name: value for name, value in form.values.items() if "__prefix__" not in name}
    data |= {
        "team-TOTAL_FORMS": "2",
        "team-1-position": "2",
        "team-1-name": "Mo Mentor",
        "team-1-role": "mentor",
        "team-1-bio": "",
        "team-1-user": str(mentor.pk),
        "team-1-course": str(course.pk),
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member = course.team.get(user=mentor)
    assert (member.role, member.from_package) == ("mentor", False)  # a re-import keeps it
    assert on_team(mentor, course)
