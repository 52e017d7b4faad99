from django.core.management.base import BaseCommand, CommandError
from django.tasks import TaskResultStatus

from stoa.conversation.announcements.services import send_due_announcements


class Command(BaseCommand):
    help = (
        '`send-due` writes the day\'s "Week N is open" announcements of runs that send them, '
        "and queues the sending of announcements whose time has come (and restarts sends that "
        "stopped) for `stoa db_worker`; --now sends here instead. Run it every few minutes "
        "from cron or a systemd timer: running it again sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send-due"])
        parser.add_argument(
            "--now", action="store_true", help="Start the sending in this process, not the worker."
        )

    def handle(self, *args, action: str, now: bool, **options):
        if now:
            self._started(send_due_announcements.call())
            return
        result = send_due_announcements.enqueue()
        if result.status == TaskResultStatus.FAILED:  # an immediate backend ran it, and failed
            raise CommandError(f"Sending announcements failed: {result.errors[-1].traceback}")
        if result.is_finished:
            self._started(result.return_value)
        else:
            self.stdout.write(f"Queued the due announcements (task {result.id}) for the worker.")

    def _started(self, count: int) -> None:
        self.stdout.write(f"Started {count} announcement{'' if count == 1 else 's'}.")
