"""The Team tab: inviting by email, accepting the emailed link, changing roles, removing, and
the rules that keep a lead educator on the course and package members in the package."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.accounts.models import User
from stoa.courses import services
from stoa.courses.models import CourseTeamMember, TeamInvitation, TeamRole
from stoa.lib.refusals import Invalid, NotAllowed
from stoa.testing import PASSWORD, expect_queries, make_user, signed_in

pytestmark = pytest.mark.django_db


def add_member(course, email: str, role: TeamRole, *, from_package: bool = False) -> User:
    user = make_user(email, name=email.split("@")[0].title())
    position = CourseTeamMember.objects.filter(course=course).count() + 1
    CourseTeamMember.objects.create(
        course=course,
        position=position,
        name=user.display_name,
        role=role,
        user=user,
        from_package=from_package,
    )
    return user


def member_of(course, user) -> CourseTeamMember:
    return CourseTeamMember.objects.get(course=course, user=user)


def link_in(message) -> str:
    match = re.search(r"http://\S+/invitations/\S+/", message.body)
    assert match, message.body
    return match.group(0).removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the block leaves for after commit (the emails), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def team_url(course):
    return reverse("team:list", args=[course.slug])


# --- Inviting ---------------------------------------------------------------------------


def test_inviting_an_existing_account_puts_it_on_the_team_at_once(
    course, educator, outsider, team_url, committed
):
    client = signed_in(educator)
    with committed():
        response = client.post(
            reverse("team:invite", args=[course.slug]),
            {"email": " OLU@Example.org ", "role": TeamRole.EDUCATOR},
        )
    assert response.status_code == 302
    assert member_of(course, outsider).role == TeamRole.EDUCATOR
    assert not TeamInvitation.objects.exists()
    (message,) = mail.outbox
    assert message.to == [outsider.email]
    assert course.title in message.subject
    assert f"/teach/{course.slug}/" in message.body
    assert ">Teach</a>" in signed_in(outsider).get("/").content.decode()
    page = client.get(team_url).content.decode()
    assert "Olu Outsider is on the team now, as Educator." in page


def test_inviting_an_account_already_on_the_team_is_refused(course, educator):
    mentor = add_member(course, "mo@example.org", TeamRole.MENTOR)
    with pytest.raises(Invalid, match="on the team already"):
        services.invite(course=course, by=educator, email=mentor.email, role=TeamRole.EDUCATOR)
    assert member_of(course, mentor).role == TeamRole.MENTOR


def test_a_new_address_gets_a_link_and_signs_up_through_it_onto_the_team(
    course, educator, team_url, committed
):
    with committed():
        signed_in(educator).post(
            reverse("team:invite", args=[course.slug]),
            {"email": "New.Person@Example.org", "role": TeamRole.MENTOR},
        )
    invitation = TeamInvitation.objects.get()
    assert invitation.email == "new.person@example.org"
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=14)
    (message,) = mail.outbox
    assert message.to == ["new.person@example.org"]
    link = link_in(message)
    assert "Dr Ana Lima invites you" in message.body

    visitor = Client()
    response = visitor.get(link)
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:signup")
        + "?next="
        + link.replace("/", "%2F")
        + "&email=new.person%40example.org"
    )
    form = visitor.get(response["Location"]).content.decode()
    assert 'name="email" value="new.person@example.org"' in form  # to keep, not to retype
    assert f'name="next" value="{link}"' in form
    response = visitor.post(
        reverse("accounts:signup"),
        {
            "email": "new.person@example.org",
            "display_name": "New Person",
            "password": PASSWORD,
            "next": link,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == team_url
    page = response.content.decode()
    assert "Welcome to the team of Reading Data in the News, as Mentor." in page
    user = User.objects.get(email="new.person@example.org")
    assert member_of(course, user).role == TeamRole.MENTOR
    user.refresh_from_db()
    assert user.teaches
    assert TeamInvitation.objects.get().accepted_at is not None


def test_a_used_link_is_refused(course, educator, committed):
    with committed():
        invitation = services.invite(course=course, by=educator, email="n@example.org", role="host")
    user = make_user("n@example.org")
    client = signed_in(user)
    assert client.get(link_in(mail.outbox[0])).status_code == 302
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 410
    assert "used already" in response.content.decode()
    assert isinstance(invitation, TeamInvitation)


def test_an_expired_link_is_refused_even_before_signing_up(course, educator, committed):
    with committed():
        services.invite(course=course, by=educator, email="n@example.org", role="mentor")
    TeamInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    link = link_in(mail.outbox[0])
    response = Client().get(link)
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    user = make_user("n@example.org")
    assert signed_in(user).get(link).status_code == 410
    assert not CourseTeamMember.objects.filter(user=user).exists()


def test_an_unknown_link_is_not_found(db):
    assert Client().get(reverse("team:invitation", args=["nope"])).status_code == 404


def test_a_link_sends_someone_with_an_account_to_sign_in(course, educator, committed):
    with committed():
        services.invite(course=course, by=educator, email="n@example.org", role="mentor")
    make_user("N@example.org")  # signed up meanwhile, by themselves
    response = Client().get(link_in(mail.outbox[0]))
    assert response["Location"].startswith(reverse("accounts:signin") + "?next=")
    assert "email" not in response["Location"]


def test_only_the_invited_address_may_accept(course, educator, learner, committed):
    with committed():
        services.invite(course=course, by=educator, email="n@example.org", role="educator")
    response = signed_in(learner).get(link_in(mail.outbox[0]))
    assert response.status_code == 403
    assert "another email address" in response.content.decode()
    assert not CourseTeamMember.objects.filter(user=learner).exists()


def test_inviting_twice_renews_the_invitation(course, educator, committed):
    with committed():
        services.invite(course=course, by=educator, email="n@example.org", role="mentor")
    first = TeamInvitation.objects.get()
    with committed():
        services.invite(course=course, by=educator, email="N@example.org", role="educator")
    renewed = TeamInvitation.objects.get()
    assert renewed.pk == first.pk and renewed.role == TeamRole.EDUCATOR
    assert renewed.token != first.token and renewed.expires_at > first.expires_at
    assert len(mail.outbox) == 2
    old_link, new_link = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    user = make_user("n@example.org")
    assert signed_in(user).get(old_link).status_code == 404
    signed_in(user).get(new_link)
    assert member_of(course, user).role == TeamRole.EDUCATOR


def test_a_cancelled_invitation_stops_working(course, educator, team_url, committed):
    with committed():
        services.invite(course=course, by=educator, email="n@example.org", role="mentor")
    invitation = TeamInvitation.objects.get()
    page = signed_in(educator).get(team_url).content.decode()
    assert "n@example.org" in page
    signed_in(educator).post(reverse("team:cancel", args=[course.slug, invitation.pk]))
    assert not TeamInvitation.objects.exists()
    assert Client().get(link_in(mail.outbox[0])).status_code == 404


def test_an_invalid_invitation_form_shows_its_errors(course, educator):
    response = signed_in(educator).post(
        reverse("team:invite", args=[course.slug]), {"email": "not an address", "role": "boss"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page and "Select a valid choice" in page
    assert not mail.outbox


# --- Roles and removal ------------------------------------------------------------------


def test_a_lead_educator_changes_a_role_and_removes_a_member(course, educator, team_url):
    mentor = add_member(course, "mo@example.org", TeamRole.MENTOR)
    member = member_of(course, mentor)
    client = signed_in(educator)
    client.post(reverse("team:role", args=[course.slug, member.pk]), {"role": "host"})
    member.refresh_from_db()
    assert member.role == TeamRole.HOST
    mentor.refresh_from_db()
    assert not mentor.teaches  # hosts have no workspace
    response = client.post(reverse("team:remove", args=[course.slug, member.pk]), follow=True)
    assert "Mo is off the team." in response.content.decode()
    assert not CourseTeamMember.objects.filter(user=mentor).exists()


def test_the_last_lead_educator_can_be_neither_removed_nor_demoted(course, educator, team_url):
    lead = member_of(course, educator)
    client = signed_in(educator)
    response = client.post(
        reverse("team:role", args=[course.slug, lead.pk]), {"role": "educator"}, follow=True
    )
    assert "only lead educator" in response.content.decode()
    response = client.post(reverse("team:remove", args=[course.slug, lead.pk]), follow=True)
    assert "only lead educator" in response.content.decode()
    lead.refresh_from_db()
    assert lead.role == TeamRole.LEAD_EDUCATOR

    # With a second lead educator, the first may step down.
    add_member(course, "second@example.org", TeamRole.LEAD_EDUCATOR)
    services.change_role(course=course, by=educator, member=lead, role="educator")
    lead.refresh_from_db()
    assert lead.role == TeamRole.EDUCATOR


def test_a_lead_educator_without_an_account_does_not_count(course, educator):
    CourseTeamMember.objects.create(
        course=course, position=5, name="Listed Lead", role=TeamRole.LEAD_EDUCATOR
    )
    with pytest.raises(Invalid, match="only lead educator"):
        services.remove_member(course=course, by=educator, member=member_of(course, educator))


def test_package_members_keep_the_package_as_their_source(course, educator, team_url):
    listed = add_member(course, "pk@example.org", TeamRole.EDUCATOR, from_package=True)
    member = member_of(course, listed)
    page = signed_in(educator).get(team_url).content.decode()
    assert "Course package" in page and "change them there and import it again" in page
    assert reverse("team:remove", args=[course.slug, member.pk]) not in page
    with pytest.raises(Invalid, match="listed in the course package"):
        services.change_role(course=course, by=educator, member=member, role="mentor")
    with pytest.raises(Invalid, match="listed in the course package"):
        services.remove_member(course=course, by=educator, member=member)
    response = signed_in(educator).post(
        reverse("team:remove", args=[course.slug, member.pk]), follow=True
    )
    assert "listed in the course package" in response.content.decode()
    assert CourseTeamMember.objects.filter(pk=member.pk).exists()


def test_a_member_of_another_course_is_not_found(course, educator, other_course_educator):
    elsewhere = CourseTeamMember.objects.get(user=other_course_educator)
    url = reverse("team:remove", args=[course.slug, elsewhere.pk])
    assert signed_in(educator).post(url).status_code == 404


# --- Who may do what --------------------------------------------------------------------


@pytest.fixture
def refused(course, learner, other_course_educator):
    """Everyone who may not manage this course's team, signed in."""
    people = {
        role: add_member(course, f"{role}@example.org", role)
        for role in (TeamRole.EDUCATOR, TeamRole.MENTOR, TeamRole.HOST)
    }
    return {**people, "learner": learner, "other course's educator": other_course_educator}


