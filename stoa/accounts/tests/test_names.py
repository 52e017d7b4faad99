"""Every account needs a name, since other people see it beside what the account writes; an
account made before that rule, without one, shows a neutral label instead of a blank."""

import builtins
import getpass
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.urls import reverse

from stoa.accounts.models import UNNAMED, User, public_name
from stoa.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db

BLANK_NAMES = ["", "   ", "\t\n"]


@pytest.mark.parametrize("name", BLANK_NAMES)
def test_an_account_cannot_be_made_without_a_name(name):
    with pytest.raises(ValueError, match="Every account needs a display name"):
        User.objects.create_user("lin@example.org", PASSWORD, display_name=name)
    with pytest.raises(ValueError, match="Every account needs a display name"):
        User.objects.create_superuser("root@example.org", PASSWORD, display_name=name)
    with pytest.raises(ValueError, match="Every account needs a display name"):
        async_to_sync(User.objects.acreate_user)("lin@example.org", display_name=name)

    assert not User.objects.exists()


def test_an_account_cannot_be_made_without_saying_a_name():
    with pytest.raises(ValueError, match="Every account needs a display name"):
        User.objects.create_user("lin@example.org", PASSWORD)


def test_a_name_is_kept_without_the_spaces_around_it():
    user = User.objects.create_user("lin@example.org", PASSWORD, display_name="  Lin Wei ")

    assert user.display_name == "Lin Wei"


def test_createsuperuser_without_input_refuses_a_blank_name():
    with pytest.raises(CommandError, match=r"Enter a display name, not just spaces\."):
        call_command(
            "createsuperuser",
            interactive=False,
            email="root@example.org",
            display_name="   ",
            stdout=StringIO(),
        )

    assert not User.objects.exists()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_createsuperuser_asks_again_for_a_blank_name(monkeypatch):
    answers = iter(["root@example.org", "   ", "Root Admin"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
    errors = StringIO()

    call_command("createsuperuser", stdin=Terminal(), stdout=StringIO(), stderr=errors)

    assert "Error: Enter a display name, not just spaces." in errors.getvalue()
    user = User.objects.get()
    assert (user.email, user.display_name, user.is_superuser) == (
        "root@example.org",
        "Root Admin",
        True,
    )


def unnamed(email: str = "old@example.org") -> User:
    """An account made before names were required: its name saved blank, past every check."""
    user = make_user(email, name="Old")
    User.objects.filter(pk=user.pk).update(display_name="  ")
    user.refresh_from_db()
    return user


def test_an_account_without_a_name_shows_a_neutral_label_not_its_email():
    user = unnamed()

    assert user.public_name == "Unnamed member" == str(UNNAMED)
    assert str(user) == user.get_full_name() == user.get_short_name() == "Unnamed member"


def test_an_account_shows_its_name_without_the_spaces_around_it(learner):
    User.objects.filter(pk=learner.pk).update(display_name=" Lee Learner ")
    learner.refresh_from_db()

    assert learner.public_name == str(learner) == learner.get_full_name() == "Lee Learner"


def test_names_read_with_values_get_the_same_label(learner):
    unnamed()

    names = [
        public_name(row["display_name"])
        for row in User.objects.order_by("email").values("display_name")
    ]

    assert names == ["Lee Learner", "Unnamed member"]
    assert public_name(None) == "Unnamed member"


def test_the_header_names_an_account_without_a_name_with_the_label(client):
    client.force_login(unnamed())

    response = client.get(reverse("accounts:profile"))

    assert f'<a href="{reverse("accounts:profile")}">Unnamed member</a>' in response.text


def test_the_header_names_a_learner(client, learner):
    client.force_login(learner)

    response = client.get(reverse("accounts:profile"))

    assert f'<a href="{reverse("accounts:profile")}">Lee Learner</a>' in response.text


def test_a_reset_email_to_an_account_without_a_name_greets_without_a_blank(client, mailoutbox):
    unnamed()

    client.post(reverse("accounts:password_reset"), {"email": "old@example.org"})

    assert mailoutbox[0].body.startswith("Hello,\n")
