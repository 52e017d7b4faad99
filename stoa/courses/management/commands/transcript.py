from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stoa.lib.transcripts import TranscriptError, cues_from_page_text, to_webvtt
from stoa.lib.webvtt import Unreadable, convert, decode


def _cues(count: int) -> str:
    return f"{count} cue{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Transcript tools: `from-text FILE` turns a step page's 'Skip to' text into WebVTT; "
        "`convert FILE [-o OUT]` writes clean WebVTT from SRT, a Teams or Stream transcript, "
        "or YouTube's rolling captions."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        from_text = actions.add_parser(
            "from-text", help="Print the WebVTT for a page whose paragraphs begin 'Skip to ...'."
        )
        from_text.add_argument("file", type=Path)
        convert = actions.add_parser(
            "convert",
            help=(
                "Write clean WebVTT from SubRip (SRT), a Teams or Stream .vtt transcript, "
                "YouTube's rolling captions or WebVTT, whichever FILE is: times as browsers "
                "read them, voices kept, each line of rolling captions once."
            ),
        )
        convert.add_argument("file", type=Path)
        convert.add_argument(
            "-o",
            "--output",
            type=Path,
            help="the file to write (it may be FILE itself); without it, the WebVTT is printed",
        )

    def handle(self, *args, action: str, file: Path, **options):
        if action == "convert":
            self.convert(file, options["output"])
            return
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            vtt = to_webvtt(cues_from_page_text(text, source=str(file)))
        except TranscriptError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(vtt, ending="")

    def convert(self, file: Path, output: Path | None) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        try:
            conversion = convert(decode(data))
        except Unreadable as exc:
            for finding in exc.findings:
                where = str(file) if finding.line is None else f"{file}:{finding.line}"
                self.stderr.write(f"{where}: {finding.text}")
            count = len(exc.findings)
            raise CommandError(
                f"{file} cannot be converted: {count} problem{'' if count == 1 else 's'} found."
            ) from None
        if output is None:
            self.stdout.write(conversion.webvtt, ending="")
        else:
            try:
                output.write_text(conversion.webvtt, encoding="utf-8", newline="\n")
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
        summary = (
            f"Read {file} as {conversion.kind}: {_cues(conversion.cues_read)} read, "
            f"{_cues(conversion.cues_written)} written"
        )
        # The summary goes to stderr when the WebVTT itself is printed, so that it can be
        # redirected to a file as it is.
        (self.stdout if output is not None else self.stderr).write(
            summary + (f" to {output}" if output is not None else ""),
            style_func=self.style.SUCCESS,
        )
