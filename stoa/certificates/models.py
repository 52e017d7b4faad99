"""Certificates: what a learner earned on a course, fixed when it was issued.

A certificate keeps its own copy of what it says (the holder's name, the course, its partners,
its length, the lead educator, the learner's record): once issued it stays as it was, whatever
later happens to the course or the profile. Only the course team's revocation (logged in
CertificateDecision) changes its status, and it can be restored.
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

from stoa.courses.models import Course, CourseRun
from stoa.learning.models import Enrolment

# 20 characters of an alphabet of 31 carry 99 bits: unguessable, and short enough to read
# out or type. No 0/O or 1/I/L to misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 20


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Certificate(models.Model):
    class Kind(models.TextChoices):
        ACHIEVEMENT = "achievement", "Certificate of Achievement"
        PARTICIPATION = "participation", "Certificate of Participation"

    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=13, choices=Kind.choices)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="certificates")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="certificates")
    issued_at = models.DateTimeField()

    # What the certificate says, as it was when issued.
    holder_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    organisations = models.JSONField(default=list, help_text="The partners' names, in order.")
    week_count = models.PositiveSmallIntegerField()
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    lead_educator = models.CharField(max_length=200, blank=True)
    outcomes = models.JSONField(default=list, help_text="The course's learning outcomes.")
    weeks = models.JSONField(default=list, help_text="The weeks' titles, in order.")
    steps_completed = models.PositiveIntegerField()
    step_count = models.PositiveIntegerField()
    # The average of the tests' best scores in hundredths of a percent; None without tests.
    test_average = models.PositiveIntegerField(null=True, blank=True)

    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "kind"], name="certificate_once_each"),
        ]
        indexes = [
            models.Index(fields=["user", "-issued_at"], name="certificate_holder_idx"),
            models.Index(fields=["run", "issued_at"], name="certificate_run_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}"

    def get_absolute_url(self) -> str:
        return reverse("certificates:verify", args=[self.code])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def test_average_percent(self) -> float | None:
        return None if self.test_average is None else self.test_average / 100


class CertificateTally(models.Model):
    """How many certificates of a kind were issued to a run's learners on a day (in the
    site's time zone), for the dashboard: counted by services._issue as it issues one.
    Revoking does not take it back: the figure is what was issued."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Certificate.Kind.choices)
    issued = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "day", "kind"], name="certificate_tally_once"),
        ]

    def __str__(self):
        return f"{self.issued} {self.kind} on {self.day} in {self.run_id}"


class CertificateDecision(models.Model):
    """The log of the course team's revocations and restorations: who, when, why."""

    class Kind(models.TextChoices):
        REVOKE = "revoke", "Revoked"
        RESTORE = "restore", "Restored"

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["certificate", "-decided_at"], name="certificate_log_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.certificate_id}"
