"""Serves uploaded media from local storage, with the byte ranges that video seeking needs.

Used when media live on this machine's disk (the default). With S3 storage, file URLs point
at the bucket and this view is not routed.
"""

import mimetypes
import os
import re

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe

# One range only: several would need a multipart/byteranges answer, and the whole file is an
# equally correct reply to them. [0-9], not \d, which also matches other scripts' digits.
RANGE_RE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponseBase:
    try:
        full_path = safe_join(settings.MEDIA_ROOT, path)
    except ValueError as exc:
        raise Http404 from exc
    if not os.path.isfile(full_path):
        raise Http404
    stat = os.stat(full_path)
    size = stat.st_size
    content_type = mimetypes.guess_type(full_path)[0] or "application/octet-stream"

    requested = _requested_range(request.headers.get("Range", ""), size)
    start, end = requested or (0, size - 1)
    if requested and start > end:
        unsatisfiable = HttpResponse(status=416)
        unsatisfiable["Content-Range"] = f"bytes */{size}"
        return unsatisfiable

    handle = open(full_path, "rb")  # noqa: SIM115 - FileResponse closes it
    handle.seek(start)
    length = end - start + 1
    response = FileResponse(_limited(handle, length), content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    # Imported media get content-addressed names, so a URL never changes meaning.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    if requested:
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range header asks for, the last capped at the end of the file,
    or None when the header is absent or not one valid range (RFC 9110 section 14.1.1), which
    the whole file answers. A first byte after the last means the range cannot be satisfied:
    it starts at or beyond the end, or asks for the last 0 bytes.
    """
    match = RANGE_RE.fullmatch(header)
    if not match or not (match[1] or match[2]):
        return None
    first, last = match[1], match[2]
    if not first:  # "bytes=-N": the last N bytes
        return size - _capped(last, size), size - 1
    start = _capped(first, size)
    if not last:
        return start, size - 1
    end = _capped(last, size)
    # A last byte before the first makes the range invalid. Capping keeps their order unless
    # both are at or beyond the end, which is unsatisfiable whatever their order.
    if end < start:
        return None
    return start, min(end, size - 1)


def _capped(digits: str, ceiling: int) -> int:
    """The number a string of ASCII digits spells, or the ceiling when that is smaller.

    Clients choose these digits: int() refuses more than 4,300 of them (ValueError), so a
    number with more digits than the ceiling is known to be larger without converting it.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(ceiling)):
        return ceiling
    return min(int(digits), ceiling)


def _limited(handle, length: int, chunk_size: int = 64 * 1024):
    try:
        while length > 0:
            data = handle.read(min(chunk_size, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()
