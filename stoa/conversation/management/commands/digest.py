from django.core.management.base import BaseCommand, CommandError
from django.tasks import TaskResultStatus

from stoa.conversation.notifications.services import send_daily_digests


class Command(BaseCommand):
    help = (
        "Queues the daily email digest of unread notifications for `stoa db_worker` to send "
        "(--now sends it here instead). Run it once a day from cron or a systemd timer; "
        "running it again the same day sends nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="Send the digests in this process, not the worker."
        )

    def handle(self, *args, now: bool, **options):
        if now:
            self._sent(send_daily_digests.call())
            return
        result = send_daily_digests.enqueue()
        if result.status == TaskResultStatus.FAILED:  # an immediate backend ran it, and failed
            raise CommandError(f"The daily digest failed: {result.errors[-1].traceback}")
        if result.is_finished:
            self._sent(result.return_value)
        else:
            self.stdout.write(f"Queued the daily digest (task {result.id}) for the worker.")

    def _sent(self, count: int) -> None:
        self.stdout.write(f"Sent {count} digest{'' if count == 1 else 's'}.")
