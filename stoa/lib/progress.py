"""A progress bar for long commands, on a terminal or in a log: redrawn in place on a
terminal, and on a new line every tenth of the way otherwise, so logs stay short."""

import sys
import time
from typing import Any

WIDTH = 30


class ProgressBar:
    def __init__(self, total: int, *, label: str = "", stream: Any = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._shown = -1
        self._tty = getattr(self.stream, "isatty", lambda: False)()

    def advance(self, by: int = 1) -> None:
        self.done += by
        step = 100 if self._tty else 10  # percent steps drawn: every 1% on a terminal
        shown = self.done * step // self.total if self.total else step
        if shown != self._shown:
            self._shown = shown
            self._draw(final=False)

    def finish(self) -> None:
        self._draw(final=True)

    def line(self) -> str:
        fraction = self.done / self.total if self.total else 1.0
        filled = round(WIDTH * fraction)
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = time.monotonic() - self.started
        return f"{self.label}[{bar}] {fraction:4.0%} {self.done:,}/{self.total:,} {elapsed:5.1f} s"

    def _draw(self, *, final: bool) -> None:
        if self._tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
