"""The web server and the worker refuse to start on a database whose schema is behind the code, and
say what to run: started anyway, they would fail on the first statement needing what is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from piccolo.apps.migrations.tables import Migration

from hub.db.lifecycle import pending_migrations

ROOT = Path(__file__).resolve().parents[2]


async def test_a_migration_not_run_is_pending(database):
    assert await pending_migrations() == []
    newest = await Migration.select(Migration.name).order_by(Migration.id, ascending=False).first()
    await Migration.delete().where(Migration.name == newest["name"])
    assert await pending_migrations() == [newest["name"]]


def test_serve_and_worker_refuse_a_schema_behind_the_code(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "QINQING_VAR_DIR": str(tmp_path), "QINQING_PORT": "1"}
    for command in ("serve", "worker"):
        run = subprocess.run(
            [sys.executable, "-m", "hub.cli", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 1, run.stderr
        assert "schema is behind" in run.stderr and "qinqing migrate" in run.stderr
    migrated = subprocess.run(
        [sys.executable, "-m", "hub.cli", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    # Migrated, the check lets the worker go on: it then fails only for want of a Temporal server.
    run = subprocess.run(
        [sys.executable, "-m", "hub.cli", "worker"],
        cwd=ROOT,
        env={**env, "QINQING_TEMPORAL_ADDRESS": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "schema is behind" not in run.stderr and "127.0.0.1:1" in run.stderr
