"""Assessments: what learners answer on a step. Polls now; quizzes, tests and peer review next.

A poll step is a Step of type poll with one Question and its Options (stoa.courses). Votes
are kept per learner; results are kept per run, as counts that change in the transaction of
the vote that changes them, so showing results never counts votes.
"""

from django.conf import settings
from django.db import models

from stoa.courses.models import CourseRun, Option, Step


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
