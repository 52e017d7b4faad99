import datetime
import uuid
from typing import cast

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A partner institution that makes courses."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Course(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    language = models.CharField(max_length=35, default="en")
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    # Kept by the package import, so run schedules need no count of weeks.
    week_count = models.PositiveSmallIntegerField(default=0, editable=False)
    step_count = models.PositiveIntegerField(default=0, editable=False)
    organisations = models.ManyToManyField(
        Organisation, through="CourseOrganisation", related_name="courses"
    )
    # Null means the package did not say; the format's defaults then apply.
    certificate_steps_completed_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    certificate_tests_score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    certificate_participation_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    certificate_achievement = models.BooleanField(
        default=True,
        help_text="False for a course that offers only a Certificate of Participation.",
    )
    outcomes = models.JSONField(default=list, blank=True, help_text="Learning outcomes, in order.")
    # Kept by the import, as step_count is: what certificates need without counting.
    test_count = models.PositiveSmallIntegerField(default=0, editable=False)
    test_question_count = models.PositiveIntegerField(default=0, editable=False)
    # course.yaml as imported. Export writes it back verbatim while it still describes the
    # course, so that import then export returns the author's own formatting and comments.
    package_source = models.TextField(blank=True, editable=False)
    # Replaced whenever the course's structure changes (stoa.courses.structure.bump_version):
    # what each process's copy of the structure is keyed by.
    version = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    CERTIFICATE_STEPS_COMPLETED_DEFAULT = 90
    CERTIFICATE_TESTS_SCORE_DEFAULT = 70

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("learning:course", kwargs={"slug": self.slug})


class CourseOrganisation(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "organisation"], name="course_organisation_unique"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} on {self.course}"


class TeamRole(models.TextChoices):
    LEAD_EDUCATOR = "lead-educator", "Lead educator"
    EDUCATOR = "educator", "Educator"
    MENTOR = "mentor", "Mentor"
    HOST = "host", "Host"


class CourseTeamMember(models.Model):
    """Someone learners see on the course team; linked to an account when they have one.

    Members listed in the course package come and go with its imports. Members added with
    `stoa team add` or in the admin are the site's own: imports and exports leave them alone.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="team")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    bio = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="course_team_memberships",
    )
    from_package = models.BooleanField(
        default=False,
        editable=False,
        help_text="Listed in the course package: a re-import updates or removes it.",
    )

    class Meta:
        ordering = ["course", "position"]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"

    # Team rows change through services, the package import, `stoa team` and the admin:
    # whichever way, the user's Teach flag and the course's version follow. (QuerySet.update
    # and bulk deletes bypass these, so code that uses them calls refresh_teaches and
    # bump_version itself.)
    def save(self, *args, **kwargs):
        previous_user_id = (
            CourseTeamMember.objects.filter(pk=self.pk).values_list("user_id", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        refresh_teaches(self.user_id, previous_user_id)
        bump_version(self.course_id)

    def delete(self, *args, **kwargs):
        user_id = self.user_id
        result = super().delete(*args, **kwargs)
        refresh_teaches(user_id)
        bump_version(self.course_id)
        return result


def bump_version(course_id: int) -> None:
    """Tells every process that the course's structure changed (see stoa.courses.structure):
    call it in the transaction that changes it."""
    Course.objects.filter(pk=course_id).update(version=uuid.uuid4())


def refresh_teaches(*user_ids: int | None) -> None:
    """Sets each user's Teach flag from their team rows (see accounts.User.teaches)."""
    from stoa.accounts.models import User
    from stoa.courses.permissions import PERMISSIONS, Can

    roles = [role for role, allowed in PERMISSIONS.items() if Can.SEE_WORKSPACE in allowed]
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        teaches = CourseTeamMember.objects.filter(user_id=user_id, role__in=roles).exists()
        User.objects.filter(pk=user_id).exclude(teaches=teaches).update(teaches=teaches)


class CourseRunQuerySet(models.QuerySet):
    def open_for_joining(self, *, today: datetime.date) -> "CourseRunQuerySet":
        """Runs not yet over whose joining has not closed, earliest first."""
        return (
            self.filter(ends_on__gte=today)
            .filter(Q(joining_closes_on__isnull=True) | Q(joining_closes_on__gte=today))
            .order_by("starts_on")
        )


class Release(models.TextChoices):
    """How a run opens its weeks to learners."""

    WEEKLY = "weekly", _("Week by week: a new week opens every 7 days from the start")
    ALL = "all", _("All at once: every week opens on the first day")


# Week numbers are PositiveSmallIntegerFields: with every week open, this many are.
ALL_WEEKS = 32767


