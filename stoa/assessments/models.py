"""Assessments: what learners answer on a step: polls, quizzes, tests and peer review.

A poll step is a Step of type poll with one Question and its Options (stoa.courses). Votes
are kept per learner; results are kept per run, as counts that change in the transaction of
the vote that changes them, so showing results never counts votes.
"""

from django.conf import settings
from django.db import models

from stoa.courses.models import CourseRun, Option, Question, Step
from stoa.learning.models import Enrolment


class PollVote(models.Model):
    """One learner's vote in a poll: the 1-based positions of the options they chose.

    One per learner and poll. It counts in `run`, the learner's run when they last voted: a
    learner who rejoins on a later run and votes again moves their vote to that run's results.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="poll_votes"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="poll_votes")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="poll_votes")
    choices = models.CharField(max_length=200, help_text="Option positions, e.g. 1,3")
    voted_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step"], name="poll_vote_user_step_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.step}: {self.choices}"

    @property
    def positions(self) -> list[int]:
        return [int(position) for position in self.choices.split(",") if position]


class PollTally(models.Model):
    """How many learners of a run chose an option; kept by services.vote_in_poll."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="poll_tallies")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="poll_tallies")
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "poll tallies"
        constraints = [
            models.UniqueConstraint(fields=["run", "option"], name="poll_tally_run_option_unique"),
        ]

    def __str__(self):
        return f"{self.option}: {self.votes}"


class PollTurnout(models.Model):
    """How many learners of a run have voted in a poll: what percentages are shares of, since
    on a choose-many poll the tallies add up to more than the voters.

    Its row is also the lock every vote in the run's poll takes first, so that votes changing
    the same tallies in different orders wait in line instead of deadlocking.
    """

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="poll_turnouts")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="poll_turnouts")
    voters = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "step"], name="poll_turnout_run_step_unique"),
        ]

    def __str__(self):
        return f"{self.step} in {self.run}: {self.voters}"


class Answer(models.Model):
    """One try at one question of a quiz or test: a row per submission, in the shape research
    exports need (learner, run, step, question, the options chosen, whether it was right).

    A try is numbered within its sitting, and (user, question, sitting, attempt) is unique: a
    form names the try it answers, so the same submission sent twice (a double click, two
    tabs, a replay) finds its try taken and stores nothing more.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="answers")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="answers")
    # Answers go with their question: a question changed by a re-imported package is a new
    # question, and answers to the old one would be scored against the wrong options.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    sitting = models.PositiveSmallIntegerField(
        default=1, help_text="Which go at a test this belongs to; a reset starts the next."
    )
    attempt = models.PositiveSmallIntegerField(help_text="The try at this question, from 1.")
    choices = models.CharField(max_length=200, help_text="Option positions, e.g. 1,3")
    correct = models.BooleanField()
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question", "sitting", "attempt"], name="answer_try_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "step", "sitting"], name="answer_learner_step_idx"),
            models.Index(fields=["step", "submitted_at"], name="answer_step_time_idx"),
        ]

    def __str__(self):
        return f"{self.user} on {self.question_id}, try {self.attempt}: {self.choices}"

    @property
    def positions(self) -> list[int]:
        return [int(position) for position in self.choices.split(",") if position]


class QuestionTally(models.Model):
    """How many learners of a run have answered a question, and how many of them were right
    at their first try (their first sitting's first answer): for the dashboard, counted by
    questions.services in the transaction of that answer."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    first_tries = models.IntegerField(default=0)
    first_try_correct = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "question"], name="question_tally_once"),
        ]

    def __str__(self):
        return f"{self.first_try_correct} of {self.first_tries} right first on {self.question_id}"


class AnswerSheet(models.Model):
    """A learner's standing on one quiz or test step, kept in the transaction of each answer so
    that pages (and certificates) read one row instead of counting answers.

    `questions_done` counts, in the current sitting, the questions answered correctly (quiz) or
    finished, correct or out of tries (test). `points` are the sitting's test points (3, 2, 1
    for a correct first, second, third try); `best_percent` the best finished sitting's score.
    A re-import that changes the step's questions leaves the sheet older than
    Step.questions_changed_at; the services then count it again from the answers.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="answer_sheets")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="answer_sheets")
    sitting = models.PositiveSmallIntegerField(default=1)
    questions_done = models.PositiveSmallIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)
    best_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # The same in hundredths of a percent, rounded down: what the learner's record sums, so
    # that a certificate's 70% line is not crossed by rounding.
    best_score = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_answered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)  # of the current sitting
    counted_at = models.DateTimeField(help_text="When the counts were last taken from answers.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="answer_sheet_unique"),
        ]

    def __str__(self):
        return f"{self.enrolment} on {self.step_id}: {self.questions_done} done"


class PeerSubmission(models.Model):
    """A learner's work on a peer-review step: a draft until submitted, then fixed.

    `assigned` counts the reviews given plus the reservations still open, so that allocation
    takes the least-reviewed work from an index instead of counting reviews.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_submissions"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="peer_submissions")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="peer_submissions")
    text = models.TextField(max_length=20_000)
    word_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)  # visible reviews
    assigned = models.PositiveIntegerField(default=0)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "step"], name="peer_submission_unique"),
        ]
        indexes = [
            models.Index(
                fields=["step", "run", "assigned", "submitted_at"],
                name="peer_submission_alloc_idx",
                condition=models.Q(submitted_at__isnull=False, hidden_at__isnull=True),
            ),
            models.Index(fields=["step", "submitted_at"], name="peer_submission_time_idx"),
        ]

    def __str__(self):
        return f"{self.user} on {self.step_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class PeerReview(models.Model):
    """One learner's review of another's submission: an answer per rubric line, in order."""

    submission = models.ForeignKey(PeerSubmission, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_reviews"
    )
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="peer_reviews")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="peer_reviews")
    answers = models.JSONField(default=list)
    created_at = models.DateTimeField()
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "reviewer"], name="peer_review_once"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "step"], name="peer_review_reviewer_idx"),
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.submission_id}"


class PeerAllocation(models.Model):
    """The submission a reviewer is working on: reserved for a while so that two reviewers do
    not both take the last one; it ends when the review is given or the reservation lapses."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_allocations"
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="peer_allocations")
    submission = models.ForeignKey(
        PeerSubmission, on_delete=models.CASCADE, related_name="allocations"
    )
    reserved_until = models.DateTimeField()

    class Meta:
        constraints = [
            # One piece of work at a time per reviewer and step.
            models.UniqueConstraint(fields=["reviewer", "step"], name="peer_allocation_unique"),
        ]
        indexes = [models.Index(fields=["reserved_until"], name="peer_allocation_expiry_idx")]

    def __str__(self):
        return f"{self.reviewer} reviewing {self.submission_id}"


class PeerReport(models.Model):
    """A learner's report of a submission or a review to the course team."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(PeerSubmission, on_delete=models.CASCADE, related_name="reports")
    review = models.ForeignKey(
        PeerReview, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Once per reporter and thing reported: a submission (no review), or a review. Two
        # partial constraints, as SQLite has no NULLS NOT DISTINCT.
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "submission"],
                condition=models.Q(review__isnull=True),
                name="peer_report_submission_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "review"],
                condition=models.Q(review__isnull=False),
                name="peer_report_review_once",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="peer_report_open_idx")]

    def __str__(self):
        return f"Report by {self.reporter} on {self.submission_id}/{self.review_id}"
