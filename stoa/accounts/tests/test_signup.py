import pytest
from django.urls import reverse

from stoa.accounts import services
from stoa.accounts.models import User
from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")


def sign_up(client, **overrides):
    data = {"email": "lin@example.org", "display_name": "Lin Wei", "password": PASSWORD}
    return client.post(SIGNUP, {**data, **overrides})


def test_visitor_signs_up_and_is_signed_in(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="lin@example.org")
    assert user.display_name == "Lin Wei"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_new_password_is_stored_with_argon2(client):
    sign_up(client)

    user = User.objects.get(email="lin@example.org")
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)


def test_sign_up_goes_on_to_a_safe_next(client):
    response = client.post(
        f"{SIGNUP}?next=/courses/reading-data/",
        {"email": "lin@example.org", "display_name": "Lin Wei", "password": PASSWORD},
    )

    assert response["Location"] == "/courses/reading-data/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_sign_up_ignores_an_off_site_next(client, next_url):
    response = sign_up(client, next=next_url)

    assert response["Location"] == "/"


def test_sign_up_page_carries_next_in_the_form_and_to_sign_in(client):
    response = client.get(SIGNUP, {"next": "/courses/reading-data/"})

    assert b'<input type="hidden" name="next" value="/courses/reading-data/">' in response.content
    assert b"/accounts/signin/?next=/courses/reading-data/" in response.content


def test_sign_up_starts_with_the_address_in_the_link(client):
    response = client.get(SIGNUP, {"email": "new.person@example.org", "next": "/x/"})

    assert 'name="email" value="new.person@example.org"' in response.text
    assert 'name="display_name" autocomplete="name"' in response.text  # nothing else filled


@pytest.mark.parametrize(
    "email",
    ["not-an-address", '"><script>alert(1)</script>@example.org', "a@b", f"{'a' * 250}@x.org"],
)
def test_sign_up_ignores_an_address_in_the_link_that_is_not_one(client, email):
    response = client.get(SIGNUP, {"email": email})

    assert response.status_code == 200
    assert 'name="email" autocomplete="email"' in response.text  # no value
    assert "<script>alert" not in response.text


@pytest.mark.parametrize("email", ["lee@example.org", "LEE@example.org", "Lee@Example.ORG"])
def test_sign_up_refuses_an_address_already_used_in_any_case(client, learner, email):
    response = sign_up(client, email=email)

    assert response.status_code == 200
    assert "An account with this email address already exists." in response.text
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_weak_password_is_refused_and_what_was_typed_is_kept(client):
    response = sign_up(client, password="12345678")

    assert response.status_code == 200
    assert "This password is too common." in response.text
    assert 'value="lin@example.org"' in response.text
    assert 'value="Lin Wei"' in response.text
    assert "12345678" not in response.text
    assert not User.objects.exists()


def test_password_like_the_email_address_is_refused(client):
    response = sign_up(client, email="harbourmaster@example.org", password="harbourmaster")

    assert "The password is too similar to the email address." in response.text
    assert not User.objects.exists()


def test_errors_are_tied_to_their_fields(client):
    response = sign_up(client, email="not-an-address", password="short")

    assert 'aria-describedby="id_email_helptext id_email_error"' in response.text
    assert 'id="id_email_error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert '<a href="#id_password">' in response.text
    assert "<title>Error: Sign up" in response.text


def test_sign_up_form_asks_browsers_for_the_right_autofill(client):
    response = client.get(SIGNUP)

    assert 'autocomplete="email"' in response.text
    assert 'autocomplete="name"' in response.text
    assert 'autocomplete="new-password"' in response.text
    assert '<label class="field__label" for="id_password">Password' in response.text


def test_two_sign_ups_racing_for_one_address_cannot_both_succeed(db):
    services.sign_up(email="lin@example.org", display_name="Lin", password=PASSWORD)

    with pytest.raises(services.EmailTaken):
        services.sign_up(email="LIN@example.org", display_name="Lin", password=PASSWORD)
    assert User.objects.count() == 1


def test_sign_up_page_makes_no_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert client.get(SIGNUP).status_code == 200


def test_a_name_of_only_spaces_is_refused(client):
    response = sign_up(client, display_name="   ")

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not User.objects.filter(email="lin@example.org").exists()
