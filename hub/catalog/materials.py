"""Zero materials (零材料): how many of the materials the catalog asks for still reach a department as
an uploaded copy, and how many a credential the government issued, a registry read, a signed
commitment (告知承诺), an answer of the form or nothing at all (kept for inspection) stand in for.

Counted over the newest version of each service, for an applicant who holds the credentials the
forms name (a registry's are held by every person or enterprise the registry knows; the hub's once
the service that issues them has approved). Each material of ``materials`` is one; a file field no
material names is one more (its label).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from forms.catalog import Catalog
from forms.spec import FieldSpec, Material, ServiceSpec
from hub.i18n import N_, gettext

Way = Literal["upload", "credential", "registry", "commitment", "form", "not_submitted"]
WAYS: dict[Way, str] = {
    "upload": N_("Uploaded as a copy"),
    "credential": N_("A credential the government issued"),
    "registry": N_("Read from a registry"),
    "commitment": N_("A signed commitment instead"),
    "form": N_("Answered on the form"),
    "not_submitted": N_("Nothing to hand in"),
}
# The share of materials the catalog aims to take without an upload.
GOAL = 0.8


class MaterialRead(msgspec.Struct):
    title: str
    way: Way
    way_label: str
    credential: str | None = None


class ServiceMaterials(msgspec.Struct):
    id: str
    version: int
    title: str
    asked: int
    uploaded: int
    by_credential: int
    by_registry: int
    by_commitment: int
    # Answered on the form, or nothing to hand in: no copy, and no credential or registry needed.
    no_copy: int
    materials: list[MaterialRead]


class MaterialsFigure(msgspec.Struct):
    services: list[ServiceMaterials]
    asked: int
    uploaded: int
    without_upload: int
    share_without_upload: float
    goal: float = GOAL


def _by_credential(catalog: Catalog, type_id: str) -> Way:
    kind = catalog.credentials.get(type_id)
    return "registry" if kind is not None and kind.source == "registry" else "credential"


def _field_way(catalog: Catalog, spec: ServiceSpec, f: FieldSpec) -> tuple[Way, str | None]:
    if f.type == "file" and f.credential:
        return _by_credential(catalog, f.credential), f.credential
    if f.type == "file":
        # The applicant may sign the service's commitment in place of this proof (告知承诺制).
        return ("commitment", None) if spec.commitment and f.name in spec.commitment.replaces else ("upload", None)
    if f.type == "group":
        proof = next((s for s in f.fields if s.credential), None)
        if proof is not None and proof.credential:
            return _by_credential(catalog, proof.credential), proof.credential
        if any(s.type == "file" and s.required for s in f.fields):
            return "upload", None
    return "form", None


def material_ways(spec: ServiceSpec, catalog: Catalog) -> list[tuple[str, Way, str | None]]:
    """(title, way, credential type) of each material the service asks for, untranslated."""
    found: list[tuple[str, Way, str | None]] = []
    named: set[str] = set()
    for m in spec.materials:
        if isinstance(m, str):
            found.append((m, "upload", None))
        elif isinstance(m, Material) and m.credential:
            found.append((m.title, _by_credential(catalog, m.credential), m.credential))
        elif m.registry:
            found.append((m.title, "registry", None))
        elif m.field:
            named.add(m.field)
            way, credential = _field_way(catalog, spec, spec.field(m.field))
            found.append((m.title, way, credential))
        elif not m.submitted:
            found.append((m.title, "not_submitted", None))
        else:
            found.append((m.title, "upload", None))
    for f in spec.fields:
        if f.type == "file" and f.required and f.name not in named:
            way, credential = _field_way(catalog, spec, f)
            found.append((f.label, way, credential))
    return found


def materials_figure(catalog: Catalog, locale: str) -> MaterialsFigure:
    """Per service of the catalog (newest versions): the materials asked and how each arrives."""
    services = []
    for spec in catalog.current():
        rows = [
            MaterialRead(title=gettext(locale, t), way=w, way_label=gettext(locale, WAYS[w]), credential=c)
            for t, w, c in material_ways(spec, catalog)
        ]
        count = {w: sum(1 for r in rows if r.way == w) for w in WAYS}
        services.append(
            ServiceMaterials(
                id=spec.id,
                version=spec.version,
                title=gettext(locale, spec.title),
                asked=len(rows),
                uploaded=count["upload"],
                by_credential=count["credential"],
                by_registry=count["registry"],
                by_commitment=count["commitment"],
                no_copy=count["form"] + count["not_submitted"],
                materials=rows,
            )
        )
    asked = sum(s.asked for s in services)
    uploaded = sum(s.uploaded for s in services)
    return MaterialsFigure(
        services=services,
        asked=asked,
        uploaded=uploaded,
        without_upload=asked - uploaded,
        share_without_upload=round((asked - uploaded) / asked, 4) if asked else 1.0,
    )
