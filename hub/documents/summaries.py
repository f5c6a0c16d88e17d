"""Summaries: PDFs in the documents' own look (their fonts, stylesheet and render processes) that
are not issued documents: no number, not signed, not stored. A life event's combined result is one:
it lists the issued documents of each part, and those are what verify.

Each kind has its template in ``templates/``; a summary is rendered on the hub's render pool."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from hub.documents.render import TEMPLATES, RenderPool, _document_html, _fonts, _stylesheet, qr_code

__all__ = ["LifeEventResult", "ResultPart", "Summary", "render_summary"]


@dataclass(frozen=True)
class ResultPart:
    """A part of a life event as its combined result lists it, in the reader's language: its service,
    its state, its request, and the documents deciding it with their numbers and verification codes."""

    service_title: str
    state: str
    ref: str
    # (kind, number, verification code, status: "" while valid), in the order issued.
    documents: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LifeEventResult:
    """A life event's combined result (办理结果告知书), in the reader's language."""

    locale: str
    ref: str
    title: str
    applicant_name: str
    applicant_id_label: str
    applicant_id: str
    filed_on: str
    made_on: str
    # Where each listed code is checked (/verify on the hub's public address).
    verify_url: str
    parts: list[ResultPart] = field(default_factory=list)
    kind: str = "life_event_result"


class Summary(Protocol):
    """What a summary's template needs of it: its kind (the template's name), the reader's
    language and the address its QR code opens (empty for none). A governance report is one too,
    though it is issued and signed (``hub.governance``)."""

    @property
    def kind(self) -> str: ...

    @property
    def locale(self) -> str: ...

    @property
    def verify_url(self) -> str: ...


def render_summary_pdf(summary: Summary) -> bytes:
    """The summary as PDF bytes (in a render process)."""
    from hub.i18n import templates

    qr = qr_code(summary.verify_url) if summary.verify_url else ""
    html = templates(str(TEMPLATES), summary.locale).get_template(f"{summary.kind}.html").render(doc=summary, qr=qr)
    return _document_html()(string=html, base_url=str(TEMPLATES)).write_pdf(
        stylesheets=[_stylesheet()], font_config=_fonts()
    )


async def render_summary(renderer: RenderPool, summary: Summary) -> bytes:
    """The summary as PDF bytes, rendered in one of the hub's render processes."""
    return await asyncio.get_running_loop().run_in_executor(renderer.executor(), render_summary_pdf, summary)