def test_only_those_who_manage_the_team_may_act_on_it(course, educator, refused):
    target = add_member(course, "target@example.org", TeamRole.MENTOR)
    member = member_of(course, target)
    services.invite(course=course, by=educator, email="n@example.org", role="mentor")
    invitation = TeamInvitation.objects.get()
    actions = [
        (reverse("team:invite", args=[course.slug]), {"email": "x@example.org", "role": "host"}),
        (reverse("team:role", args=[course.slug, member.pk]), {"role": "educator"}),
        (reverse("team:remove", args=[course.slug, member.pk]), {}),
        (reverse("team:cancel", args=[course.slug, invitation.pk]), {}),
    ]
    for url, data in actions:
        response = Client().post(url, data)
        assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
        for who, user in refused.items():
            assert signed_in(user).post(url, data).status_code == 403, (url, who)
    member.refresh_from_db()
    assert member.role == TeamRole.MENTOR
    assert TeamInvitation.objects.get() == invitation
    for user in refused.values():
        with pytest.raises(NotAllowed):
            services.invite(course=course, by=user, email="y@example.org", role="host")
        with pytest.raises(NotAllowed):
            services.change_role(course=course, by=user, member=member, role="host")
        with pytest.raises(NotAllowed):
            services.remove_member(course=course, by=user, member=member)


