"""Server-rendered pages: the portal, the workbench and administration (Jinja, zh_CN and en)."""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from hub.web.context import provide_context
from hub.web.pages.account import ACCOUNT
from hub.web.pages.admin import ADMIN
from hub.web.pages.audit import AUDIT
from hub.web.pages.benefits import BENEFITS
from hub.web.pages.calendar import CALENDAR
from hub.web.pages.cockpit import COCKPIT
from hub.web.pages.common import PAGE_EXCEPTION_HANDLERS
from hub.web.pages.documents import DOCUMENT_PAGES
from hub.web.pages.feedback import FEEDBACK_PAGES
from hub.web.pages.life_event_result import LIFE_EVENT_RESULT
from hub.web.pages.open_data import OPEN_DATA
from hub.web.pages.portal import PORTAL
from hub.web.pages.render import STATIC
from hub.web.pages.subsidies import SUBSIDIES
from hub.web.pages.verify import VERIFY
from hub.web.pages.wallet import WALLET
from hub.web.pages.workbench import WORKBENCH


def pages_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            *PORTAL,
            *ACCOUNT,
            *WORKBENCH,
            *DOCUMENT_PAGES,
            *ADMIN,
            *CALENDAR,
            *AUDIT,
            *COCKPIT,
            *OPEN_DATA,
            *SUBSIDIES,
            *VERIFY,
            *BENEFITS,
            *LIFE_EVENT_RESULT,
            *WALLET,
            *FEEDBACK_PAGES,
        ],
        dependencies={"ctx": Provide(provide_context, sync_to_thread=False)},
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )


def static_router() -> Router:
    # Kept a year: every page and the API's documentation name them by ``asset``, whose address
    # changes with the file (pages themselves are never stored, so none names an old address).
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        cache_control=CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True),
    )
