"""Shared fixtures. Tests marked ``stack`` run against real processes: a Temporal dev server,
the database (SQLite, or PostgreSQL when QINQING_TEST_DATABASE_URL names a server), the worker
and the web server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Tests read the same compiled catalogs the hub does; build them from the .po files."""
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "compile", "-d", str(ROOT / "locales"), "-D", "messages"],
        check=True,
        capture_output=True,
    )


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
