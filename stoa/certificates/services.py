"""Writes of certificates: issuing them the moment they are earned, and the course team's
revocations.

A certificate is issued inside the transaction of the learner's own write that crosses the
line (a step completed, a test answered): learning calls issue_earned with the learner's
record (settings.STOA_PROGRESS_HOOKS), read from the counters on the enrolment and course,
so deciding costs the same for the first learner as for the millionth and never counts rows.
Issuing is idempotent (one certificate of each kind per enrolment, by constraint), and a
certificate, once issued, stays: later changes of the course change nothing of it.

The rules (`earned_kinds`), in whole numbers so that 89.9% is never rounded up to 90%:
- Achievement, unless the course offers only participation: completed * 100 >=
  steps_completed_percent * steps; and, with tests, every test question finished and the
  tests' best scores averaging at least tests_score_percent.
- Participation, where the course offers it: completed * 100 >= participation_percent * steps.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.certificates.models import Certificate, CertificateDecision, CertificateTally
from stoa.conversation.models import Notification
from stoa.conversation.notifications.services import notify
from stoa.courses.models import Course, CourseTeamMember, TeamRole, Week
from stoa.courses.permissions import Can, may
from stoa.learning.extensions import LearnerRecord
from stoa.learning.models import Enrolment
from stoa.lib import tally
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class Requirements:
    """What a course asks for each certificate (the package's `certificate` keys)."""

    achievement: bool
    steps_percent: int
    tests_percent: int
    participation_percent: int | None

    @classmethod
    def of(cls, record: LearnerRecord) -> "Requirements":
        return cls(
            achievement=record.offers_achievement,
            steps_percent=record.steps_percent
            if record.steps_percent is not None
            else Course.CERTIFICATE_STEPS_COMPLETED_DEFAULT,
            tests_percent=record.tests_percent
            if record.tests_percent is not None
            else Course.CERTIFICATE_TESTS_SCORE_DEFAULT,
            participation_percent=record.participation_percent,
        )


def steps_needed(record: LearnerRecord, percent: int) -> int:
    """How many more steps the learner must complete to reach percent of the course's."""
    if record.step_count == 0:
        return 0
    needed = -(-percent * record.step_count // 100)  # the smallest count reaching it
    return max(0, needed - record.completed)


def tests_passed(record: LearnerRecord, requirements: Requirements) -> bool:
    if record.test_count == 0:
        return True
    return (
        record.test_questions_done >= record.test_question_count
        and record.tests_done >= record.test_count
        and record.test_score_sum >= requirements.tests_percent * 100 * record.test_count
    )


def earned_kinds(record: LearnerRecord, requirements: Requirements) -> list[str]:
    kinds: list[str] = []
    if record.step_count == 0:
        return kinds
    if (
        requirements.achievement
        and steps_needed(record, requirements.steps_percent) == 0
        and tests_passed(record, requirements)
    ):
        kinds.append(Certificate.Kind.ACHIEVEMENT)
    participation = requirements.participation_percent
    if participation is not None and steps_needed(record, participation) == 0:
        kinds.append(Certificate.Kind.PARTICIPATION)
    return kinds


def issue_earned(record: LearnerRecord) -> list[Certificate]:
    """Issues the certificates the learner's record has earned and they do not hold yet.
    Called by learning inside the transaction of the write (see the module's docstring)."""
    kinds = earned_kinds(record, Requirements.of(record))
    if not kinds:
        return []
    course = Course.objects.get(pk=record.course_id)
    held = set(
        Certificate.objects.filter(enrolment_id=record.enrolment_id).values_list("kind", flat=True)
    )
    return [
        certificate
        for kind in kinds
        if kind not in held
        if (certificate := _issue(record=record, course=course, kind=kind)) is not None
    ]


def _issue(*, record: LearnerRecord, course: Course, kind: str) -> Certificate | None:
    now = timezone.now()
    user = User.objects.get(pk=record.user_id)
    certificate = Certificate(
        kind=kind,
        enrolment_id=record.enrolment_id,
        user=user,
        course=course,
        run_id=record.run_id,
        issued_at=now,
        holder_name=user.public_name,
        course_title=course.title,
        organisations=list(
            course.organisations.order_by("courseorganisation__position").values_list(
                "name", flat=True
            )
        ),
        week_count=course.week_count,
        hours_per_week=course.hours_per_week,
        lead_educator=_lead_educator(course),
        outcomes=list(course.outcomes or []),
        weeks=list(
            Week.objects.filter(course=course).order_by("number").values_list("title", flat=True)
        ),
        steps_completed=record.completed,
        step_count=record.step_count,
        test_average=record.test_score_sum // record.test_count if record.test_count else None,
    )
    try:
        with transaction.atomic():
            certificate.save()
            Enrolment.objects.filter(pk=record.enrolment_id).update(
                certificates_held=F("certificates_held") + 1
            )
    except IntegrityError:  # the same learner's other tab issued it a moment ago
        return None
    tally.add(
        CertificateTally,
        {"run_id": record.run_id, "day": timezone.localdate(now), "kind": kind},
        issued=1,
    )
    logger.info("Issued %s %s to user %s", kind, certificate.code, user.pk)
    notify(
        recipient=user,
        kind=Notification.Kind.CERTIFICATE,
        text=_("You earned a %(kind)s for %(course)s.")
        % {"kind": certificate.get_kind_display(), "course": course.title},
    )
    code = certificate.code
    transaction.on_commit(lambda: email_certificate.enqueue(code=code), robust=True)
    return certificate


def _lead_educator(course: Course) -> str:
    team = CourseTeamMember.objects.filter(course=course).order_by("position")
    lead = (
        team.filter(role=TeamRole.LEAD_EDUCATOR).first()
        or team.filter(role=TeamRole.EDUCATOR).first()
    )
    return lead.name if lead else ""


@task
def email_certificate(code: str) -> bool:
    """Tells the holder by email that their certificate is ready, with its address."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    certificate = Certificate.objects.select_related("user").filter(code=code).first()
    if certificate is None or certificate.is_revoked:
        return False
    context = {
        "certificate": certificate,
        "site_name": settings.SITE_NAME,
        "verify_url": settings.SITE_URL + certificate.get_absolute_url(),
    }
    send_mail(
        subject=_("Your %(kind)s for %(course)s")
        % {"kind": certificate.get_kind_display(), "course": certificate.course_title},
        message=render_to_string("certificates/earned_email.txt", context),
        from_email=None,
        recipient_list=[certificate.user.email],
    )
    return True


def issue_for_enrolment(enrolment: Enrolment) -> list[Certificate]:
    """Re-checks one learner (the `stoa certificate issue` command): issues what they have
    earned and do not hold, as their own write would have."""
    with transaction.atomic():
        return issue_earned(LearnerRecord.read(enrolment.pk))


# --- Revoking ---------------------------------------------------------------------------------


def require_certificate_team(*, user: User, certificate: Certificate) -> None:
    if not may(user=user, course=certificate.course, action=Can.REVOKE_CERTIFICATES):
        raise NotAllowed(_("Only the course's team can revoke or restore its certificates."))


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise Invalid(_("Say why the certificate is revoked: the holder and the log will see it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise Invalid(
            _("Keep the reason under %(count)d characters.") % {"count": REASON_MAX_LENGTH}
        )
    return reason


@transaction.atomic
def revoke(*, certificate: Certificate, by: User | None, reason: str) -> CertificateDecision:
    """Revokes a certificate, with a reason the verification page shows; logged with who and
    when. `by` is None only for the command line, run by the site's operators."""
    if by is not None:
        require_certificate_team(user=by, certificate=certificate)
    reason = _clean_reason(reason)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.is_revoked:
        raise AlreadyDone(_("This certificate is already revoked."))
    now = timezone.now()
    certificate.revoked_at, certificate.revoked_reason = now, reason
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    logger.info("Certificate %s revoked by %s: %s", certificate.code, by and by.pk, reason)
    return CertificateDecision.objects.create(
        certificate=certificate,
        kind=CertificateDecision.Kind.REVOKE,
        decided_by=by,
        reason=reason,
        decided_at=now,
    )


@transaction.atomic
def restore(*, certificate: Certificate, by: User | None) -> CertificateDecision:
    if by is not None:
        require_certificate_team(user=by, certificate=certificate)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not certificate.is_revoked:
        raise AlreadyDone(_("This certificate is valid: there is nothing to restore."))
    now = timezone.now()
    certificate.revoked_at, certificate.revoked_reason = None, ""
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    logger.info("Certificate %s restored by %s", certificate.code, by and by.pk)
    return CertificateDecision.objects.create(
        certificate=certificate,
        kind=CertificateDecision.Kind.RESTORE,
        decided_by=by,
        decided_at=now,
    )


def issued_on(certificate: Certificate) -> datetime.date:
    return timezone.localtime(certificate.issued_at).date()
