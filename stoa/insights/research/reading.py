"""Reading the reference platform's dataset files: finding them in a folder or a ZIP, and
streaming each one's rows as the csv module reads them (CRLF or LF, quoted newlines, a UTF-8
byte order mark), with the line each row starts on for the errors that name it.

Nothing here holds a file in memory: an opener opens the file again for each read, and a
Table yields one row at a time.
"""

import csv
import datetime
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.utils.translation import gettext as _

from stoa.insights.research import schema

Opener = Callable[[], BinaryIO]

# Rows between two calls of a progress callback.
PROGRESS_EVERY = 1000


class FileError(Exception):
    """A file (or its header) that cannot be read at all: the message names what is wrong."""


def dataset_of(file_name: str) -> str | None:
    """The dataset a file holds, from its name: `<anything>_<dataset>.csv` (or just
    `<dataset>.csv`), in any case; None for any other file."""
    name = PurePosixPath(file_name).name.lower()
    if not name.endswith(".csv") or name.startswith((".", "._")):
        return None
    stem = name.removesuffix(".csv")
    for dataset in schema.DATASETS:
        if stem == dataset or stem.endswith("_" + dataset):
            return dataset
    return None


def files_in(source: Path | BinaryIO) -> dict[str, tuple[str, Opener]]:
    """The dataset files in a folder (and its subfolders) or a ZIP (a path, or an uploaded
    file), by dataset: (the file's name, an opener that opens it anew at each call).
    FileError for two files of one dataset, or a ZIP that cannot be opened."""
    if isinstance(source, Path) and source.is_dir():
        names = [
            (str(file.relative_to(source)), _file_opener(file))
            for file in sorted(source.rglob("*"))
            if file.is_file()
        ]
    else:
        try:
            with zipfile.ZipFile(source) as archive:
                members = sorted(info.filename for info in archive.infolist() if not info.is_dir())
        except (OSError, zipfile.BadZipFile) as error:
            raise FileError(
                _("%(name)s is not a folder or a ZIP file that can be read: %(error)s")
                % {"name": getattr(source, "name", "") or _("The file"), "error": error}
            ) from None
        names = [(name, _member_opener(source, name)) for name in members]
    found: dict[str, tuple[str, Opener]] = {}
    for name, opener in names:
        dataset = dataset_of(name)
        if dataset is None or "__MACOSX" in PurePosixPath(name).parts:
            continue
        if dataset in found:
            raise FileError(
                _("%(first)s and %(second)s are both %(dataset)s files: keep one of them.")
                % {"first": found[dataset][0], "second": name, "dataset": dataset}
            )
        found[dataset] = (PurePosixPath(name).name, opener)
    return found


def _file_opener(path: Path) -> Opener:
    def open_file() -> BinaryIO:
        return path.open("rb")

    return open_file


def _member_opener(archive: Path | BinaryIO, name: str) -> Opener:
    def open_member() -> BinaryIO:
        # The member keeps its archive open until it is closed itself (zipfile counts them).
        return zipfile.ZipFile(archive).open(name)  # type: ignore[return-value]

    return open_member


# --- Rows --------------------------------------------------------------------------------------


class Table:
    """One dataset file, read from its start at each call of rows(): the header is checked
    (any of the dataset's columns, in any order, as long as it has those the import needs:
    older files have fewer), then each row comes as a dict of the columns the file has."""

    def __init__(self, dataset: str, opener: Opener, *, name: str = "") -> None:
        self.dataset = dataset
        self.opener = opener
        self.name = name

    def rows(
        self, *, needs: tuple[str, ...] = (), progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, row) for each row, the line being where the row starts. FileError for a
        header that is not the dataset's, a row of the wrong length, or text that is not
        UTF-8 CSV: what follows such a row cannot be trusted."""
        try:
            binary = self.opener()
        except (OSError, zipfile.BadZipFile) as error:
            self.name = self.name or f"{self.dataset}.csv"
            raise FileError(
                self.where(1) + _("this file cannot be opened (%(error)s).") % {"error": error}
            ) from None
        if not self.name:  # the file's own name if it has one (a file on disk, a ZIP member)
            own = PurePosixPath(str(getattr(binary, "name", "") or "")).name
            self.name = own or f"{self.dataset}.csv"
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            reader = csv.reader(text)
            try:
                header = [column.strip() for column in next(reader, [])]
                columns = self._check_header(header, needs)
                start = reader.line_num + 1
                read = 0
                for cells in reader:
                    line, start = start, reader.line_num + 1
                    if not cells:
                        continue  # a blank line
                    if len(cells) != len(columns):
                        raise FileError(
                            self.where(line)
                            + _("this row has %(found)s cells where the header has %(columns)s.")
                            % {"found": len(cells), "columns": len(columns)}
                        )
                    yield line, dict(zip(columns, cells, strict=True))
                    read += 1
                    if progress is not None and read == PROGRESS_EVERY:
                        progress(read)
                        read = 0
                if progress is not None and read:
                    progress(read)
            except csv.Error as error:
                raise FileError(
                    self.where(reader.line_num)
                    + _("this is not CSV that can be read (%(error)s).") % {"error": error}
                ) from None
            except UnicodeDecodeError:
                raise FileError(
                    self.where(reader.line_num + 1) + _("this file is not UTF-8 text.")
                ) from None
            except (OSError, EOFError, zipfile.BadZipFile) as error:  # a damaged ZIP's member
                raise FileError(
                    self.where(reader.line_num + 1)
                    + _("this file cannot be read (%(error)s).") % {"error": error}
                ) from None
        finally:
            text.close()

    def where(self, line: int) -> str:
        """The start of an error about a line: "course_comments.csv:12: "."""
        return f"{self.name}:{line}: "

    def _check_header(self, header: list[str], needs: tuple[str, ...]) -> list[str]:
        known = schema.DATASETS[self.dataset]
        if not any(header):
            raise FileError(self.where(1) + _("the file is empty: it has no header line."))
        unknown = [column for column in header if column not in known]
        if unknown:
            raise FileError(
                self.where(1)
                + _("%(columns)s: not columns of the %(dataset)s dataset.")
                % {"columns": ", ".join(unknown), "dataset": self.dataset}
            )
        repeated = sorted({column for column in header if header.count(column) > 1})
        if repeated:
            raise FileError(
                self.where(1)
                + _("%(columns)s: each column may appear once.") % {"columns": ", ".join(repeated)}
            )
        missing = [column for column in needs if column not in header]
        if missing:
            raise FileError(
                self.where(1)
                + _("the columns %(columns)s are missing.") % {"columns": ", ".join(missing)}
            )
        return header


# --- Cells -------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not hold what its column should: the message says what."""


