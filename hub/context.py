"""What the domains work with, built once per process (by the web app or the worker): settings,
the catalog, the document store and keys, the renderer, Temporal and the working-day schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio.client import Client

from forms.catalog import Catalog
from hub.documents.render import RenderPool
from hub.documents.signing import KeyRing
from hub.documents.storage import ContentStore
from hub.settings import Settings
from hub.sla.schedules import CalendarBook


@dataclass
class HubContext:
    settings: Settings
    catalog: Catalog
    documents: ContentStore
    signing_keys: KeyRing
    # Makes the PDFs of documents issued without one, on their first download.
    renderer: RenderPool
    temporal: Client | None = None
    # The national working-day schedules: the catalog's files, and those published since.
    calendars: CalendarBook = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.calendars is None:
            self.calendars = CalendarBook(self.catalog.calendars)
