"""What a registry's record states is kept sealed, and the digest the hub keeps of it (to see when the
registry changes it) is keyed: a plain hash of a disability certificate's claims, which name the
holder and little else, could be confirmed by guessing its category and grade. A credential an
older version stored under a plain hash is keyed in place on the holder's next look at the wallet:
the same credential, still valid, and no second one."""

from __future__ import annotations

import pytest

from tests.stack.db import run_python, sql
from tests.stack.harness import Api

pytestmark = pytest.mark.stack

PLAIN = """
import asyncio, hashlib, json
from hub.credentials.issuing import opened_claims
from hub.db.lifecycle import database
from hub.db.tables import Credential
from hub.settings import load_settings

async def main():
    async with database(load_settings()):
        row = (await Credential.select(Credential.claims).where(Credential.id == {id}))[0]
        claims = json.dumps(opened_claims(row), sort_keys=True, ensure_ascii=False)
        print(hashlib.sha256(claims.encode()).hexdigest())

asyncio.run(main())
"""


def certificate_rows(stack) -> list[dict]:
    return sql(
        stack,
        "SELECT id, jti, key, digest, status FROM credential WHERE type = {} ORDER BY id",
        "disability-certificate",
    )


def valid_certificate(api: Api) -> dict:
    [found] = [
        c
        for c in api.get("/api/wallet").json()["credentials"]
        if c["type"] == "disability-certificate" and c["status"] == "valid"
    ]
    return found


def test_the_digest_of_a_record_is_keyed_and_an_older_plain_one_is_keyed_in_place(stack):
    api = Api(stack.base_url, "zhaoliu", locale="en")
    shown = valid_certificate(api)
    [row] = [r for r in certificate_rows(stack) if r["status"] == "valid"]
    plain = run_python(stack, PLAIN.replace("{id}", str(row["id"]))).strip()
    assert len(plain) == 64 and plain not in row["digest"] and plain[:16] not in row["key"]
    key_id, keyed = row["digest"].split(":")
    assert key_id and row["key"].endswith(":" + keyed[:16])

    # As an older version stored it: keyed by the plain hash.
    prefix = row["key"].rsplit(":", 1)[0] + ":"
    before = len(certificate_rows(stack))
    sql(stack, "UPDATE credential SET key = {}, digest = {} WHERE id = {}", prefix + plain[:16], plain, row["id"])
    assert valid_certificate(api)["id"] == shown["id"]  # the wallet's next look
    rows = certificate_rows(stack)
    [again] = [r for r in rows if r["id"] == row["id"]]
    assert (again["key"], again["digest"], again["status"], again["jti"]) == (
        row["key"],
        row["digest"],
        "valid",
        row["jti"],
    )
    assert len(rows) == before and not [r for r in rows if r["digest"] == plain]  # no second one
