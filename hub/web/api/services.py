"""The published service catalog: what can be requested, its form, route and time limit."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub.catalog.presenting import (
    ServiceDetail,
    ServiceSummary,
    detail,
    summary,
)
from hub.catalog.searching import search
from hub.web.cached import answers_of
from hub.web.context import HubContext, provide_context
from hub.web.problems import not_found, request_locale
from hub.web.routes import get


class ServiceController(Controller):
    path = "/api/services"
    tags = ["catalog"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="Search the services that can be requested")
    async def list_services(
        self,
        request: Request,
        ctx: HubContext,
        audience: Literal["citizen", "enterprise"] | None = None,
        department: str | None = Parameter(  # noqa: F811 - the public query parameter
            default=None, max_length=64, description="a participating department's code"
        ),
        topic: str | None = Parameter(default=None, max_length=64),
        q: str | None = Parameter(
            default=None,
            max_length=100,
            description="words in the title, the everyday names people use for it (低保, dibao) or the "
            "summary, in either language; best matches first",
        ),
    ) -> Response[list[ServiceSummary]]:
        locale = request_locale(request)

        def services() -> list[ServiceSummary]:
            specs = [
                s
                for s in ctx.catalog.current()
                if (audience is None or audience in s.audience)
                and (department is None or department in s.departments)
                and (topic is None or topic in s.topics)
            ]
            if q:
                specs = search(specs, q)
            return [summary(s, ctx.catalog, locale) for s in specs]

        return answers_of(request).respond(request, ("services", audience, department, topic, q, locale), services)

    @get(
        "/{service_id:str}",
        summary="One service: its form, rules, route, materials and time limit",
    )
    async def get_service(self, request: Request, ctx: HubContext, service_id: str) -> Response[ServiceDetail]:
        spec = ctx.catalog.latest(service_id)
        if spec is None:
            raise not_found()
        locale = request_locale(request)
        return answers_of(request).respond(
            request, ("service", spec.id, spec.version, locale), lambda: detail(spec, ctx.catalog, locale)
        )
