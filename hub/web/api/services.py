"""The published service catalog: what can be requested, its form, route and time limit."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import Provide

from forms.catalog import Catalog
from forms.spec import FieldSpec, ServiceSpec
from forms.validation import form_model
from hub.i18n import gettext
from hub.web.context import HubContext, provide_context
from hub.web.problems import not_found, request_locale


class DepartmentRead(msgspec.Struct):
    code: str
    name: str


class OptionRead(msgspec.Struct):
    value: str
    label: str


class FieldRead(msgspec.Struct, omit_defaults=True):
    name: str
    type: str
    label: str
    required: bool
    help: str = ""
    options: list[OptionRead] = []
    personal: bool = False
    purpose: str = ""
    prefill: str | None = None
    visible_when: dict[str, Any] | None = None


class StageRead(msgspec.Struct):
    id: str
    title: str
    mode: str
    departments: list[DepartmentRead]
    time_limit_days: int


class RuleRead(msgspec.Struct):
    id: str
    message: str


class ServiceSummary(msgspec.Struct):
    id: str
    version: int
    title: str
    summary: str
    audience: list[str]
    topics: list[str]
    owner: DepartmentRead
    time_limit_days: int
    fee: str


class ServiceDetail(ServiceSummary):
    legal_basis: str
    materials: list[str]
    fields: list[FieldRead]
    rules: list[RuleRead]
    route: list[StageRead]
    form_schema: dict[str, Any]


def department(catalog: Catalog, code: str, locale: str) -> DepartmentRead:
    d = catalog.departments.get(code)
    return DepartmentRead(code=code, name=gettext(locale, d.name) if d else code)


def summary(spec: ServiceSpec, catalog: Catalog, locale: str) -> ServiceSummary:
    return ServiceSummary(
        id=spec.id,
        version=spec.version,
        title=gettext(locale, spec.title),
        summary=gettext(locale, spec.summary),
        audience=list(spec.audience),
        topics=list(spec.topics),
        owner=department(catalog, spec.owner, locale),
        time_limit_days=spec.time_limit_days,
        fee=gettext(locale, spec.fee),
    )


def field_read(f: FieldSpec, locale: str) -> FieldRead:
    return FieldRead(
        name=f.name,
        type=f.type,
        label=gettext(locale, f.label),
        required=f.required,
        help=gettext(locale, f.help) if f.help else "",
        options=[OptionRead(value=o.value, label=gettext(locale, o.label)) for o in f.options],
        personal=f.personal,
        purpose=gettext(locale, f.purpose) if f.purpose else "",
        prefill=f.prefill,
        visible_when=f.visible_when.model_dump() if f.visible_when else None,
    )


def detail(spec: ServiceSpec, catalog: Catalog, locale: str) -> ServiceDetail:
    base = summary(spec, catalog, locale)
    return ServiceDetail(
        **msgspec.structs.asdict(base),
        legal_basis=gettext(locale, spec.legal_basis),
        materials=[gettext(locale, m) for m in spec.materials],
        fields=[field_read(f, locale) for f in spec.fields],
        rules=[RuleRead(id=r.id, message=gettext(locale, r.message)) for r in spec.rules],
        route=[
            StageRead(
                id=s.id,
                title=gettext(locale, s.title),
                mode=s.mode,
                departments=[department(catalog, d, locale) for d in s.departments],
                time_limit_days=s.time_limit_days,
            )
            for s in spec.route
        ],
        form_schema=form_model(spec).model_json_schema(),
    )


class ServiceController(Controller):
    path = "/api/services"
    tags = ["catalog"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="List the services that can be requested")
    async def list_services(
        self,
        request: Request,
        ctx: HubContext,
        audience: str | None = None,
        q: str | None = None,
    ) -> list[ServiceSummary]:
        locale = request_locale(request)
        items = [
            summary(s, ctx.catalog, locale) for s in ctx.catalog.current() if audience is None or audience in s.audience
        ]
        if q:
            needle = q.strip().lower()
            items = [i for i in items if needle in f"{i.id} {i.title} {i.summary} {' '.join(i.topics)}".lower()]
        return items

    @get(
        "/{service_id:str}",
        summary="One service: its form, rules, route, materials and time limit",
    )
    async def get_service(self, request: Request, ctx: HubContext, service_id: str) -> ServiceDetail:
        spec = ctx.catalog.latest(service_id)
        if spec is None:
            raise not_found()
        return detail(spec, ctx.catalog, request_locale(request))