def time_in(
    row: dict[str, str], column: str, *, required: bool = False
) -> datetime.datetime | None:
    """A time cell (schema.parse_time), None when empty or absent; CellError otherwise."""
    cell = row.get(column, "")
    # The reference's own format, read without strptime: most of a file's cells are times.
    if len(cell) == 23 and cell[19:] == " UTC" and cell[10] == " ":
        try:
            return datetime.datetime.fromisoformat(cell[:19]).replace(tzinfo=datetime.UTC)
        except ValueError:
            pass
    try:
        moment = schema.parse_time(cell)
    except ValueError:
        raise CellError(
            _("%(column)s is not a time like 2016-09-05 11:41:07 UTC: %(cell)s")
            % {"column": column, "cell": _shown(cell)}
        ) from None
    if moment is None and required:
        raise CellError(_("%(column)s is empty: it needs a time.") % {"column": column})
    return moment


def number_in(
    row: dict[str, str], column: str, *, default: int | None = None, at_least: int = 0
) -> int:
    """A whole number cell; `default` when empty or absent (if given); CellError otherwise."""
    cell = row.get(column, "").strip()
    if not cell and default is not None:
        return default
    if not (cell.isascii() and cell.isdigit()) or len(cell) > 18 or int(cell) < at_least:
        raise CellError(
            _("%(column)s is not a whole number of at least %(least)s: %(cell)s")
            % {"column": column, "least": at_least, "cell": _shown(cell)}
        )
    return int(cell)


def share_in(row: dict[str, str], column: str) -> float | None:
    """A percentage cell ("93.75"), None when empty or absent; CellError otherwise."""
    cell = row.get(column, "").strip()
    if not cell:
        return None
    try:
        share = float(cell)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 100:
        raise CellError(
            _("%(column)s is not a percentage: %(cell)s") % {"column": column, "cell": _shown(cell)}
        )
    return share


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def learner_in(row: dict[str, str], column: str) -> str | None:
    """A learner id (a UUID, in its canonical lower-case form), None when empty."""
    cell = row.get(column, "").strip()
    if not cell:
        return None
    if _CANONICAL_UUID.fullmatch(cell):
        return cell
    try:
        return str(uuid.UUID(cell))
    except ValueError:
        raise CellError(
            _("%(column)s is not a learner id (a UUID): %(cell)s")
            % {"column": column, "cell": _shown(cell)}
        ) from None


def step_in(
    row: dict[str, str], *, label: str, week: str, number: str, required: bool = True
) -> tuple[int, int] | None:
    """The (week, step) a row names, from its week and step number columns or its label
    ("1.3"), which must agree when it has both; None for none when not required."""
    cell = row.get(label, "").strip()
    named = None
    if cell:
        week_text, dot, step_text = cell.partition(".")
        if not (dot and _whole(week_text) and _whole(step_text)):
            raise CellError(
                _("%(column)s is not a step like 1.3: %(cell)s")
                % {"column": label, "cell": _shown(cell)}
            )
        named = (int(week_text), int(step_text))
    if row.get(week, "").strip() or row.get(number, "").strip():
        numbered = (number_in(row, week, at_least=1), number_in(row, number, at_least=1))
        if named is not None and named != numbered:
            raise CellError(
                _("%(label)s says step %(named)s but %(week)s and %(number)s say %(numbered)s.")
                % {
                    "label": label,
                    "named": cell,
                    "week": week,
                    "number": number,
                    "numbered": schema.step_label(*numbered),
                }
            )
        return numbered
    if named is None and required:
        raise CellError(_("The row names no step."))
    return named


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < len(text) <= 5 and int(text) > 0


def _shown(cell: str) -> str:
    """A cell as an error message quotes it: shortened, and "(empty)" for nothing."""
    if not cell:
        return _("(empty)")
    return repr(cell if len(cell) <= 40 else cell[:40] + "…")
