"""Files over HTTP for both faces (pages and API): capped uploads, streamed downloads."""

from __future__ import annotations

import mimetypes
import re

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from fivesigma.challenges.engine.stored_files import StoredFile

# A compressed file is sent as what it is, never with a Content-Encoding that an HTTP client
# would undo on the way (its checksum is the compressed bytes').
COMPRESSED_TYPES = {
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip",
    "compress": "application/x-compress",
    "gzip": "application/gzip",
    "xz": "application/x-xz",
}
ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class UploadCap(FileUploadHandler):
    """The first upload handler of a submit request: stops keeping a file's bytes as soon as
    they pass FIVESIGMA_MAX_UPLOAD_BYTES, so that an oversized upload never fills memory or
    disk. The rest of the body is read and dropped, and ``request.upload_too_large`` is set
    for the view to say why."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.FIVESIGMA_MAX_UPLOAD_BYTES:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class Unsatisfiable(Exception):
    """A byte range that starts past the end of the file (answered 416)."""


def requested_range(request: HttpRequest, size: int, etag: str) -> tuple[int, int] | None:
    """The one byte range (start, stop) that a GET asks for, or None to send the whole file.

    RFC 9110: ``Range: bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` (the last n bytes); an end
    past the file is cut to it. A malformed header, several ranges, another unit or a method
    other than GET are ignored (the whole file, 200), and so is a Range sent with an
    ``If-Range`` that is not this file's ETag (the file changed since the client's part).
    Raises Unsatisfiable for a range that starts at or past the end.
    """
    header = request.headers.get("Range", "").replace(" ", "")
    if request.method != "GET" or not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None and (not etag or if_range.strip() != etag):
        return None
    match = ONE_RANGE.fullmatch(header)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # a suffix: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size
    start = int(first)
    if last != "" and int(last) < start:
        return None  # bytes=5-2 is malformed: ignored
    if start >= size:
        raise Unsatisfiable
    return start, size if last == "" else min(int(last) + 1, size)


def download_response(
    field_file, filename: str, *, request: HttpRequest | None = None, sha256: str = ""
) -> HttpResponseBase:
    """Stream a stored file as an attachment, never loading it whole, from any storage.

    With the ``request``, one byte range when asked (206 Partial Content with Content-Range;
    416 with ``Content-Range: bytes */SIZE`` when it starts past the end), so that an
    interrupted download resumes. ``sha256`` (the file's checksum) becomes its strong ETag,
    which a resuming client sends back in If-Range. Every answer says ``Accept-Ranges: bytes``.
    """
    stored = StoredFile(field_file)
    etag = f'"{sha256}"' if sha256 else ""
    response: HttpResponseBase
    try:
        span = requested_range(request, stored.size, etag) if request is not None else None
    except Unsatisfiable:
        stored.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{stored.size}"
    else:
        if span is not None:
            stored.select(*span)
        response = StreamingHttpResponse(stored, status=200 if span is None else 206)
        response["Content-Length"] = str(stored.stop - stored.start)
        if span is not None:
            response["Content-Range"] = f"bytes {span[0]}-{span[1] - 1}/{stored.size}"
        content_type, encoding = mimetypes.guess_type(filename)
        response["Content-Type"] = (
            COMPRESSED_TYPES.get(encoding or "", content_type) or "application/octet-stream"
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Accept-Ranges"] = "bytes"
    if etag:
        response["ETag"] = etag
    return response
