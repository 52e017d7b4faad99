import logging

from django.db import IntegrityError, transaction

from stoa.accounts.models import User

logger = logging.getLogger(__name__)


class EmailTaken(Exception):
    """Another account already uses this email address, in any letter case."""


def sign_up(*, email: str, display_name: str, password: str) -> User:
    """Creates an account. The form checks for a taken address; the database constraint on the
    lower-cased address catches two sign-ups racing each other."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, display_name=display_name
            )
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    logger.info("accounts: user %s signed up", user.pk)
    return user


@transaction.atomic
def update_profile(
    *,
    user: User,
    display_name: str,
    bio: str,
    show_comments_on_profile: bool | None = None,
    daily_digest: bool | None = None,
) -> None:
    """Saves what the profile page edits; a setting left as None stays as it is."""
    user.display_name = display_name
    user.bio = bio
    fields = ["display_name", "bio"]
    if show_comments_on_profile is not None:
        user.show_comments_on_profile = show_comments_on_profile
        fields.append("show_comments_on_profile")
    if daily_digest is not None:
        user.daily_digest = daily_digest
        fields.append("daily_digest")
    user.save(update_fields=fields)
    logger.info("accounts: user %s updated their profile", user.pk)
