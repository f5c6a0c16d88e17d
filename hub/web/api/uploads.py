"""Uploads for file fields: checked by content (never by name), bounded in size, sealed and stored.

A form answer refers to an upload by its token; on submission the hub checks that the upload is
the applicant's own and fits the field's rules. The bytes are sealed at rest with the data keys
(the upload's token bound in) and opened only to be handed to someone allowed to see them: the
applicant, and the reviewing department's staff (for a personal file, after a recorded reveal).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from forms.spec import MAX_FILE_KB, FieldSpec, ServiceSpec
from forms.validation import FieldError, FormInvalid, file_answers
from hub.accounts import Principal, now
from hub.audit import record
from hub.db.tables import Upload
from hub.db.transactions import writing
from hub.i18n import N_, gettext
from hub.sealing import keys
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem, not_found
from hub.web.security import APPLICANT_ROLES, requires_role

# Signatures of the accepted formats; anything else is refused whatever its name says.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
MAX_UPLOAD_BYTES = MAX_FILE_KB * 1024


@dataclass
class UploadForm:
    """The multipart form: one file in the part named ``data``."""

    data: UploadFile


class UploadRead(msgspec.Struct):
    id: str
    media_type: str
    size: int
    filename: str
    created_at: dt.datetime


class AttachmentRead(msgspec.Struct):
    """A file attached to a request's answers. ``field`` is its path (``group.<i>.field`` inside a
    repeating group); a personal file's name is not shown."""

    field: str
    label: str
    personal: bool
    filename: str
    media_type: str
    size: int


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, among those accepted; None otherwise."""
    return next((media for magic, media in SIGNATURES.items() if data.startswith(magic)), None)


def display_name(filename: str | None) -> str:
    """A file name safe to show: no directories, no control characters, bounded length."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:100] or "upload"


async def attachments(spec: ServiceSpec | None, answers: dict[str, Any], locale: str) -> list[AttachmentRead]:
    """The files a request's answers refer to, for a list of downloads."""
    found = file_answers(spec, answers) if spec else []
    if not found:
        return []
    uploads = {u.token: u for u in await Upload.objects().where(Upload.token.is_in([t for _, _, t in found]))}
    return [
        AttachmentRead(
            field=path,
            label=gettext(locale, field.label),
            personal=field.personal,
            filename="" if field.personal else uploads[token].filename,
            media_type=uploads[token].media_type,
            size=uploads[token].size,
        )
        for path, field, token in found
        if token in uploads
    ]


def attached_field(spec: ServiceSpec | None, answers: dict[str, Any], path: str) -> tuple[FieldSpec, str]:
    """The file field at ``path`` in these answers and its upload's token; 404 if there is none."""
    for found_path, field, token in file_answers(spec, answers) if spec else []:
        if found_path == path:
            return field, token
    raise not_found()


async def attachment_response(ctx: HubContext, token: str, download_name: str) -> Response[bytes]:
    """The upload's bytes, opened, as a download."""
    upload = await Upload.objects().where(Upload.token == token).first()
    if upload is None:
        raise not_found()
    stored = await asyncio.to_thread(ctx.documents.get, upload.sha256)
    data = keys().open_bytes(stored, upload.token)
    extension = EXTENSIONS.get(upload.media_type, "")
    return Response(
        data,
        media_type=upload.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download_name}{extension}"',
            "Cache-Control": "private, no-store",
        },
    )


async def check_uploads(
    spec: ServiceSpec, answers: dict[str, Any], user: Principal, skip: set[str] = frozenset()
) -> None:
    """Every file answer must be the applicant's own upload, of an accepted type and size.

    ``skip`` names fields already reported as invalid; answers that are not upload ids are ignored
    (form validation reports those)."""
    wanted = [(w, f, t) for w, f, t in file_answers(spec, answers) if w not in skip]
    if not wanted:
        return
    rows = await Upload.objects().where(Upload.token.is_in([t for _, _, t in wanted]) & (Upload.owner == user.id))
    found = {r.token: r for r in rows}
    errors = []
    for where, field, token in wanted:
        upload = found.get(token)
        if upload is None:
            errors.append(FieldError(field=where, code="file_unknown"))
        elif upload.media_type not in field.accept:
            errors.append(FieldError(field=where, code="file_type", context={"accepted": ", ".join(field.accept)}))
        elif upload.size > field.max_size_kb * 1024:
            errors.append(FieldError(field=where, code="file_too_large", context={"max_kb": field.max_size_kb}))
    if errors:
        raise FormInvalid(errors)


class UploadController(Controller):
    path = "/api/uploads"
    tags = ["requests"]
    guards = [requires_role(*APPLICANT_ROLES)]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post(
        "/",
        summary="Upload a file for a form (PDF, PNG or JPEG; at most 10 MB)",
        request_max_body_size=MAX_UPLOAD_BYTES + 64 * 1024,
    )
    async def upload(
        self,
        request: Request,
        ctx: HubContext,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> UploadRead:
        upload = data.data
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        return await store_upload(request, ctx, request.user, upload.filename, content)


async def store_upload(
    request: Request, ctx: HubContext, user: Principal, filename: str | None, content: bytes
) -> UploadRead:
    """Check an uploaded file by its content and size, store it, and record who uploaded it."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise Problem(
            413,
            "file-too-large",
            N_("File too large"),
            N_("A file may be at most {max_mb} MB."),
            params={"max_mb": MAX_FILE_KB // 1024},
        )
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
    token = f"upl_{secrets.token_hex(16)}"
    sha256 = await asyncio.to_thread(ctx.documents.put, keys().seal_bytes(content, token))
    row = Upload(
        token=token,
        owner=user.id,
        sha256=sha256,
        media_type=media_type,
        size=len(content),
        filename=display_name(filename),
        created_at=now(),
        sealed=True,
    )
    async with writing():
        await row.save()
        await record(request, user, "upload.created", "upload", token, media_type=media_type, size=len(content))
    return UploadRead(
        id=token, media_type=media_type, size=len(content), filename=row.filename, created_at=row.created_at
    )
