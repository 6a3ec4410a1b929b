"""A Word document as a download: its media type, and an attachment with a file name made
only of the audit's reference, the kind of report and its version (never anything typed)."""

from __future__ import annotations

from starlette.responses import Response

from notifications.word import MEDIA_TYPE


def word_download(docx: bytes, filename: str) -> Response:
    return Response(
        docx,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
