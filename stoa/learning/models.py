from django.conf import settings
from django.db import models

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
