"""A database or Temporal away for a moment is answered 503 with Retry-After (a problem document for
the API, an HTML page for a browser, both in the caller's language), never 500; the hub's own
mistakes stay 500."""

from __future__ import annotations

import socket
import sqlite3

import asyncpg
import pytest
from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    InterfaceError,
    InternalClientError,
    QueryCanceledError,
    UniqueViolationError,
)
from litestar import Router, get
from litestar.testing import create_test_client
from temporalio.service import RPCError, RPCStatusCode

from hub.web.pages.common import PAGE_EXCEPTION_HANDLERS
from hub.web.problems import EXCEPTION_HANDLERS


async def refused_connection() -> BaseException:
    """What asyncpg really raises when nothing listens where the database should be."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connecting is refused
        try:
            await asyncpg.connect(f"postgresql://nobody@127.0.0.1:{port}/none", timeout=5)
        except OSError as exc:
            return exc
    raise AssertionError("the connection was not refused")


OUTAGES = {
    "connection-lost": lambda: ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    "shutting-down": lambda: CannotConnectNowError("the database system is shutting down"),
    "starting-up": lambda: CannotConnectNowError("the database system is starting up"),
    "admin-shutdown": lambda: AdminShutdownError("terminating connection due to administrator command"),
    "closed-connection": lambda: InterfaceError(
        "cannot call Transaction.rollback(): the underlying connection is closed"
    ),
    "protocol-state": lambda: InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    "refused": refused_connection,
    "sqlite-locked": lambda: sqlite3.OperationalError("database is locked"),
    "temporal-unavailable": lambda: RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""),
}
FAULTS = {
    "programming": lambda: ValueError("a bug"),
    "interface-misuse": lambda: InterfaceError("cannot perform operation: another operation is in progress"),
    "constraint": lambda: UniqueViolationError("duplicate key value violates unique constraint"),
    "query-canceled": lambda: QueryCanceledError("canceling statement due to statement timeout"),
    "refused-elsewhere": lambda: ConnectionRefusedError(111, "Connection refused"),  # not the database
    "temporal-refused-call": lambda: RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b""),
    "sqlite-syntax": lambda: sqlite3.OperationalError('near "SELEC": syntax error'),
}


def client_raising(make):
    @get("/api/thing")
    async def api_thing() -> dict:
        raise await make() if make is refused_connection else make()

    @get("/thing")
    async def page_thing() -> dict:
        raise await make() if make is refused_connection else make()

    pages = Router(path="/", route_handlers=[page_thing], exception_handlers=PAGE_EXCEPTION_HANDLERS)
    return create_test_client(
        route_handlers=[api_thing, pages], exception_handlers=EXCEPTION_HANDLERS, raise_server_exceptions=False
    )


@pytest.mark.parametrize("name", OUTAGES)
def test_an_outage_is_503_with_retry_after(name):
    with client_raising(OUTAGES[name]) as client:
        r = client.get("/api/thing", headers={"Accept-Language": "en"})
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) > 0
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["status"] == 503
        if name == "sqlite-locked":  # an overload of the embedded database, said as such
            assert (problem["type"], problem["title"]) == ("/problems/busy", "Too busy right now")
        else:
            assert (problem["type"], problem["title"]) == (
                "/problems/service-unavailable",
                "Service temporarily unavailable",
            )

        r = client.get("/api/thing", headers={"Accept-Language": "zh-CN"})
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert r.headers["Content-Language"] == "zh-CN"
        if name != "sqlite-locked":
            assert r.json()["title"] == "服务暂时不可用"

        page = client.get("/thing", headers={"Accept-Language": "zh-CN"})
        assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
        assert page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text and "Traceback" not in page.text
        if name != "sqlite-locked":
            assert "服务暂时不可用" in page.text
        page = client.get("/thing", headers={"Accept-Language": "en"})
        assert page.status_code == 503
        assert ("Too busy right now" if name == "sqlite-locked" else "Service temporarily unavailable") in page.text


@pytest.mark.parametrize("name", FAULTS)
def test_a_fault_of_the_hubs_own_stays_500(name):
    with client_raising(FAULTS[name]) as client:
        r = client.get("/api/thing", headers={"Accept-Language": "en"})
        assert r.status_code in (400, 500), r.text  # a value PostgreSQL refuses is the caller's (400)
        assert "Retry-After" not in r.headers
        assert client.get("/thing").status_code in (400, 500)
