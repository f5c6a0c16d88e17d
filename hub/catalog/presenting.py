"""The service catalog as people read it: a service's summary and detail (its form, rules, route),
departments by name, all in the reader's language. Used by the API, the portal and the workbench."""

from __future__ import annotations

import copy
import functools
from typing import Any

import msgspec
from pydantic import BaseModel

from forms.catalog import Catalog
from forms.spec import FieldSpec, ServiceSpec
from forms.validation import form_model
from hub.i18n import N_, format_money, gettext, supported, with_amounts

# How a benefit is paid, in words (the same words as the beneficiary's entitlement).
PAID = {"monthly": N_("Paid every month"), "one_off": N_("Paid once")}


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
    example: Any = None
    accept: list[str] = []
    # A file field a credential the government issued stands in for: answer {"credential": "<id>"},
    # or leave it out and the newest valid one the applicant holds is taken; or_upload = False
    # accepts nothing else.
    credential: str | None = None
    or_upload: bool = True
    fields: list[FieldRead] = []
    min_items: int | None = None
    max_items: int | None = None


class RuleRead(msgspec.Struct):
    id: str
    message: str


class StageRead(msgspec.Struct, omit_defaults=True):
    id: str
    kind: str
    title: str
    mode: str
    departments: list[DepartmentRead]
    time_limit_days: int
    checks: list[RuleRead] = []
    when: str | None = None


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


class CommitmentRead(msgspec.Struct):
    """A commitment the applicant may sign in place of proofs (answer ``commitment: true``)."""

    statement: str
    replaces: list[str]
    post_check: str
    post_check_days: int
    barred_years: int


class PaysRead(msgspec.Struct):
    """What a benefit pays: ``kind`` monthly or one_off (``paid`` in words), ``amount`` in CNY when it
    is the same for everyone, and ``words``, the amount or its bands in the reader's language."""

    kind: str
    paid: str
    amount: str | None
    words: str


class ServiceDetail(ServiceSummary):
    legal_basis: str
    materials: list[str]
    fields: list[FieldRead]
    rules: list[RuleRead]
    route: list[StageRead]
    form_schema: dict[str, Any]
    # Approved by rule (秒批) when every automatic check passes, with no clerk; else reviewed.
    instant: bool = False
    # Approval on commitment (告知承诺制): signed in place of the proofs it lists, checked afterwards.
    commitment: CommitmentRead | None = None
    # For a benefit (a citizen's allowance): what it pays, monthly or once.
    pays: PaysRead | None = None


def department(catalog: Catalog, code: str, locale: str) -> DepartmentRead:
    """A department by its code, named in the reader's language."""
    d = catalog.departments.get(code)
    return DepartmentRead(code=code, name=gettext(locale, d.name) if d else code)


def summary(spec: ServiceSpec, catalog: Catalog, locale: str) -> ServiceSummary:
    """A service as listed in the catalog."""
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
    """A form field as the catalog describes it."""
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
        example=f.example,
        accept=list(f.accept),
        credential=f.credential,
        or_upload=f.or_upload,
        fields=[field_read(s, locale) for s in f.fields],
        min_items=f.min_items if f.type == "group" else None,
        max_items=f.max_items if f.type == "group" else None,
    )


@functools.cache
def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A form model's JSON Schema: generating it takes milliseconds, and a model never changes
    (one per service version), so it is generated once."""
    return model.model_json_schema()


def form_schema(spec: ServiceSpec, locale: str) -> dict[str, Any]:
    """The form as JSON Schema, with each field's label and help in the caller's language."""
    schema = copy.deepcopy(json_schema(form_model(spec)))
    schema["title"] = gettext(locale, spec.title)
    schema["required"] = [f.name for f in spec.fields if f.required and f.visible_when is None and not f.prefill]
    groups = {f.name: f for f in spec.fields if f.type == "group"}
    definitions = schema.get("$defs", {})

    def describe(properties: dict[str, Any], fields: list[FieldSpec]) -> None:
        for f in fields:
            prop = properties.get(f.name)
            if prop is None:
                continue
            prop["title"] = gettext(locale, f.label)
            if f.help:
                prop["description"] = gettext(locale, f.help)
            if f.credential:
                # Required unless the applicant holds the credential: then it may be left out.
                prop["description"] = (prop.get("description", "") + " ").lstrip() + (
                    f'Or {{"credential": "<id>"}}: a {f.credential} you hold (GET /api/wallet); '
                    "left out, the newest valid one you hold is taken"
                    + ("." if f.or_upload else "; no upload is accepted.")
                )

    describe(schema.get("properties", {}), spec.fields)
    if spec.commitment is not None:
        schema.setdefault("properties", {})["commitment"] = {
            "type": "boolean",
            "title": gettext(locale, spec.commitment.statement),
            "description": "true: the commitment is signed in place of " + ", ".join(spec.commitment.replaces),
        }
    for name, definition in definitions.items():
        group = next((g for key, g in groups.items() if name.startswith(key)), None)
        if group is not None:
            describe(definition.get("properties", {}), group.fields)
    return schema


def pays(spec: ServiceSpec, locale: str) -> PaysRead | None:
    """What a benefit pays, in the reader's words (None for any other service)."""
    benefit = spec.benefit
    if benefit is None:
        return None
    fixed = benefit.fixed_amount
    if benefit.pays is not None:
        words = with_amounts(benefit.pays.zh_CN if supported(locale) == "zh_CN" else benefit.pays.en, locale)
    elif fixed is not None:
        words = format_money(fixed, locale)
    else:  # the catalog check refuses a formula without words on a newest version
        words = ""
    return PaysRead(
        kind=benefit.kind,
        paid=gettext(locale, PAID[benefit.kind]),
        amount=f"{fixed:.2f}" if fixed is not None else None,
        words=words,
    )


def detail(spec: ServiceSpec, catalog: Catalog, locale: str) -> ServiceDetail:
    """One service whole: its form, rules, route, materials and time limit."""
    base = summary(spec, catalog, locale)
    return ServiceDetail(
        **msgspec.structs.asdict(base),
        legal_basis=gettext(locale, spec.legal_basis),
        materials=[gettext(locale, m) for m in spec.material_titles],
        fields=[field_read(f, locale) for f in spec.fields],
        rules=[RuleRead(id=r.id, message=gettext(locale, r.message)) for r in spec.rules],
        route=[
            StageRead(
                id=s.id,
                kind=s.kind,
                checks=[RuleRead(id=c.id, message=gettext(locale, c.message)) for c in s.checks],
                when=s.when,
                title=gettext(locale, s.title),
                mode=s.mode,
                departments=[department(catalog, d, locale) for d in s.departments],
                time_limit_days=s.time_limit_days,
            )
            for s in spec.route
        ],
        form_schema=form_schema(spec, locale),
        instant=spec.instant,
        commitment=CommitmentRead(
            statement=gettext(locale, spec.commitment.statement),
            replaces=list(spec.commitment.replaces),
            post_check=gettext(locale, spec.commitment.post_check),
            post_check_days=spec.commitment.post_check_days,
            barred_years=spec.commitment.barred_years,
        )
        if spec.commitment
        else None,
        pays=pays(spec, locale),
    )
