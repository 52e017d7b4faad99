from typing import ClassVar

from django.conf import settings
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


class LearnerProfile(models.Model):
    """What a learner chooses to tell about themselves, for the research data their courses'
    teams download (stoa.insights.research: the enrolments dataset's columns, in its values).
    Every answer is optional; an empty one is "not answered" and "prefer not to say" is an
    answer. Both are written as "Unknown" in the dataset."""

    class Gender(models.TextChoices):
        FEMALE = "female", gettext_lazy("Female")
        MALE = "male", gettext_lazy("Male")
        NONBINARY = "nonbinary", gettext_lazy("Non-binary")
        OTHER = "other", gettext_lazy("Other")
        PREFER_NOT = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    class AgeRange(models.TextChoices):
        UNDER_18 = "<18", gettext_lazy("Under 18")
        FROM_18 = "18-25", gettext_lazy("18 to 25")
        FROM_26 = "26-35", gettext_lazy("26 to 35")
        FROM_36 = "36-45", gettext_lazy("36 to 45")
        FROM_46 = "46-55", gettext_lazy("46 to 55")
        FROM_56 = "56-65", gettext_lazy("56 to 65")
        OVER_65 = ">65", gettext_lazy("Over 65")
        PREFER_NOT = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    class Education(models.TextChoices):
        LESS_THAN_SECONDARY = "less_than_secondary", gettext_lazy("Less than secondary school")
        SECONDARY = "secondary", gettext_lazy("Secondary school")
        TERTIARY = "tertiary", gettext_lazy("College or further education")
        APPRENTICESHIP = "apprenticeship", gettext_lazy("Apprenticeship")
        PROFESSIONAL = "professional", gettext_lazy("Professional qualification")
        DEGREE = "university_degree", gettext_lazy("University degree")
        MASTERS = "university_masters", gettext_lazy("Master's degree")
        DOCTORATE = "university_doctorate", gettext_lazy("Doctorate")
        PREFER_NOT = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    class EmploymentStatus(models.TextChoices):
        FULL_TIME = "working_full_time", gettext_lazy("Working full time")
        PART_TIME = "working_part_time", gettext_lazy("Working part time")
        SELF_EMPLOYED = "self_employed", gettext_lazy("Self-employed")
        LOOKING = "looking_for_work", gettext_lazy("Looking for work")
        UNEMPLOYED = "unemployed", gettext_lazy("Unemployed")
        NOT_WORKING = "not_working", gettext_lazy("Not working")
        RETIRED = "retired", gettext_lazy("Retired")
        STUDENT = "full_time_student", gettext_lazy("Full-time student")
        PREFER_NOT = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    class EmploymentArea(models.TextChoices):
        FINANCE = (
            "accountancy_banking_and_finance",
            gettext_lazy("Accountancy, banking and finance"),
        )
        ARMED_FORCES = "armed_forces", gettext_lazy("Armed forces")
        CONSULTING = (
            "business_consulting_and_management",
            gettext_lazy("Business, consulting and management"),
        )
        CHARITIES = "charities_and_voluntary_work", gettext_lazy("Charities and voluntary work")
        CREATIVE = "creative_arts_and_culture", gettext_lazy("Creative arts and culture")
        ENERGY = "energy_and_utilities", gettext_lazy("Energy and utilities")
        ENGINEERING = "engineering_and_manufacturing", gettext_lazy("Engineering and manufacturing")
        ENVIRONMENT = "environment_and_agriculture", gettext_lazy("Environment and agriculture")
        HEALTH = "health_and_social_care", gettext_lazy("Health and social care")
        HOSPITALITY = (
            "hospitality_tourism_and_sport",
            gettext_lazy("Hospitality, tourism and sport"),
        )
        IT = "it_and_information_services", gettext_lazy("IT and information services")
        LAW = "law", gettext_lazy("Law")
        MARKETING = "marketing_advertising_and_pr", gettext_lazy("Marketing, advertising and PR")
        MEDIA = "media_and_publishing", gettext_lazy("Media and publishing")
        PROPERTY = "property_and_construction", gettext_lazy("Property and construction")
        PUBLIC_SECTOR = "public_sector", gettext_lazy("Public sector")
        RECRUITMENT = "recruitment_and_hr", gettext_lazy("Recruitment and HR")
        RETAIL = "retail_and_sales", gettext_lazy("Retail and sales")
        SCIENCE = "science_and_pharmaceuticals", gettext_lazy("Science and pharmaceuticals")
        TEACHING = "teaching_and_education", gettext_lazy("Teaching and education")
        TRANSPORT = "transport_and_logistics", gettext_lazy("Transport and logistics")
        PREFER_NOT = "prefer_not_to_say", gettext_lazy("Prefer not to say")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    gender = models.CharField(
        gettext_lazy("gender"), max_length=20, blank=True, choices=Gender.choices
    )
    # An ISO 3166-1 alpha-2 code, as the dataset writes countries; "prefer_not_to_say" too.
    country = models.CharField(gettext_lazy("country"), max_length=20, blank=True)
    age_range = models.CharField(
        gettext_lazy("age"), max_length=20, blank=True, choices=AgeRange.choices
    )
    highest_education_level = models.CharField(
        gettext_lazy("highest level of education"),
        max_length=30,
        blank=True,
        choices=Education.choices,
    )
    employment_status = models.CharField(
        gettext_lazy("employment status"),
        max_length=30,
        blank=True,
        choices=EmploymentStatus.choices,
    )
    employment_area = models.CharField(
        gettext_lazy("area of work"), max_length=40, blank=True, choices=EmploymentArea.choices
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Profile of {self.user_id}"
