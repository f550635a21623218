"""Files over HTTP for both faces (pages and API): capped uploads, streamed downloads."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse


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


def download_response(field_file, filename: str) -> FileResponse:
    """Stream a stored file to the browser as an attachment, never loading it whole."""
    return FileResponse(field_file.open("rb"), as_attachment=True, filename=filename)
