"""The web application factory: routes, authentication, problem responses, OpenAPI."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from forms.catalog import load_catalog
from hub import clock
from hub.accounts import keeping_sessions
from hub.credentials import install as install_credentials
from hub.db.lifecycle import database
from hub.documents.render import RenderPool
from hub.documents.signing import signing_key_ring
from hub.documents.storage import content_store
from hub.requests.kept_details import keeping_details
from hub.sealing import configure_from as configure_sealing
from hub.settings import Settings, load_settings
from hub.temporal import connect
from hub.web.access_log import redact_access_log
from hub.web.api.admin import AdminController
from hub.web.api.audit import AuditController
from hub.web.api.auth import AuthController
from hub.web.api.benefits import BenefitController
from hub.web.api.calendar import CalendarAdminController, CalendarController
from hub.web.api.claims import ClaimController
from hub.web.api.cockpit import CockpitController
from hub.web.api.credentials import CREDENTIAL_ROUTES
from hub.web.api.documents import DocumentController
from hub.web.api.enterprise import EnterpriseController
from hub.web.api.feedback import FeedbackController
from hub.web.api.health import HealthController
from hub.web.api.life_events import LifeEventController
from hub.web.api.messages import LocalSmsGatewayController, MessageController
from hub.web.api.open_data import DatasetController, MakeReportController, ReportController, ServiceLevelController
from hub.web.api.programs import OpenProgramController, ProgramController
from hub.web.api.reconciliation import ReconciliationController
from hub.web.api.requests import RequestController
from hub.web.api.services import ServiceController
from hub.web.api.tasks import TaskController
from hub.web.api.temporal_codec import TemporalCodecController
from hub.web.api.uploads import UploadController
from hub.web.cached import EncodedAnswers
from hub.web.context import HubContext
from hub.web.docs import HubSwaggerRenderPlugin
from hub.web.head import head_as_get
from hub.web.headers import security_headers
from hub.web.pages import pages_router, static_router
from hub.web.pages.common import EDGE_EXCEPTION_HANDLERS
from hub.web.pages.csrf import PageCsrf
from hub.web.pages.session import NOT_PAGES, PageSessionAuthentication
from hub.web.security import PUBLIC_PATHS, BearerTokenAuthentication, app_wide
from hub.workbench.kept_inbox import keeping_inboxes

log = logging.getLogger("qinqing.web")
MAX_BODY_BYTES = 1024 * 1024
# Everything outside the JSON API is a page, a static file, or public (health, schema).
PAGE_PATHS = r"^/(?!api/)"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_sealing(settings)
    redact_access_log()
    clock.set_offset(dt.timedelta(days=settings.clock_offset_days))
    hub = HubContext(
        settings=settings,
        catalog=load_catalog(settings.catalog_path),
        documents=content_store(settings),
        signing_keys=signing_key_ring(settings),
        renderer=RenderPool(settings.render_processes),
    )
    install_credentials(hub.catalog, hub.signing_keys, settings.base_url)

    @asynccontextmanager
    async def lifespan(app: Litestar):
        async with database(settings):
            # Lazy: the web server starts (and /health says why) even while Temporal is down.
            hub.temporal = await connect(settings, lazy=True)
            try:
                async with keeping_sessions(), keeping_inboxes(), keeping_details():
                    yield
            finally:
                hub.renderer.shutdown()

    # Litestar warns that the bearer middleware's exclusions match "/": they do, on purpose (pages).
    warnings.filterwarnings("ignore", message=".*greedily matches all paths")
    app = Litestar(
        route_handlers=[
            HealthController,
            AuthController,
            BenefitController,
            LifeEventController,
            ServiceController,
            RequestController,
            TaskController,
            UploadController,
            DocumentController,
            OpenProgramController,
            ServiceLevelController,
            CockpitController,
            DatasetController,
            ReportController,
            MakeReportController,
            ProgramController,
            EnterpriseController,
            ClaimController,
            ReconciliationController,
            AdminController,
            CalendarController,
            CalendarAdminController,
            AuditController,
            TemporalCodecController,
            *CREDENTIAL_ROUTES,
            MessageController,
            FeedbackController,
            LocalSmsGatewayController,
            pages_router(),
            static_router(),
        ],
        state=State({"hub": hub, "answers": EncodedAnswers()}),
        lifespan=[lifespan],
        # Bearer tokens for the JSON API; a cookie session for pages (each ignores the other's paths),
        # then the pages' forms are checked against that session (after it: a refusal is a page in
        # the visitor's language).
        middleware=[
            DefineMiddleware(BearerTokenAuthentication, exclude=[*PUBLIC_PATHS, PAGE_PATHS]),
            DefineMiddleware(PageSessionAuthentication, exclude=NOT_PAGES),
            PageCsrf(settings),
        ],
        before_send=[security_headers(hsts=settings.behind_tls)],
        guards=[app_wide],
        # Problem documents for API clients, pages in the visitor's language for browsers.
        exception_handlers=EDGE_EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Qinqing Hub API",
            version="0.1.0",
            description="One-stop government services: the catalog, requests, department inboxes and documents.",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
            # Swagger UI from the hub's own static files (no CDN), at /schema and /schema/swagger.
            render_plugins=[HubSwaggerRenderPlugin()],
        ),
    )
    app.asgi_handler = head_as_get(app.asgi_handler)  # HEAD wherever GET is (hub.web.head)
    return app
