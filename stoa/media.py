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

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


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

    start, end = 0, size - 1
    match = RANGE_RE.match(request.headers.get("Range", ""))
    if match and (match[1] or match[2]):
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # "bytes=-N": the last N bytes
            start = max(size - int(match[2]), 0)
        if start > end or start >= size:
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
    if match and (match[1] or match[2]):
        response.status_code = 206
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


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
