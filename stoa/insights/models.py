"""The research data's own rows (stoa.insights.research): the pseudonyms that stand for learners
in the datasets, and what rows imported from another platform's datasets carried that Stoa does
not model, so that exporting an imported run gives back the same rows."""

import uuid

from django.conf import settings
from django.db import models

from stoa.courses.models import Course, CourseRun


class Pseudonym(models.Model):
    """The id that stands for a person in a course's datasets: random, stable, and never their
    account's id or email. Made for a learner when a dataset first names them; an imported
    learner keeps the id the other platform's datasets gave them."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    learner_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="pseudonym_once_per_course"),
        ]
        indexes = [models.Index(fields=["course", "learner_id"], name="pseudonym_learner_idx")]

    def __str__(self):
        return str(self.learner_id)


class ImportedRow(models.Model):
    """A dataset row imported into a run: which row of Stoa's it became (object_id, in the
    table the dataset names), the id the dataset gave it, and the cells Stoa has no column for
    (a comment's moderation state, a learner's detected country), as they were written."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    dataset = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    source_id = models.CharField(max_length=64, blank=True)
    cells = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "object_id"], name="imported_row_once"),
        ]
        indexes = [
            models.Index(fields=["run", "dataset", "source_id"], name="imported_row_source_idx"),
        ]

    def __str__(self):
        return f"{self.dataset} {self.source_id} -> {self.object_id}"
