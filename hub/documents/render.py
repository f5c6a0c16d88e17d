"""Rendering documents to PDF: a Jinja template per kind, WeasyPrint, the reader's language.

``render_pdf`` is synchronous and CPU-bound; callers run it in a process pool, never on an
event loop.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
QR_MASK = 2  # the verification code's mask, fixed (see qr_code)


@dataclass(frozen=True)
class ReviewLine:
    department: str
    stage: str
    verdict: str  # "approve" | "reject"
    comment: str
    decided_on: str


@dataclass(frozen=True)
class BenefitLines:
    """The benefit a decision grants, as the notice prints it (in the reader's language)."""

    amount: str  # per month, or once; empty while its payment is suspended
    band: str
    start_label: str
    start: str  # the month payments start (or, once, the month of payment)
    payment: str  # how it is paid
    account: str  # masked
    payment_day: str
    # For an entitlement suspended when granted: the sentence saying so and why (and no amount).
    suspended: str = ""


@dataclass(frozen=True)
class DocumentFacts:
    """What a document says, already in the reader's language (plain data, so it can cross processes)."""

    kind: str
    locale: str
    number: str
    ref: str
    issued_on: str
    issuer: str
    service_title: str
    legal_basis: str
    applicant_name: str
    # The applicant's identifier as shown: a masked resident id, or an enterprise's credit code.
    applicant_id_label: str
    applicant_id: str
    approved: bool
    filed_on: str
    reviews: list[ReviewLine] = field(default_factory=list)
    # Why automatic checks failed, and the amount granted (formatted), where they apply.
    reasons: list[str] = field(default_factory=list)
    amount: str = ""
    # Verification: the code printed on the document and the public address it opens.
    verification_code: str = ""
    verify_url: str = ""
    # Receipts: the time limit and the departments; notices asking for more: what and why.
    time_limit_days: int = 0
    departments: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    message: str = ""
    # Payment notices: the payment's reference, when, and into which account (masked).
    payment_ref: str = ""
    paid_on: str = ""
    paid_to: str = ""
    # Decisions: the benefit an approval grants, and where and within how long to challenge it.
    benefit: BenefitLines | None = None
    rights: str = ""
    # Decisions approved by rule (instant approval, no clerk): the rules and checks it met.
    by_rule: bool = False
    rules_met: list[str] = field(default_factory=list)


def qr_code(url: str) -> str:
    """The verification address as a QR code: a PNG data URI, one pixel per module scaled up, which
    the PDF embeds as an image (drawing the same code as SVG paths took a tenth of the rendering).

    The mask is fixed: any of the eight reads the same, and scoring all eight to pick one took
    three quarters of the code's making (about 5 ms a document). test_render reads the code back."""
    import segno

    return segno.make(url, error="m", micro=False, mask=QR_MASK).png_data_uri(scale=4, border=1)


def render_html(facts: DocumentFacts) -> str:
    qr = qr_code(facts.verify_url) if facts.verify_url else ""
    from hub.i18n import templates

    return templates(str(TEMPLATES), facts.locale).get_template(f"{facts.kind}.html").render(doc=facts, qr=qr)


@cache
def _fonts():
    """One font configuration per render process: building one for each document costs about a
    tenth of the rendering. (WeasyPrint is imported here: heavy, and only render processes need it.)"""
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_forget_fonts)
    return FontConfiguration()


def _forget_fonts() -> None:
    """Let go of the font configuration while the interpreter still runs: it deletes the copies of
    the documents' font it keeps in a temporary folder when it is collected."""
    _stylesheet.cache_clear()
    _document_html.cache_clear()
    _fonts.cache_clear()
    gc.collect()


@cache
def _stylesheet():
    """The documents' stylesheet with their font, parsed once per render process (parsing it took
    5% of a document)."""
    from weasyprint import CSS

    from hub.documents.fonts import font_face

    css = font_face() + (TEMPLATES / "document.css").read_text(encoding="utf-8")
    return CSS(string=css, base_url=str(TEMPLATES), font_config=_fonts())


@cache
def _document_html():
    """WeasyPrint's HTML with the documents' own user-agent stylesheet (``user-agent.css``) in place
    of its full one for HTML. The override is of a private method, so test_render compares the
    documents with the ones the full stylesheet makes."""
    from weasyprint import CSS, HTML

    user_agent = CSS(filename=str(TEMPLATES / "user-agent.css"), font_config=_fonts())

    class DocumentHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [user_agent]

    return DocumentHTML


def render_pdf(facts: DocumentFacts) -> bytes:
    """The document as PDF bytes."""
    html = _document_html()(string=render_html(facts), base_url=str(TEMPLATES))
    return html.write_pdf(stylesheets=[_stylesheet()], font_config=_fonts())


def start_render_pool(processes: int) -> ProcessPoolExecutor:
    """Processes that render documents, each warmed up once (spawned, not forked: forking a process
    that runs an event loop and gRPC threads is unsafe)."""
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up
    )


class RenderPool:
    """Processes that render documents, started on first use: a web server makes a document only
    when one issued without its PDF is first downloaded, and most of its processes never need
    WeasyPrint."""

    def __init__(self, processes: int):
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = start_render_pool(self._processes)
            return self._pool

    async def render(self, facts: DocumentFacts) -> bytes:
        """The document as PDF bytes, rendered in a pool process. A pool one of whose processes died
        (killed, out of memory) refuses all work from then on: it is replaced, and the document
        rendered once more."""
        loop = asyncio.get_running_loop()
        pool = self.executor()
        try:
            return await loop.run_in_executor(pool, render_pdf, facts)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return await loop.run_in_executor(self.executor(), render_pdf, facts)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def warm_up() -> None:
    """Start a render process: load WeasyPrint, fonts and the stylesheet once, so the first document
    is not slow, and make the process end with the worker that started it."""
    _end_with_parent()
    _stylesheet()
    _document_html()


def _end_with_parent(every: float = 1.0) -> None:
    """A render process left behind by a worker that was killed outright would wait for work forever
    (and hold its memory). A watcher thread ends it once its parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        _forget_fonts()  # os._exit skips atexit
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()
