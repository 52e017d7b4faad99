"""The profile page's "About you": the learner profile of the research data
(accounts.LearnerProfile), every answer optional."""

import pytest
from django.urls import reverse

from stoa.accounts import services
from stoa.accounts.countries import CODES, countries_by_name
from stoa.accounts.models import LearnerProfile
from stoa.lib.refusals import Invalid
from stoa.testing import counted, expect_queries

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
ABOUT_YOU = reverse("accounts:about_you")
ANSWERS = {
    "gender": "nonbinary",
    "country": "NZ",
    "age_range": "26-35",
    "highest_education_level": "university_masters",
    "employment_status": "self_employed",
    "employment_area": "teaching_and_education",
}


def answers_of(user):
    return LearnerProfile.objects.filter(user=user).values(*ANSWERS).get()


def test_the_profile_asks_about_you_and_says_who_sees_the_answers(client, learner):
    client.force_login(learner)

    content = client.get(PROFILE).content.decode()

    assert '<h2 id="about-you-heading">About you</h2>' in content
    assert "research data under a pseudonym, never with your name" in content
    for label in (
        "Gender",
        "Country you live in",
        "Age",
        "Highest level of education",
        "Employment status",
        "Area of work",
    ):
        assert f'{label} <span class="field__optional">(optional)</span></label>' in content
    assert '<option value="prefer_not_to_say">Prefer not to say</option>' in content
    assert '<option value="NZ">New Zealand</option>' in content
    assert not LearnerProfile.objects.exists()  # reading the page writes nothing


def test_a_learner_saves_their_answers_and_sees_them_chosen(client, learner):
    client.force_login(learner)

    response = client.post(ABOUT_YOU, ANSWERS)

    assert response["Location"] == PROFILE + "#about-you"
    assert answers_of(learner) == ANSWERS
    content = client.get(PROFILE).content.decode()
    assert "Your answers about you are saved." in content
    assert '<option value="NZ" selected>New Zealand</option>' in content
    assert '<option value="26-35" selected>26 to 35</option>' in content


def test_answers_can_be_changed_and_cleared(client, learner):
    client.force_login(learner)
    client.post(ABOUT_YOU, ANSWERS)

    client.post(ABOUT_YOU, {"gender": "prefer_not_to_say", "country": "prefer_not_to_say"})

    assert answers_of(learner) == {
        **dict.fromkeys(ANSWERS, ""),
        "gender": "prefer_not_to_say",
        "country": "prefer_not_to_say",
    }
    assert LearnerProfile.objects.count() == 1


def test_saving_nothing_is_allowed(client, learner):
    client.force_login(learner)

    assert client.post(ABOUT_YOU, {})["Location"] == PROFILE + "#about-you"
    assert answers_of(learner) == dict.fromkeys(ANSWERS, "")


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "XX"), ("country", "gb"), ("gender", "robot"), ("age_range", "100")],
)
def test_an_answer_not_offered_keeps_what_was_chosen_and_saves_nothing(
    client, learner, field, value
):
    client.force_login(learner)

    response = client.post(ABOUT_YOU, {**ANSWERS, field: value})

    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: Your profile" in content
    assert "Select a valid choice." in content
    kept = {key: answer for key, answer in ANSWERS.items() if key != field}
    assert f'<option value="{kept["employment_area"]}" selected>' in content
    assert f'<option value="{kept["highest_education_level"]}" selected>' in content
    assert 'value="Lee Learner"' in content  # the rest of the page as it was
    assert not LearnerProfile.objects.exists()


def test_visitors_are_sent_to_sign_in(client):
    response = client.post(ABOUT_YOU, ANSWERS)

    assert response["Location"] == f"{reverse('accounts:signin')}?next={ABOUT_YOU}"
    assert not LearnerProfile.objects.exists()


def test_saving_takes_a_post(client, learner):
    client.force_login(learner)

    assert client.get(ABOUT_YOU).status_code == 405


def test_a_learner_changes_only_their_own_answers(client, learner, other_learner):
    services.update_learner_profile(user=other_learner, gender="female", country="KE")
    client.force_login(learner)

    client.post(ABOUT_YOU, {**ANSWERS, "user": other_learner.pk})

    assert answers_of(learner) == ANSWERS
    assert answers_of(other_learner)["country"] == "KE"


def test_the_service_refuses_answers_not_offered(learner):
    for answers in ({"country": "Narnia"}, {"gender": "robot"}, {"user_id": "7"}):
        with pytest.raises(Invalid):
            services.update_learner_profile(user=learner, **answers)
    assert not LearnerProfile.objects.exists()


def test_the_page_and_saving_take_a_fixed_number_of_queries(
    client, learner, django_assert_num_queries
):
    client.force_login(learner)
    client.get(PROFILE)
    # the session, the user, the learner's answers
    expect_queries(client, django_assert_num_queries, PROFILE, 3)
    client.post(ABOUT_YOU, ANSWERS)  # the first save inserts the row
    # the session, the user; then the answers' UPDATE, in a transaction (a savepoint and its
    # release, since each test runs in a transaction)
    with django_assert_num_queries(counted(client, 5)):
        client.post(ABOUT_YOU, {**ANSWERS, "country": "GB"})
    assert answers_of(learner)["country"] == "GB"


def test_the_countries_are_iso_3166_sorted_by_name():
    assert len(CODES) == 249
    assert {"GB", "NZ", "CI", "AX", "TW", "PS", "XK"} & CODES == {
        "GB",
        "NZ",
        "CI",
        "AX",
        "TW",
        "PS",
    }
    names = [name for _code, name in countries_by_name()]
    assert names.index("Åland Islands") < names.index("Albania")
    assert names[0] == "Afghanistan" and names[-1] == "Zimbabwe"
