"""Files attached to forms: uploads checked by content (never by name), bounded in size, sealed and
stored; the files a request's answers refer to, and their bytes for someone allowed to see them.

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
from collections.abc import Set
from typing import Any

import msgspec

from forms.spec import MAX_FILE_KB, FieldSpec, ServiceSpec
from forms.validation import FieldError, FormInvalid, file_answers
from hub.accounts import Principal
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.context import HubContext
from hub.db.tables import Upload
from hub.db.transactions import writing
from hub.errors import HubError, not_found
from hub.i18n import N_, gettext
from hub.sealing import keys

# Signatures of the accepted formats; anything else is refused whatever its name says.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
MAX_UPLOAD_BYTES = MAX_FILE_KB * 1024


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


async def check_uploads(
    spec: ServiceSpec, answers: dict[str, Any], user: Principal, skip: Set[str] = frozenset()
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


class FileContent(msgspec.Struct, frozen=True):
    """A file to hand over: its bytes, media type and the name to save it as."""

    data: bytes
    media_type: str
    filename: str


async def open_upload(ctx: HubContext, token: str, download_name: str) -> FileContent:
    """An upload's bytes, opened, named ``download_name`` plus its type's extension."""
    upload = await Upload.objects().where(Upload.token == token).first()
    if upload is None:
        raise not_found()
    stored = await asyncio.to_thread(ctx.documents.get, upload.sha256)
    data = keys().open_bytes(stored, upload.token)
    return FileContent(data, upload.media_type, download_name + EXTENSIONS.get(upload.media_type, ""))


def too_large() -> HubError:
    """A file over the size limit."""
    return HubError(
        "too_large",
        "file-too-large",
        N_("File too large"),
        N_("A file may be at most {max_mb} MB."),
        params={"max_mb": MAX_FILE_KB // 1024},
    )


async def store_upload(
    ctx: HubContext, actor: Actor, filename: str | None, content: bytes, media_type: str
) -> UploadRead:
    """Store an uploaded file (``media_type`` as sniffed from its content), sealed, and record who uploaded it."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise too_large()
    if not content:
        raise HubError("invalid", "empty-file", N_("Empty file"), N_("The file is empty."))
    token = f"upl_{secrets.token_hex(16)}"
    sha256 = await asyncio.to_thread(ctx.documents.put, keys().seal_bytes(content, token))
    row = Upload(
        token=token,
        owner=actor.id,
        sha256=sha256,
        media_type=media_type,
        size=len(content),
        filename=display_name(filename),
        created_at=now(),
    )
    async with writing():
        await row.save()
        await record(actor, actor.user, "upload.created", "upload", token, media_type=media_type, size=len(content))
    return UploadRead(
        id=token, media_type=media_type, size=len(content), filename=row.filename, created_at=row.created_at
    )
