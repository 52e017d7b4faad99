"""Sign-in and sign-up refuse people who try too often, saying why and for how long."""

import re

import pytest
from django.urls import reverse

from stoa.accounts import limits
from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

SIGNIN = reverse("accounts:signin")
SIGNUP = reverse("accounts:signup")
WAIT = r"Try again in about (a minute|\d+ minutes)\."


def fail_to_sign_in(client, email="lee@example.org", **extra):
    return client.post(SIGNIN, {"username": email, "password": "not-it-at-all"}, **extra)


def test_sign_in_is_limited_per_address(client, learner):
    for _ in range(limits.SIGN_IN_PER_PAIR.limit):
        assert fail_to_sign_in(client).status_code == 200

    response = fail_to_sign_in(client, email="LEE@example.org")

    assert response.status_code == 429
    assert re.search(f"Too many sign-in attempts for this address. {WAIT}", response.text)
    assert 'value="LEE@example.org"' in response.text
    assert int(response["Retry-After"]) > 0
    assert "<title>Error: Sign in" in response.text


def test_a_limited_address_cannot_sign_in_even_with_the_right_password(client, learner):
    for _ in range(limits.SIGN_IN_PER_PAIR.limit):
        fail_to_sign_in(client)

    response = client.post(SIGNIN, {"username": "lee@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_limited_address_does_not_stop_other_addresses(client, learner, other_learner):
    for _ in range(limits.SIGN_IN_PER_PAIR.limit + 1):
        fail_to_sign_in(client)

    response = client.post(SIGNIN, {"username": "robin@example.org", "password": PASSWORD})

    assert response.status_code == 302


def test_sign_ins_that_succeed_do_not_use_up_the_allowance(client, learner):
    for _ in range(limits.SIGN_IN_PER_PAIR.limit + 2):
        response = client.post(SIGNIN, {"username": "lee@example.org", "password": PASSWORD})
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


# Where attempts come from. The test client's own address, 127.0.0.1, is the owner's home.
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
CLASSROOM = {"REMOTE_ADDR": "192.0.2.50"}
CAFE = {"REMOTE_ADDR": "198.51.100.7"}
RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "lanterns-over-the-water"


def sign_in(client, email="lee@example.org", password=PASSWORD, **extra):
    return client.post(SIGNIN, {"username": email, "password": password}, **extra)


def reset_password(client, mailoutbox, email="lee@example.org", **extra):
    """Asks for a reset link and follows it to set NEW_PASSWORD, all from one address."""
    client.post(RESET, {"email": email}, **extra)
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mailoutbox[-1].body)
    assert link, mailoutbox[-1].body
    form_page = client.get(link.group(1), follow=True, **extra)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        **extra,
    )
    assert done.status_code == 302


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(client, learner):
    for _ in range(20):
        fail_to_sign_in(client, **ATTACKER)
    assert fail_to_sign_in(client, **ATTACKER).status_code == 429

    response = sign_in(client)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_one_address_gets_five_guesses_at_one_account(client, learner):
    for _ in range(5):
        assert fail_to_sign_in(client, **ATTACKER).status_code == 200

    response = sign_in(client, email="Lee@Example.org", **ATTACKER)

    assert response.status_code == 429
    assert re.search(f"Too many sign-in attempts for this address. {WAIT}", response.text)
    assert int(response["Retry-After"]) > 0
    assert 'value="Lee@Example.org"' in response.text
    assert "_auth_user_id" not in client.session


def test_a_classroom_where_many_people_failed_still_lets_a_learner_in(client, learner):
    for number in range(40):
        fail_to_sign_in(client, email=f"pupil{number}@example.org", **CLASSROOM)

    response = sign_in(client, **CLASSROOM)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_one_person_retrying_does_not_lock_their_classroom_out(client, learner, other_learner):
    for _ in range(50):
        fail_to_sign_in(client, **CLASSROOM)

    response = sign_in(client, email="robin@example.org", **CLASSROOM)

    assert response.status_code == 302


def test_a_refused_classroom_still_lets_in_a_learner_who_signed_in_there_before(client, learner):
    assert sign_in(client, **CLASSROOM).status_code == 302
    client.logout()
    for number in range(limits.SIGN_IN_PER_IP.limit):
        fail_to_sign_in(client, email=f"pupil{number}@example.org", **CLASSROOM)
    refused = fail_to_sign_in(client, email="newcomer@example.org", **CLASSROOM)
    assert refused.status_code == 429
    assert "Too many sign-in attempts from your network." in refused.text

    response = sign_in(client, **CLASSROOM)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def guess_from_many_addresses(client, email="lee@example.org"):
    """Fails to sign in to one account as often as its limit allows, four times from each of
    several addresses, none of them reaching the limit for one address."""
    for number in range(limits.SIGN_IN_PER_ACCOUNT.limit):
        response = fail_to_sign_in(client, email=email, REMOTE_ADDR=f"203.0.113.{number // 4}")
        assert response.status_code == 200


def test_guessing_from_many_addresses_meets_the_limit_for_the_account(client, learner):
    guess_from_many_addresses(client)

    response = fail_to_sign_in(client, email="LEE@example.org", REMOTE_ADDR="203.0.113.200")

    assert response.status_code == 429
    assert re.search(
        f"Too many failed attempts to sign in to this account. .*reset your password.* {WAIT}",
        response.text,
    )
    assert int(response["Retry-After"]) > 0
    assert 'value="LEE@example.org"' in response.text
    # Even the right password, from an address the account has not signed in from.
    assert sign_in(client, **CAFE).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_limit_does_not_stop_the_owner_where_they_signed_in_before(client, learner):
    assert sign_in(client).status_code == 302
    client.logout()
    guess_from_many_addresses(client)
    assert sign_in(client, **CAFE).status_code == 429

    response = sign_in(client)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_a_password_reset_lets_the_owner_past_the_account_limit(client, learner, mailoutbox):
    guess_from_many_addresses(client)

    reset_password(client, mailoutbox, **CAFE)

    assert sign_in(client, password=NEW_PASSWORD, **CAFE).status_code == 302
    client.logout()
    assert sign_in(client, password=NEW_PASSWORD, REMOTE_ADDR="192.0.2.77").status_code == 302


def test_a_password_reset_lifts_the_limit_on_the_owners_own_mistakes(client, learner, mailoutbox):
    for _ in range(5):
        fail_to_sign_in(client)
    assert sign_in(client).status_code == 429

    reset_password(client, mailoutbox)

    assert sign_in(client, password=NEW_PASSWORD).status_code == 302
