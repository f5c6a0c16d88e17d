"""Looking into (and tampering with) the stack's database from a test, on SQLite or PostgreSQL,
through a separate process with the stack's own settings."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import asyncio, json, sys
from hub.db.lifecycle import database
from hub.db.tables import AuditEvent
from hub.settings import load_settings

async def main():
    async with database(load_settings()):
        return await AuditEvent.raw(sys.argv[1], *json.loads(sys.argv[2]))

print(json.dumps(asyncio.run(main()), default=str))
"""


def sql(stack, query: str, *args) -> list[dict]:
    """Run one SQL statement (Piccolo placeholders: {}) and return its rows."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, query, json.dumps(args)],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_python(stack, code: str) -> str:
    """Run a snippet against the stack's database and settings; returns what it printed."""
    out = subprocess.run([sys.executable, "-c", code], env=stack.env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout
