import pytest
from django.urls import reverse

from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

SIGNIN = reverse("accounts:signin")
SIGNOUT = reverse("accounts:signout")


def test_learner_signs_in_with_the_right_password(client, learner):
    response = client.post(SIGNIN, {"username": "lee@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("learning:my_courses")
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_sign_in_ignores_the_case_of_the_address(client, learner):
    client.post(SIGNIN, {"username": "LEE@Example.org", "password": PASSWORD})

    assert client.session["_auth_user_id"] == str(learner.pk)


def test_wrong_password_is_refused_and_the_address_kept(client, learner):
    response = client.post(SIGNIN, {"username": "lee@example.org", "password": "not-it-at-all"})

    assert response.status_code == 200
    assert "That email address and password do not match an account." in response.text
    assert 'value="lee@example.org"' in response.text
    assert "not-it-at-all" not in response.text
    assert "_auth_user_id" not in client.session


def test_sign_in_goes_on_to_a_safe_next(client, learner):
    response = client.post(
        SIGNIN,
        {"username": "lee@example.org", "password": PASSWORD, "next": "/courses/reading-data/"},
    )

    assert response["Location"] == "/courses/reading-data/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http:///evil.example/"]
)
def test_sign_in_ignores_an_off_site_next(client, learner, next_url):
    response = client.post(
        f"{SIGNIN}?next={next_url}", {"username": "lee@example.org", "password": PASSWORD}
    )

    assert response["Location"] == reverse("learning:my_courses")


def test_sign_in_page_keeps_next_and_links_to_sign_up_and_reset(client):
    response = client.get(SIGNIN, {"next": "/courses/reading-data/"})

    assert b'<input type="hidden" name="next" value="/courses/reading-data/">' in response.content
    assert b"/accounts/signup/?next=/courses/reading-data/" in response.content
    assert reverse("accounts:password_reset").encode() in response.content


def test_sign_in_page_does_not_repeat_an_off_site_next(client):
    response = client.get(SIGNIN, {"next": "https://evil.example/"})

    assert 'name="next"' not in response.text
    assert "?next=https://evil.example/" not in response.text


def test_sign_in_field_is_labelled_email_address(client):
    response = client.get(SIGNIN)

    assert '<label class="field__label" for="id_username">Email address</label>' in response.text
    assert 'type="email"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_sign_out_needs_a_post(client, learner):
    client.force_login(learner)

    response = client.get(SIGNOUT)

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_learner_signs_out(client, learner):
    client.force_login(learner)

    response = client.post(SIGNOUT)

    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_sign_in_page_makes_no_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert client.get(SIGNIN).status_code == 200


def test_signing_in_takes_a_bounded_number_of_queries(
    client, learner, django_assert_max_num_queries
):
    # The user, the new session and last_login; savepoints count too.
    with django_assert_max_num_queries(9):
        client.post(SIGNIN, {"username": "lee@example.org", "password": PASSWORD})
