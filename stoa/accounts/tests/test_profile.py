import pytest
from django.urls import reverse

from stoa.accounts.models import User
from stoa.testing import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
PASSWORD_CHANGE = reverse("accounts:password_change")


def test_visitor_is_sent_to_sign_in_from_the_profile(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:signin')}?next={PROFILE}"


def test_learner_sees_their_own_profile(client, learner, other_learner):
    client.force_login(learner)

    response = client.get(PROFILE)

    assert 'value="Lee Learner"' in response.text
    assert "Robin Other" not in response.text
    assert reverse("accounts:password_change") in response.text


def test_learner_edits_only_their_own_profile(client, learner, other_learner):
    other_learner.bio = "Compilers and nanoseconds."
    other_learner.save(update_fields=["bio"])
    client.force_login(learner)

    response = client.post(
        PROFILE,
        {"display_name": "Lee L.", "bio": "Notes on engines.", "email": "robin@example.org"},
        follow=True,
    )

    assert "Your profile is saved." in response.text
    learner.refresh_from_db()
    assert (learner.display_name, learner.bio) == ("Lee L.", "Notes on engines.")
    assert learner.email == "lee@example.org"
    other_learner.refresh_from_db()
    assert (other_learner.display_name, other_learner.bio) == (
        "Robin Other",
        "Compilers and nanoseconds.",
    )


def test_bio_over_the_limit_is_refused_with_its_length(client, learner):
    client.force_login(learner)

    response = client.post(PROFILE, {"display_name": "Lee", "bio": "x" * 1001})

    assert response.status_code == 200
    assert "Your bio is 1001 characters long; the limit is 1000." in response.text
    assert '(<span data-count-for="id_bio">1001</span> used)' in response.text
    learner.refresh_from_db()
    assert learner.bio == ""


def test_bio_line_breaks_count_as_one_character(client, learner):
    client.force_login(learner)

    client.post(PROFILE, {"display_name": "Lee", "bio": "ab\r\n" * 250})

    learner.refresh_from_db()
    assert learner.bio == ("ab\n" * 250).strip()


def test_blank_display_name_is_refused(client, learner):
    client.force_login(learner)

    response = client.post(PROFILE, {"display_name": "   ", "bio": "Still here."})

    assert "This field is required." in response.text
    assert "Still here." in response.text
    learner.refresh_from_db()
    assert learner.display_name == "Lee Learner"


def test_profile_takes_a_bounded_number_of_queries(client, learner, django_assert_max_num_queries):
    client.force_login(learner)

    with django_assert_max_num_queries(3):  # session, user, the header's unread count
        client.get(PROFILE)
    with django_assert_max_num_queries(5):  # with the update's savepoint and its release
        client.post(PROFILE, {"display_name": "Lee", "bio": ""})


def test_learner_changes_their_password_and_stays_signed_in(client, learner):
    client.force_login(learner)

    response = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "lanterns-over-the-water",
            "new_password2": "lanterns-over-the-water",
        },
    )

    assert response["Location"] == reverse("accounts:password_change_done")
    learner.refresh_from_db()
    assert learner.check_password("lanterns-over-the-water")
    assert client.get(PROFILE).status_code == 200


def test_password_change_needs_the_current_password(client, learner):
    client.force_login(learner)

    response = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": "not-it-at-all",
            "new_password1": "lanterns-over-the-water",
            "new_password2": "lanterns-over-the-water",
        },
    )

    assert "That is not your current password." in response.text
    assert User.objects.get(pk=learner.pk).check_password(PASSWORD)


def test_visitor_is_sent_to_sign_in_from_password_change(client):
    response = client.get(PASSWORD_CHANGE)

    assert response["Location"].startswith(reverse("accounts:signin"))