def test_the_team_reads_the_list_without_the_forms(course, educator, refused, team_url):
    page = signed_in(refused[TeamRole.MENTOR]).get(team_url).content.decode()
    assert "educator@example.org" in page  # account emails are for the team
    assert "Invite someone" not in page and "Change role" not in page


def test_staff_may_manage_the_team(course, educator, admin_user, outsider):
    services.invite(course=course, by=admin_user, email=outsider.email, role="host")
    assert member_of(course, outsider).role == TeamRole.HOST


def test_staff_find_invitations_in_the_admin_and_cannot_retype_their_link(
    client, course, educator, admin_user
):
    invitation = services.invite(course=course, by=educator, email="n@example.org", role="host")
    services.invite(course=course, by=educator, email="other@example.org", role="mentor")
    client.force_login(admin_user)
    changelist = reverse("admin:courses_teaminvitation_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert "n@example.org" in page.text and "other@example.org" in page.text
    found = client.get(changelist, {"q": "n@example"}).text
    assert "n@example.org" in found and "other@example.org" not in found
    assert "other@example.org" in client.get(changelist, {"role__exact": "mentor"}).text
    change = client.get(reverse("admin:courses_teaminvitation_change", args=[invitation.pk]))
    assert change.status_code == 200 and invitation.token in change.text
    assert 'name="token"' not in change.text and 'name="role"' in change.text
    assert client.get(reverse("admin:courses_teaminvitation_add")).status_code == 403


# --- Cost -------------------------------------------------------------------------------


def test_the_team_page_costs_the_same_with_2_or_20_members(
    course, educator, team_url, django_assert_num_queries
):
    client = signed_in(educator)
    add_member(course, "first@example.org", TeamRole.MENTOR)
    services.invite(course=course, by=educator, email="n0@example.org", role="host")
    expect_queries(client, django_assert_num_queries, team_url, 6)
    for number in range(20):
        add_member(course, f"m{number}@example.org", TeamRole.EDUCATOR)
        services.invite(course=course, by=educator, email=f"n{number}@example.org", role="host")
    expect_queries(client, django_assert_num_queries, team_url, 6)
