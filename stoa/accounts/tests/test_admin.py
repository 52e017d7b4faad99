"""Django's admin: staff sign in through Stoa's sign-in page, under its limits, and the admin's
forms for accounts refuse one without a name."""

import pytest
from django.urls import reverse

from stoa.accounts import limits
from stoa.accounts.models import User
from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")
SIGNIN = reverse("accounts:signin")
NEW_PASSWORD = "lanterns-over-the-water"


def test_the_admin_sign_in_page_sends_people_to_stoas(client):
    response = client.get(ADMIN_LOGIN, {"next": "/admin/courses/course/"})

    assert response.status_code == 302
    assert response["Location"] == f"{SIGNIN}?next=/admin/courses/course/"


def test_the_admin_sign_in_page_checks_no_password_so_cannot_be_used_to_guess(client, admin_user):
    wrong = {"username": "admin@example.org", "password": "not-it-at-all", "next": "/admin/"}
    for _ in range(30):
        client.post(ADMIN_LOGIN, wrong)

    response = client.post(ADMIN_LOGIN, {**wrong, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == f"{SIGNIN}?next=/admin/"
    assert "_auth_user_id" not in client.session


def test_guessing_a_staff_password_meets_stoas_sign_in_limits(client, admin_user):
    wrong = {"username": "admin@example.org", "password": "not-it-at-all", "next": "/admin/"}
    for _ in range(limits.SIGN_IN_PER_PAIR.limit):
        client.post(ADMIN_LOGIN, wrong, follow=True)
        assert client.post(SIGNIN, wrong).status_code == 200

    response = client.post(SIGNIN, {**wrong, "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_staff_reach_the_admin_after_signing_in(client, admin_user):
    page = client.get("/admin/", follow=True)
    assert page.redirect_chain[-1][0] == f"{SIGNIN}?next=/admin/"

    response = client.post(
        page.redirect_chain[-1][0], {"username": "admin@example.org", "password": PASSWORD}
    )

    assert response["Location"] == "/admin/"
    assert "Site administration" in client.get("/admin/").text


def test_signed_in_staff_are_sent_on_from_the_admin_sign_in_page(client, admin_user):
    client.force_login(admin_user)

    response = client.get(ADMIN_LOGIN, {"next": "/admin/courses/course/"})

    assert response["Location"] == "/admin/courses/course/"


def test_a_signed_in_learner_is_refused_the_admin(client, learner):
    client.force_login(learner)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "This account may not use the admin." in response.text


def add_account(client, **overrides):
    data = {
        "email": "lin@example.org",
        "display_name": "Lin Wei",
        "usable_password": "true",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    return client.post(reverse("admin:accounts_user_add"), {**data, **overrides})


@pytest.mark.parametrize("name", ["", "   "])
def test_the_admin_cannot_add_an_account_without_a_name(client, admin_user, name):
    client.force_login(admin_user)

    response = add_account(client, display_name=name)

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not User.objects.filter(email="lin@example.org").exists()
    assert add_account(client).status_code == 302  # the same, with a name


def change_account(client, user, **overrides):
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "bio": "",
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:30:00",
    }
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), {**data, **overrides})


@pytest.mark.parametrize("name", ["", "   "])
def test_the_admin_cannot_blank_an_accounts_name(client, admin_user, learner, name):
    client.force_login(admin_user)

    response = change_account(client, learner, display_name=name)

    assert response.status_code == 200
    assert "This field is required." in response.text
    learner.refresh_from_db()
    assert learner.display_name == "Lee Learner"
    assert change_account(client, learner, display_name="Lee L.").status_code == 302
