"""Shared fixtures. Tests marked ``stack`` run against real processes: a Temporal dev server,
the database (SQLite, or PostgreSQL when QINQING_TEST_DATABASE_URL names a server), the worker
and the web server."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Tests read the same compiled catalogs the hub does; build them from the .po files. A catalog
    is replaced whole, and only when it changed: hub processes of other test sessions on this
    machine (each xdist worker's, the other database's suite) may be reading it at that moment."""
    for po in sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.read_bytes() == compiled.getvalue():
            continue
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        partial.write_bytes(compiled.getvalue())
        os.replace(partial, mo)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    from tests.stack.harness import create_postgres_database, drop_postgres_database, start_stack

    admin_url = os.environ.get("QINQING_TEST_DATABASE_URL")
    database = None
    saved = os.environ.get("QINQING_DATABASE_URL")
    if admin_url:
        url, database = create_postgres_database(admin_url)
        os.environ["QINQING_DATABASE_URL"] = url
    else:
        os.environ.pop("QINQING_DATABASE_URL", None)
    try:
        hub = start_stack(tmp_path_factory.mktemp("stack"))
        try:
            yield hub
        finally:
            hub.shutdown()
    finally:
        if saved is None:
            os.environ.pop("QINQING_DATABASE_URL", None)
        else:
            os.environ["QINQING_DATABASE_URL"] = saved
        if database:
            drop_postgres_database(admin_url, database)
