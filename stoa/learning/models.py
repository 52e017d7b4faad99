from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stoa.courses.models import Course, CourseRun, Step


class Enrolment(models.Model):
    """A learner's place on one run of a course. Leaving keeps the row and all progress."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="enrolments")
    # Denormalised from run so that "this learner's enrolment in this course" is one lookup.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    last_step = models.ForeignKey(
        Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # The learner's record, kept in the transaction of each write that changes it, so that
    # progress and certificates read one row instead of counting: steps completed; test
    # questions finished (right, or out of tries) in a first sitting; tests finished; and the
    # sum of the tests' best scores, in hundredths of a percent.
    completed_count = models.PositiveIntegerField(default=0)
    test_questions_done = models.PositiveIntegerField(default=0)
    tests_done = models.PositiveSmallIntegerField(default=0)
    test_score_sum = models.PositiveIntegerField(default=0)
    # The last week of the run (1 from its start) in which the learner visited a step: the
    # first visit of a new week counts them once in that week's ActivityTally.
    active_week = models.PositiveSmallIntegerField(null=True, blank=True)
    # Certificates issued on this enrolment, kept by certificates' issuing in its transaction,
    # so that the progress page reads certificates only for learners who hold some.
    certificates_held = models.PositiveSmallIntegerField(default=0)
    # When the learner first had completed more than half of the steps and every test question
    # (the research data's "fully participated"), set by the write that got them there.
    fully_participated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_user_course_unique"),
        ]
        indexes = [models.Index(fields=["run", "joined_at"], name="enrolment_run_joined_idx")]

    def __str__(self):
        return f"{self.user} on {self.run}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class StepVisit(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="visits")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="visits")
    first_visited_at = models.DateTimeField()
    last_visited_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "step"], name="visit_enrolment_step_unique"
            ),
        ]

    def __str__(self):
        return f"{self.enrolment} visited {self.step}"


class StepCompletion(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="completions")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "step"], name="completion_enrolment_step_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["enrolment", "completed_at"], name="completion_recent_idx"),
        ]

    def __str__(self):
        return f"{self.enrolment} completed {self.step}"


# The dashboard's figures for a run (stoa.insights): rows kept by the services below, in the
# transaction of each join, visit and completion, through stoa.lib.tally.add. Counts are plain
# integers (a recount may follow a decrement); `stoa insights recount` rebuilds them.


class JoinTally(models.Model):
    """How many people joined the run on a day (in the site's time zone)."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    joiners = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "day"], name="join_tally_once")]

    def __str__(self):
        return f"{self.joiners} joined {self.run_id} on {self.day}"


class ActivityTally(models.Model):
    """How many learners visited at least one step in a week of the run (1 from its start)."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    week = models.PositiveSmallIntegerField()
    learners = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "week"], name="activity_tally_once")]

    def __str__(self):
        return f"{self.learners} active in week {self.week} of {self.run_id}"


class ParticipationTally(models.Model):
    """How many learners of the run first fully participated on a day (more than half of the
    steps and every test question: Enrolment.fully_participated_at)."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    learners = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "day"], name="participation_tally_once")
        ]

    def __str__(self):
        return f"{self.learners} fully participated in {self.run_id} on {self.day}"


class StepTally(models.Model):
    """How many learners of the run have visited, and have completed, a step."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    visitors = models.IntegerField(default=0)
    completers = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="step_tally_once")]

    def __str__(self):
        return f"{self.visitors} visited, {self.completers} completed {self.step_id}"


# What learners tell the course team, for its research data (stoa.insights.research). Each
# survey is optional and asked once: when leaving, at the end of each week, on joining. Rows
# imported from another platform's datasets keep that platform's id as source_id, so that the
# datasets exported again give the same ids.


class LeavingReason(models.TextChoices):
    # The values are the reasons as the reference platform's leaving-survey dataset writes them.
    NO_TIME = "I don't have enough time", _("I don't have enough time")
    MORE_TIME = (
        "The course required more time than I realised",
        _("The course required more time than I realised"),
    )
    NOT_EXPECTED = "The course wasn't what I expected", _("The course wasn't what I expected")
    NO_GOALS = (
        "The course won't help me reach my goals",
        _("The course won't help me reach my goals"),
    )
    TOO_HARD = "The course was too hard", _("The course was too hard")
    TOO_EASY = "The course was too easy", _("The course was too easy")
    OTHER = "Other", _("Other")
    PREFER_NOT = "I prefer not to say", _("I prefer not to say")


class LeavingResponse(models.Model):
    """Why a learner left the course, asked as they leave, with where they had got to."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="+")
    source_id = models.BigIntegerField(null=True, blank=True, editable=False)
    left_at = models.DateTimeField()
    reason = models.CharField(max_length=100, blank=True, choices=LeavingReason.choices)
    last_completed_step = models.ForeignKey(
        Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_completed_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["enrolment", "left_at"], name="leaving_enrolment_idx")]

    def __str__(self):
        return f"{self.enrolment_id} left: {self.reason or '-'}"


