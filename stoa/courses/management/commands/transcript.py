from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stoa.lib.transcripts import TranscriptError, cues_from_page_text, to_webvtt


class Command(BaseCommand):
    help = "Transcript tools: `from-text FILE` turns a step page's 'Skip to' text into WebVTT."
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        from_text = actions.add_parser(
            "from-text", help="Print the WebVTT for a page whose paragraphs begin 'Skip to ...'."
        )
        from_text.add_argument("file", type=Path)

    def handle(self, *args, action: str, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            vtt = to_webvtt(cues_from_page_text(text, source=str(file)))
        except TranscriptError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(vtt, ending="")
