"""Files as HTTP: downloads (documents, attachments) and the content check of an upload, shared by
the API and the pages. The domains hand over bytes, a media type and a name; this turns them into
a response."""

from __future__ import annotations

from litestar import Response

from hub.context import HubContext
from hub.i18n import N_
from hub.uploads.files import MAX_UPLOAD_BYTES, FileContent, open_upload, sniff, too_large
from hub.web.problems import Problem


def download(file: FileContent, etag: str | None = None) -> Response[bytes]:
    """The file as an attachment the browser saves, never cached by anyone in between."""
    headers = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    headers["Cache-Control"] = "private, no-store"
    return Response(file.data, media_type=file.media_type, headers=headers)


def csv_download(text: str, filename: str) -> Response[str]:
    """A CSV table as an attachment the browser saves. The media type is given without its charset:
    Litestar adds ``charset=utf-8`` to every text type itself, and said twice a client may refuse it."""
    return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def attachment_response(ctx: HubContext, token: str, download_name: str) -> Response[bytes]:
    """The upload's bytes, opened, as a download."""
    return download(await open_upload(ctx, token, download_name))


def sniffed_type(content: bytes) -> str:
    """The media type an uploaded file really is; refused (413, 422, 415) when too large, empty, or
    of a type the hub does not accept. The 415 is HTTP's own answer to a wrong media type."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise too_large()
    if not content:
        raise Problem(422, "empty-file", N_("Empty file"), N_("The file is empty."))
    media_type = sniff(content)
    if media_type is None:
        raise Problem(
            415,
            "unsupported-file-type",
            N_("Unsupported file type"),
            N_("Upload a PDF, PNG or JPEG file. The type is checked from the file's content, not its name."),
        )
    return media_type
