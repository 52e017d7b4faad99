import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.countries import CODES
from stoa.accounts.models import LearnerProfile, User
from stoa.lib.refusals import Invalid

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


# The profile's answers with the values each may take (empty for "not answered").
_ANSWERS = {
    "gender": set(LearnerProfile.Gender.values),
    "country": {*CODES, LearnerProfile.Gender.PREFER_NOT.value},
    "age_range": set(LearnerProfile.AgeRange.values),
    "highest_education_level": set(LearnerProfile.Education.values),
    "employment_status": set(LearnerProfile.EmploymentStatus.values),
    "employment_area": set(LearnerProfile.EmploymentArea.values),
}


@transaction.atomic
def update_learner_profile(*, user: User, **answers: str) -> None:
    """Saves what the learner tells about themselves for their courses' research data
    (LearnerProfile): the answers given replace those held, an empty one clears it. One
    UPDATE once the row is there; the first save inserts it."""
    for field, value in answers.items():
        if field not in _ANSWERS or (value and value not in _ANSWERS[field]):
            raise Invalid(_("Choose one of the answers offered."))
    profile = LearnerProfile.objects.filter(user=user)
    if not profile.update(**answers, updated_at=timezone.now()):
        try:
            with transaction.atomic():
                LearnerProfile.objects.create(user=user, **answers)
        except IntegrityError:  # saved in another tab at the same moment
            profile.update(**answers, updated_at=timezone.now())
    logger.info("accounts: user %s updated what they tell their courses", user.pk)
