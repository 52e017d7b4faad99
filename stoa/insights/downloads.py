"""CSV downloads of the team's pages: streamed row by row, so memory stays flat whatever
their length, and safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse


def cell(value) -> str:
    """A CSV cell that a spreadsheet will not run: text starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterable[Iterable], *, filename: str) -> StreamingHttpResponse:
    """A download of `rows` (the header first) as `filename`."""
    writer = csv.writer(_Echo(), lineterminator="\n")

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