class CourseRun(models.Model):
    """One presentation of a course to a cohort. Week N opens on starts_on + 7·(N-1) days, or
    on starts_on for every week when the run releases them all at once.

    Its dates are set by courses.services.create_run and update_run, which check them."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="runs")
    starts_on = models.DateField()
    # The last day of the last week: derived from starts_on and the course's week count, and
    # stored so that "runs still open" is an indexed filter. Kept up to date by save() and
    # by the package import when the number of weeks changes.
    ends_on = models.DateField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Learners on the run now (joined and not left): kept by learning's enrol and leave in
    # their transactions, so that the team's pages never count a million enrolments.
    learner_count = models.PositiveIntegerField(default=0, editable=False)
    # Null: learners may join while the run lasts. Otherwise until this day, inclusive.
    joining_closes_on = models.DateField(null=True, blank=True)
    release = models.CharField(max_length=10, choices=Release.choices, default=Release.WEEKLY)
    # Null: the conversation stays open. Otherwise it turns read-only the day after; the rule
    # is stoa.conversation.rules.may_take_part.
    conversation_closes_on = models.DateField(null=True, blank=True)
    # Learners get an email on the day each week opens ("Week 2 of … is open"; with release
    # all at once, one on the first day): conversation.announcements.services
    # .send_due_announcements creates it, on that day only.
    week_open_emails = models.BooleanField(default=False, db_default=False)

    objects = CourseRunQuerySet.as_manager()

    class Meta:
        ordering = ["course", "starts_on"]
        indexes = [
            models.Index(fields=["course", "starts_on"], name="run_course_starts_idx"),
            models.Index(fields=["course", "ends_on"], name="run_course_ends_idx"),
        ]

    def __str__(self):
        return f"{self.course} from {self.starts_on:%d %B %Y}"

    def save(self, *args, **kwargs):
        self.ends_on = self.scheduled_end()
        super().save(*args, **kwargs)

    def scheduled_end(self) -> datetime.date:
        """The last day of the last week, from starts_on and the course's week count."""
        return self.starts_on + datetime.timedelta(days=7 * max(self.course.week_count, 1) - 1)

    def status(self, *, today: datetime.date) -> str:
        """Where the run is today: "upcoming", "running" or "ended"."""
        if today < self.starts_on:
            return "upcoming"
        return "running" if today <= self.ends_on else "ended"

    def week_opens_on(self, number: int) -> datetime.date:
        if self.release == Release.ALL:
            return self.starts_on
        return self.starts_on + datetime.timedelta(days=7 * (number - 1))

    def is_week_open(self, number: int, *, today: datetime.date) -> bool:
        return self.week_opens_on(number) <= today

    def open_week_count(self, *, today: datetime.date) -> int:
        """How many weeks are open today: week N is open when N is at most this (0 before
        the start). Past the course's last week it counts on, which does no harm."""
        if today < self.starts_on:
            return 0
        if self.release == Release.ALL:
            return ALL_WEEKS
        return (today - self.starts_on).days // 7 + 1

    def conversation_is_open(self, *, today: datetime.date) -> bool:
        return self.conversation_closes_on is None or today <= self.conversation_closes_on

    def week_of(self, day: datetime.date) -> int:
        """The run's calendar week a day falls in, 1 from the start (earlier days count as
        week 1): what the dashboard's active learners per week are counted by."""
        return max(1, (day - self.starts_on).days // 7 + 1)

    def current_week_number(self, *, today: datetime.date, week_count: int) -> int:
        """The week the run is in today, clamped to the course's weeks."""
        elapsed = (today - self.starts_on).days // 7 + 1
        return max(1, min(elapsed, week_count or 1))


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="week_course_number_unique"),
        ]

    def __str__(self):
        return f"Week {self.number}: {self.title}"


class StepType(models.TextChoices):
    ARTICLE = "article", "Article"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    DISCUSSION = "discussion", "Discussion"
    QUIZ = "quiz", "Quiz"
    TEST = "test", "Test"
    PEER_REVIEW = "peer-review", "Peer review"
    POLL = "poll", "Poll"


