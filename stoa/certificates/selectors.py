"""Reads of certificates for pages, commands and (later) the API, each in a fixed number of
queries."""

from dataclasses import dataclass, field

from stoa.accounts.models import User
from stoa.certificates.models import Certificate, CertificateDecision
from stoa.certificates.services import Requirements, steps_needed
from stoa.learning.extensions import LearnerRecord
from stoa.learning.models import Enrolment
from stoa.lib.prepared import PreparedQuery, columns, instance

DECISIONS_SHOWN = 10


@dataclass
class Goal:
    """One certificate the course offers, and what the learner still has to do for it."""

    kind: str
    label: str
    certificate: Certificate | None = None
    steps_left: int = 0
    questions_left: int = 0
    average: float | None = None  # the tests' best scores so far, in percent
    average_needed: int | None = None  # when the average is below the line

    @property
    def earned(self) -> bool:
        return self.certificate is not None


@dataclass
class Standing:
    goals: list[Goal] = field(default_factory=list)


# Read on every progress page: compiled once (stoa.lib.prepared).
_CERTIFICATES = PreparedQuery(
    lambda values: Certificate.objects.filter(enrolment_id=values.enrolment).values(
        *columns(Certificate)
    )
)


def standing_for(*, enrolment: Enrolment) -> Standing:
    """Each certificate the course offers, held or with what is left to earn it, from the
    enrolment as loaded. One query, their certificates, for those who hold some."""
    record = LearnerRecord.of_enrolment(enrolment)
    requirements = Requirements.of(record)
    held = {}
    if enrolment.certificates_held:  # kept by the issuing, so most learners cost no query
        rows = _CERTIFICATES.run(enrolment=enrolment.pk)
        held = {row["kind"]: instance(Certificate, row) for row in rows}
    goals = []
    if requirements.achievement:
        average = record.test_average
        goal = Goal(
            kind=Certificate.Kind.ACHIEVEMENT,
            label=Certificate.Kind.ACHIEVEMENT.label,
            certificate=held.get(Certificate.Kind.ACHIEVEMENT),
            steps_left=steps_needed(record, requirements.steps_percent),
            questions_left=max(0, record.test_question_count - record.test_questions_done),
            average=None if average is None else average / 100,
        )
        if record.test_count and average is not None and average < requirements.tests_percent * 100:
            goal.average_needed = requirements.tests_percent
        goals.append(goal)
    if requirements.participation_percent is not None:
        goals.append(
            Goal(
                kind=Certificate.Kind.PARTICIPATION,
                label=Certificate.Kind.PARTICIPATION.label,
                certificate=held.get(Certificate.Kind.PARTICIPATION),
                steps_left=steps_needed(record, requirements.participation_percent),
            )
        )
    return Standing(goals=goals)


def certificates_of(*, user: User) -> list[Certificate]:
    """A learner's certificates, newest first: the achievements page. One query."""
    return list(
        Certificate.objects.filter(user=user).select_related("course").order_by("-issued_at")
    )


def certificate_at(code: str) -> Certificate | None:
    """The certificate with this code, or None; codes are compared as they are printed
    (upper case), so a code typed in lower case still finds it."""
    if not code.isascii() or not code.isalnum() or len(code) > 40:
        return None
    return Certificate.objects.select_related("course", "user").filter(code=code.upper()).first()


def decisions_on(certificate: Certificate) -> list[CertificateDecision]:
    return list(
        certificate.decisions.select_related("decided_by").order_by("-decided_at")[:DECISIONS_SHOWN]
    )
