from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_lazy

# What pages show for a person without a display name: accounts made before one was required.
# Neutral on purpose: it may stand for a learner, an educator or a member of staff.
UNNAMED = gettext_lazy("Unnamed member")


def public_name(display_name: str | None) -> str:
    """The name to show for a person, for code that reads display names with values(), as
    comment lists do; a loaded User has the same as User.public_name."""
    return (display_name or "").strip() or str(UNNAMED)


def validate_display_name(value: str) -> None:
    """Refuses a name of only spaces, which CharField's own check for blank lets through.
    Forms strip their input first; createsuperuser and full_clean() do not."""
    if not value.strip():
        raise ValidationError(gettext_lazy("Enter a display name, not just spaces."), "spaces")


class StoaUserManager(UserManager):
    """People sign in with their email address; there is no separate username."""

    def _create_user_object(self, username, email, password, **extra_fields):
        # Every way of making an account comes here (create_user, create_superuser and their
        # async twins, so the shell, imports and single sign-on too): names are checked once.
        display_name = (extra_fields.get("display_name") or "").strip()
        if not display_name:
            raise ValueError(
                gettext(
                    "Every account needs a display name, not blank or only spaces: "
                    "people see it beside what the account writes."
                )
            )
        extra_fields["display_name"] = display_name
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    # None removes the inherited field, which the stubs cannot express.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, validators=[validate_display_name])
    bio = models.TextField(blank=True, max_length=1000)
    # Settings people choose on their profile page. They live here, not in conversation,
    # because accounts may not import the apps built on it; conversation reads them.
    show_comments_on_profile = models.BooleanField(
        "show my comments on my profile",
        default=True,
        help_text="People who share a course with you see your comments there on your profile.",
    )
    # Kept by courses.CourseTeamMember's save and delete (see refresh_teaches there), so that
    # the header's Teach link costs no query: on some course's team with a role that works
    # in its workspace.
    teaches = models.BooleanField(default=False, editable=False)
    # Unread notifications, kept by conversation.notifications' services in the transaction of
    # each notification's write and of marking them read, so that the header's count costs no
    # query. A notification deleted with what it was about (a comment, a step) leaves it too
    # high until the activity page, which counts them, sets it right.
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)
    daily_digest = models.BooleanField(
        "email me a daily digest",
        default=False,
        help_text="Once a day, an email listing your unread activity, if there is any.",
    )

    objects: ClassVar[StoaUserManager] = StoaUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self) -> str:
        """The display name, or a neutral label for an account without one: what every page
        shows for this person. Never the email address, which is private."""
        return public_name(self.display_name)

    def get_full_name(self):
        return self.public_name

    def get_short_name(self):
        return self.public_name
