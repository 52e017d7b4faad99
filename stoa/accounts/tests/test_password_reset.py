import re

import pytest
from django.urls import reverse

from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "lanterns-over-the-water"


def emailed_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_emails_one_link_that_sets_a_new_password(client, learner, mailoutbox):
    response = client.post(RESET, {"email": "LEE@example.org"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["lee@example.org"]
    assert message.subject == "Reset your Stoa password"
    assert "Hello Lee Learner," in message.body

    form_page = client.get(emailed_link(message), follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done["Location"] == reverse("accounts:password_reset_complete")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert learner.password.startswith("argon2")


def test_a_reset_link_works_only_once(client, learner, mailoutbox):
    client.post(RESET, {"email": "lee@example.org"})
    link = emailed_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.text


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(RESET, {"email": "nobody@example.org"}, follow=True)

    assert mailoutbox == []
    assert "If an account uses that address" in response.text


def test_reset_refuses_a_weak_new_password(client, learner, mailoutbox):
    client.post(RESET, {"email": "lee@example.org"})
    form_page = client.get(emailed_link(mailoutbox[0]), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert "This password is too common." in response.text
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)


def test_password_reset_page_links_back_to_sign_in(client):
    response = client.get(RESET)

    assert reverse("accounts:signin").encode() in response.content
    assert 'autocomplete="email"' in response.text


def test_password_reset_emails_are_limited_per_address(client, learner, mailoutbox):
    for _ in range(3):
        assert client.post(RESET, {"email": "lee@example.org"}).status_code == 302
    refused = client.post(RESET, {"email": "lee@example.org"})

    assert refused.status_code == 429
    assert "Too many password-reset emails for this address." in refused.text
    assert 'value="lee@example.org"' in refused.text
    assert int(refused["Retry-After"]) > 0
    assert len(mailoutbox) == 3


def test_password_reset_requests_are_limited_per_network(client, mailoutbox):
    for number in range(20):
        client.post(RESET, {"email": f"nobody{number}@example.org"})
    refused = client.post(RESET, {"email": "someone@example.org"})

    assert refused.status_code == 429
    assert "Too many password-reset requests from your network." in refused.text
