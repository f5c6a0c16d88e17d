"""Uploads for file fields: checked by content (never by name), bounded in size, stored by hash.

A form answer refers to an upload by its token; on submission the hub checks that the upload is
the applicant's own and fits the field's rules.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from forms.spec import MAX_FILE_KB, ServiceSpec
from forms.validation import UPLOAD_REF, FieldError, FormInvalid
from hub.accounts import Principal, now
from hub.audit import record
from hub.db.tables import Upload
from hub.db.transactions import writing
from hub.i18n import N_
from hub.web.context import HubContext, provide_context
from hub.web.problems import Problem
from hub.web.security import APPLICANT_ROLES, requires_role

# Signatures of the accepted formats; anything else is refused whatever its name says.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
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


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, among those accepted; None otherwise."""
    return next((media for magic, media in SIGNATURES.items() if data.startswith(magic)), None)


def display_name(filename: str | None) -> str:
    """A file name safe to show: no directories, no control characters, bounded length."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:100] or "upload"


async def check_uploads(
    spec: ServiceSpec, answers: dict[str, Any], user: Principal, skip: set[str] = frozenset()
) -> None:
    """Every file answer must be the applicant's own upload, of an accepted type and size.

    ``skip`` names fields already reported as invalid; answers that are not upload ids are ignored
    (form validation reports those)."""
    wanted: list[tuple[str, Any, Any]] = []  # (error location, field spec, token)
    for f in spec.fields:
        if f.type == "file":
            wanted.append((f.name, f, answers.get(f.name)))
        for sub in f.fields if f.type == "group" else []:
            items = answers.get(f.name)
            for i, item in enumerate(items if isinstance(items, list) else []):
                if sub.type == "file" and isinstance(item, dict):
                    wanted.append((f"{f.name}.{i}.{sub.name}", sub, item.get(sub.name)))
    wanted = [(w, f, t) for w, f, t in wanted if w not in skip and isinstance(t, str) and UPLOAD_REF.match(t)]
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
    sha256 = ctx.documents.put(content)
    token = f"upl_{secrets.token_hex(16)}"
    row = Upload(
        token=token,
        owner=user.id,
        sha256=sha256,
        media_type=media_type,
        size=len(content),
        filename=display_name(filename),
        created_at=now(),
    )
    async with writing():
        await row.save()
        await record(request, user, "upload.created", "upload", token, media_type=media_type, size=len(content))
    return UploadRead(
        id=token, media_type=media_type, size=len(content), filename=row.filename, created_at=row.created_at
    )