class MediaFile(models.Model):
    """A file from a package's media/ folder, kept in media storage."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="media_files")
    path = models.CharField(max_length=300, help_text="Path inside the package, e.g. media/a.mp4")
    file = models.FileField(max_length=400)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["course", "path"]
        constraints = [
            models.UniqueConstraint(fields=["course", "path"], name="media_course_path_unique"),
        ]

    def __str__(self):
        return self.path


class Step(models.Model):
    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=StepType.choices)
    activity = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # Video and audio: either a file from the package's media/ folder or an https URL.
    media_file = models.ForeignKey(
        MediaFile, on_delete=models.PROTECT, null=True, blank=True, related_name="steps"
    )
    media_url = models.URLField(max_length=500, blank=True)
    transcript_name = models.CharField(max_length=200, blank=True)
    transcript_source = models.TextField(blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    # Set by an import that changed a quiz's or test's questions (their answers went with
    # them): learners' answer sheets older than this are counted again.
    questions_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The step file as imported; see Course.package_source.
    package_source = models.TextField(blank=True, editable=False)

    TEST_ATTEMPTS_DEFAULT = 3

    class Meta:
        ordering = ["week__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["week", "position"], name="step_week_position_unique"),
            models.UniqueConstraint(fields=["week", "slug"], name="step_week_slug_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse(
            "learning:step",
            kwargs={
                "slug": self.week.course.slug,
                "week": self.week.number,
                "position": self.position,
            },
        )

    @property
    def number(self) -> str:
        return f"{self.week.number}.{self.position}"

    @property
    def file_stem(self) -> str:
        """The step's file name without extension, as in a package: 02-what-is-hi."""
        return f"{self.position:02d}-{self.slug}"

    @property
    def has_media(self) -> bool:
        return self.type in {StepType.VIDEO, StepType.AUDIO}

    @property
    def media_src(self) -> str:
        if self.media_file_id:
            # media_file is set whenever media_file_id is.
            return cast(MediaFile, self.media_file).file.url
        return self.media_url

    @property
    def max_attempts(self) -> int | None:
        if self.type != StepType.TEST:
            return None
        return self.attempts or self.TEST_ATTEMPTS_DEFAULT


class TranscriptCue(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="cues")
    position = models.PositiveIntegerField()
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["step", "position"]
        constraints = [
            models.UniqueConstraint(fields=["step", "position"], name="cue_step_position_unique"),
        ]

    def __str__(self):
        return self.text[:60]


class ChoiceMode(models.TextChoices):
    ONE = "one", "Choose one"
    MANY = "many", "Choose all that apply"


class Question(models.Model):
    """A question of a quiz or test step; a poll step has exactly one, whose prompt is the
    step's body (the package's poll has no prompt key: its body is the question)."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    prompt = models.TextField()
    choose = models.CharField(max_length=4, choices=ChoiceMode.choices, default=ChoiceMode.ONE)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["step", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "position"], name="question_step_position_unique"
            ),
        ]

    def __str__(self):
        return self.prompt[:80]


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    correct = models.BooleanField(default=False)
    feedback = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "position"], name="option_question_position_unique"
            ),
        ]

    def __str__(self):
        return self.text[:80]


class PeerReviewSettings(models.Model):
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="peer_review")
    min_words = models.PositiveIntegerField(default=0)
    reviews_required = models.PositiveSmallIntegerField(default=1)
    rubric = models.JSONField(default=list, help_text="The questions reviewers answer, in order.")

    class Meta:
        verbose_name = "peer-review settings"
        verbose_name_plural = "peer-review settings"

    def __str__(self):
        return f"Peer review for {self.step}"


class TeamInvitation(models.Model):
    """An invitation to join a course's team, emailed to an address with no account yet.

    The emailed link carries the token; whoever signs in with the invited address and
    follows it before expires_at joins the team with the role (courses.services
    .accept_invitation). Inviting the same address again renews the pending invitation: a new
    token, role and expiry, so at most one invitation per course and address is pending.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    # Stored lower-cased and stripped (services.invite), as sign-in compares addresses.
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=TeamRole.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # secrets.token_urlsafe(32): 43 characters, unguessable, and the whole of the link's secret.
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="team_invitation_one_pending_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()}) to {self.course}"

    def is_expired(self, *, now: datetime.datetime) -> bool:
        return self.expires_at <= now


class SearchEntry(models.Model):
    """What search finds in a course (stoa.courses.search): one paragraph of a step's transcript
    as learners read it (start_ms set, the page's #t-<start_ms> anchor), or a step's title and
    text as plain text (start_ms null). Rewritten for each step the package import changes,
    in its transaction.

    The engines index `text`: on SQLite the FTS5 table courses_searchentry_fts, kept by
    triggers (migration 0012); on PostgreSQL `vector`, filled by stoa.courses.search, with a GIN
    index. `course` and `week_number` are the step's, so that search filters by open weeks
    without a join; a step never changes week (the import matches steps by week and slug).
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="search_entries")
    week_number = models.PositiveSmallIntegerField()
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField()
    # PostgreSQL's tsvector (an unused column of that name on SQLite, which accepts any type).
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self):
        return self.text[:60]
