"""Uploads for file fields, over HTTP (the files themselves: ``hub.uploads.files``).

A form answer refers to an upload by its token; on submission the hub checks that the upload is
the applicant's own and fits the field's rules. The bytes are sealed at rest with the data keys
(the upload's token bound in) and opened only to be handed to someone allowed to see them: the
applicant, and the reviewing department's staff (for a personal file, after a recorded reveal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body

from hub.uploads.files import (
    MAX_UPLOAD_BYTES,
    UploadRead,
    store_upload,
)
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.downloads import sniffed_type
from hub.web.routes import post
from hub.web.security import APPLICANT_ROLES, requires_role


@dataclass
class UploadForm:
    """The multipart form: one file in the part named ``data``."""

    data: UploadFile


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
        return await store_upload(ctx, actor_of(request), upload.filename, content, sniffed_type(content))
