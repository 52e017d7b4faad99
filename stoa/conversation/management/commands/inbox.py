"""`stoa inbox backfill [SLUG] --before DATE`: puts in the team's inbox the learners' threads
written before the inbox existed that no one on the team has answered.

The inbox arrived with Comment.waiting (migration conversation 0006), false on every comment
then. Nothing records that someone on the team marked a comment handled: afterwards it looks
like a comment that never waited. So the command takes only comments written before --before,
and refuses a --before later than the moment that migration ran here; those comments never
waited, and so were never handled, unless a moderator restored one since (restoring puts a
thread back in the inbox, where it may have been handled): those are left out.

Batches by primary key, each its own transaction, so memory stays flat and a stopped run can
be run again. Every comment goes in through inbox.waiting, which keeps the steps'
WaitingCount rows; running it twice changes nothing the second time.
"""

import datetime
import logging

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from stoa.conversation.inbox import waiting
from stoa.conversation.models import Comment, ModerationAction
from stoa.courses.models import Course
from stoa.lib.progress import ProgressBar

logger = logging.getLogger(__name__)

BATCH = 500
INBOX_MIGRATION = ("conversation", "0006_inbox_waiting_and_pinning")


class Command(BaseCommand):
    help = (
        "The team's inbox: `backfill [SLUG] --before DATE` puts in it the learners' threads "
        "written before DATE (when the inbox arrived) that no one on the team has answered."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        backfill = actions.add_parser(
            "backfill", help="Put the unanswered threads written before the inbox in it."
        )
        backfill.add_argument(
            "slug", nargs="?", metavar="SLUG", help="only this course (all when left out)"
        )
        backfill.add_argument(
            "--before",
            required=True,
            metavar="DATE",
            help=(
                "YYYY-MM-DD (midnight, in the site's time zone) or an ISO date and time: when "
                "the inbox arrived. Later comments that do not wait were marked handled, or "
                "answered: they are left alone."
            ),
        )

    def handle(self, *args, action: str, **options):
        getattr(self, action)(**options)

    def backfill(self, *, slug: str | None, before: str, **options) -> None:
        moment = _moment(before)
        arrived = _inbox_arrived()
        if arrived is not None and moment > arrived:
            raise CommandError(
                f"--before {before} is after the inbox arrived here ({arrived.isoformat()}): "
                "comments written since may have been marked handled, which is not recorded."
            )
        comments = _unanswered_before(moment)
        if slug is not None:
            course = Course.objects.filter(slug=slug).first()
            if course is None:
                raise CommandError(f"No course with slug {slug!r}.")
            comments = comments.filter(run__course=course)
        bar = ProgressBar(comments.count(), label="Checking comments ", stream=self.stderr)
        added, last = 0, 0
        while True:
            with transaction.atomic():
                # Locked, then checked again (waits_again reads after the lock): a reply from
                # the team posted meanwhile either comes first and is seen here, or waits for
                # this transaction and then takes the comment out again (post_comment).
                batch = list(
                    comments.filter(pk__gt=last)
                    .select_for_update(of=("self",))
                    .order_by("pk")
                    .only("pk", "run_id", "step_id", "parent_id", "team_role", "body")[:BATCH]
                )
                if not batch:
                    break
                added += _put_in_inbox(batch)
            bar.advance(len(batch))
            last = batch[-1].pk
        bar.finish()
        logger.info("inbox backfill before %s: %s comments put in the inbox", moment, added)
        where = f" of {slug}" if slug else ""
        self.stdout.write(
            f"Put {added} comment{'' if added == 1 else 's'}{where} in the team's inbox."
        )


def _moment(value: str) -> datetime.datetime:
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:  # well formed, but no such day or time
        moment = None
    if moment is None:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO date and time.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _inbox_arrived() -> datetime.datetime | None:
    """When the migration that brought Comment.waiting ran on this database."""
    app, name = INBOX_MIGRATION
    applied = MigrationRecorder(connection).migration_qs.filter(app=app, name=name)
    return applied.values_list("applied", flat=True).first()


def _unanswered_before(moment: datetime.datetime) -> QuerySet[Comment]:
    """Learners' threads written before the moment, shown, not waiting, never restored since,
    with no reply from the team (the rule of waiting.waits_again, as a filter)."""
    team_replies = Comment.objects.filter(
        parent_id=OuterRef("pk"), team_role__gt="", deleted_at=None
    )
    restored_since = ModerationAction.objects.filter(
        comment_id=OuterRef("pk"), kind=ModerationAction.Kind.RESTORE, created_at__gte=moment
    )
    return Comment.objects.filter(
        created_at__lt=moment,
        parent=None,
        team_role="",
        hidden_at=None,
        deleted_at=None,
        waiting=False,
    ).exclude(Exists(team_replies) | Exists(restored_since))


def _put_in_inbox(batch: list[Comment]) -> int:
    added = 0
    questions = []
    for comment in batch:
        if waiting.waits_again(comment) and waiting.start_waiting(comment):
            added += 1
            if waiting.asks_a_question(comment.body):
                questions.append(comment.pk)
    Comment.objects.filter(pk__in=questions).update(is_question=True)
    return added