class Sentiment(models.IntegerChoices):
    BAD = 1, _("Not good")
    OK = 2, _("OK")
    GOOD = 3, _("Good")


class SentimentResponse(models.Model):
    """How a learner found a week of the course, asked once they reach its end. The dataset
    leaves out who answered; the enrolment is kept only so that each learner answers once."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True, editable=False)
    week = models.PositiveSmallIntegerField()
    rating = models.PositiveSmallIntegerField(choices=Sentiment.choices)
    reason = models.TextField(blank=True, max_length=2000)
    responded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "week"],
                name="sentiment_once_a_week",
                condition=models.Q(enrolment__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["run", "responded_at"], name="sentiment_run_idx")]

    def __str__(self):
        return f"Week {self.week}: {self.rating}"


class Archetype(models.TextChoices):
    # The learner archetypes of the reference platform's joining survey, as its dataset writes them.
    ADVANCERS = "Advancers", _("I want to advance my career")
    EXPLORERS = "Explorers", _("I love learning new things")
    FIXERS = "Fixers", _("I need to solve a problem")
    FLOURISHERS = "Flourishers", _("I want to grow as a person")
    HOBBYISTS = "Hobbyists", _("It is about a hobby of mine")
    PREPARERS = "Preparers", _("I am preparing for further study")
    VITALISERS = "Vitalisers", _("I want to keep my mind active")


class ArchetypeResponse(models.Model):
    """Why a learner joined, asked once on joining (optional)."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="+")
    source_id = models.BigIntegerField(null=True, blank=True, editable=False)
    archetype = models.CharField(max_length=20, choices=Archetype.choices)
    responded_at = models.DateTimeField()

    def __str__(self):
        return f"{self.enrolment_id}: {self.archetype}"


class VideoTally(models.Model):
    """What the player reports of a video step's views in a run, counted by the beacons of
    stoa.learning.video: one row per run and step, one UPDATE per milestone. The dataset
    gives the reached-milestone, device and continent figures as shares of views."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    views = models.IntegerField(default=0)
    downloads = models.IntegerField(default=0)
    caption_views = models.IntegerField(default=0)
    transcript_views = models.IntegerField(default=0)
    hd_views = models.IntegerField(default=0)
    reached_5 = models.IntegerField(default=0)
    reached_10 = models.IntegerField(default=0)
    reached_25 = models.IntegerField(default=0)
    reached_50 = models.IntegerField(default=0)
    reached_75 = models.IntegerField(default=0)
    reached_95 = models.IntegerField(default=0)
    reached_100 = models.IntegerField(default=0)
    console_views = models.IntegerField(default=0)
    desktop_views = models.IntegerField(default=0)
    mobile_views = models.IntegerField(default=0)
    tv_views = models.IntegerField(default=0)
    tablet_views = models.IntegerField(default=0)
    unknown_device_views = models.IntegerField(default=0)
    # Counted only when a GeoIP database is configured (STOA_GEOIP_PATH).
    europe_views = models.IntegerField(default=0)
    oceania_views = models.IntegerField(default=0)
    asia_views = models.IntegerField(default=0)
    north_america_views = models.IntegerField(default=0)
    south_america_views = models.IntegerField(default=0)
    africa_views = models.IntegerField(default=0)
    antarctica_views = models.IntegerField(default=0)
    # A row of an imported video-stats dataset, kept as it was written (its shares cannot be
    # turned back into counts): exported as it came.
    imported = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "step"], name="video_tally_once")]

    def __str__(self):
        return f"{self.views} views of {self.step_id} in {self.run_id}"
