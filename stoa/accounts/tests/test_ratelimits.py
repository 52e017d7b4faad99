"""Sign-in and sign-up refuse people who try too often, saying why and for how long."""

import re

import pytest
from django.urls import reverse

from stoa.accounts import limits

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNIN = reverse("accounts:signin")
SIGNUP = reverse("accounts:signup")
WAIT = r"Try again in about (a minute|\d+ minutes)\."


def fail_to_sign_in(client, email="ada@example.org", **extra):
    return client.post(SIGNIN, {"username": email, "password": "not-it-at-all"}, **extra)


def test_sign_in_is_limited_per_address(client, learner):
    for _ in range(limits.SIGN_IN_PER_ADDRESS.limit):
        assert fail_to_sign_in(client).status_code == 200

    response = fail_to_sign_in(client, email="ADA@example.org")

    assert response.status_code == 429
    assert re.search(f"Too many sign-in attempts for this address. {WAIT}", response.text)
    assert 'value="ADA@example.org"' in response.text
    assert int(response["Retry-After"]) > 0
    assert "<title>Error: Sign in" in response.text


def test_a_limited_address_cannot_sign_in_even_with_the_right_password(client, learner):
    for _ in range(limits.SIGN_IN_PER_ADDRESS.limit):
        fail_to_sign_in(client)

    response = client.post(SIGNIN, {"username": "ada@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_limited_address_does_not_stop_other_addresses(client, learner, other_learner):
    for _ in range(limits.SIGN_IN_PER_ADDRESS.limit + 1):
        fail_to_sign_in(client)

    response = client.post(SIGNIN, {"username": "grace@example.org", "password": PASSWORD})

    assert response.status_code == 302


def test_sign_ins_that_succeed_do_not_use_up_the_allowance(client, learner):
    for _ in range(limits.SIGN_IN_PER_ADDRESS.limit + 2):
        response = client.post(SIGNIN, {"username": "ada@example.org", "password": PASSWORD})
        assert response.status_code == 302
        client.logout()


def test_sign_in_is_limited_per_ip_address(client):
    # Every attempt counts, even one without a password that never reaches the password check.
    for number in range(limits.SIGN_IN_PER_IP.limit):
        client.post(SIGNIN, {"username": f"guess{number}@example.org", "password": ""})

    response = client.post(SIGNIN, {"username": "fresh@example.org", "password": "x"})

    assert response.status_code == 429
    assert re.search(f"Too many sign-in attempts from your network. {WAIT}", response.text)
    assert 'value="fresh@example.org"' in response.text
    other_network = fail_to_sign_in(client, email="fresh@example.org", REMOTE_ADDR="192.0.2.9")
    assert other_network.status_code == 200


def test_sign_up_is_limited_per_ip_address(client):
    for _ in range(limits.SIGN_UP_PER_IP.limit):
        client.post(SIGNUP, {"email": "", "display_name": "", "password": ""})

    response = client.post(
        SIGNUP, {"email": "lin@example.org", "display_name": "Lin Wei", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert re.search(f"Too many sign-up attempts from your network. {WAIT}", response.text)
    assert 'value="lin@example.org"' in response.text
    assert 'value="Lin Wei"' in response.text
    assert PASSWORD not in response.text
    other_network = client.post(
        SIGNUP,
        {"email": "lin@example.org", "display_name": "Lin Wei", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.9",
    )
    assert other_network.status_code == 302
