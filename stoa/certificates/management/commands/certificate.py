"""The course team's certificate commands. Issuing re-checks a run's learners in batches by
primary key, so memory stays flat for a run of a million, and is idempotent: a learner who
holds a certificate is not given another."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from stoa.certificates import selectors, services
from stoa.certificates.models import Certificate
from stoa.courses.models import Course
from stoa.learning.models import Enrolment
from stoa.lib.progress import ProgressBar
from stoa.lib.refusals import Refused

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Certificates: `list SLUG [--run N]`, `issue SLUG --run N` (re-checks every learner of "
        "the run), `revoke CODE --reason TEXT`, `restore CODE`, `verify FILE` (a credential)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="List a course's certificates.")
        listing.add_argument("slug")
        listing.add_argument("--run", type=int, help="only this run (its id: `stoa run list`)")
        issue = actions.add_parser("issue", help="Issue what a run's learners have earned.")
        issue.add_argument("slug")
        issue.add_argument("--run", type=int, required=True)
        revoke = actions.add_parser("revoke", help="Revoke a certificate.")
        revoke.add_argument("code")
        revoke.add_argument("--reason", required=True)
        restore = actions.add_parser("restore", help="Restore a revoked certificate.")
        restore.add_argument("code")
        verify = actions.add_parser("verify", help="Check a downloaded credential file.")
        verify.add_argument("file", type=Path)

    def handle(self, *args, action: str, **options):
        getattr(self, action)(**options)

    def _course(self, slug: str) -> Course:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        return course

    def _certificate(self, code: str) -> Certificate:
        certificate = selectors.certificate_at(code)
        if certificate is None:
            raise CommandError(f"No certificate with code {code!r}.")
        return certificate

    def list(self, *, slug: str, run: int | None, **options) -> None:
        certificates: QuerySet[Certificate] = Certificate.objects.filter(course=self._course(slug))
        if run is not None:
            certificates = certificates.filter(run_id=run)
        count = 0
        for certificate in certificates.order_by("issued_at", "pk").iterator(chunk_size=BATCH):
            count += 1
            status = (
                f"revoked {certificate.revoked_at:%Y-%m-%d}" if certificate.is_revoked else "valid"
            )
            self.stdout.write(
                f"{certificate.code}  {certificate.issued_at:%Y-%m-%d}  {certificate.kind:<13}  "
                f"{status:<18}  {certificate.holder_name}"
            )
        self.stdout.write(f"{count} certificate{'' if count == 1 else 's'}")

    def issue(self, *, slug: str, run: int, **options) -> None:
        course = self._course(slug)
        if not course.runs.filter(pk=run).exists():
            raise CommandError(f"{slug} has no run {run}. See `stoa run list {slug}`.")
        learners = Enrolment.objects.filter(run_id=run, left_at__isnull=True)
        bar = ProgressBar(learners.count(), label="Checking learners ", stream=self.stderr)
        issued, last = 0, 0
        while True:
            batch = list(
                learners.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
            )
            if not batch:
                break
            for enrolment_id in batch:
                issued += len(services.issue_for_enrolment(Enrolment(pk=enrolment_id)))
            bar.advance(len(batch))
            last = batch[-1]
        bar.finish()
        self.stdout.write(f"Issued {issued} certificate{'' if issued == 1 else 's'}.")

    def revoke(self, *, code: str, reason: str, **options) -> None:
        try:
            services.revoke(certificate=self._certificate(code), by=None, reason=reason)
        except Refused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"Revoked {code}.")

    def restore(self, *, code: str, **options) -> None:
        try:
            services.restore(certificate=self._certificate(code), by=None)
        except Refused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"Restored {code}.")

    def verify(self, *, file: Path, **options) -> None:
        from stoa.certificates.credentials import verify_file

        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{file} is not a credential file: {error}") from None
        result = verify_file(data)
        for line in result.lines():
            self.stdout.write(line)
        if not result.valid:
            raise CommandError("The credential does not verify.")
