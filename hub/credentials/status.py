"""Revocation and suspension by W3C Bitstring Status Lists: every credential has an index in one
public list, signed as a status-list credential; the bit at its index is 1 once it no longer holds
(revoked, superseded by a corrected one, or its entitlement ended). A credential of a status the
department can suspend (``suspendable``) also names the same index in a second list whose purpose is
"suspension": its bit is 1 while the entitlement is suspended, and 0 again once it is resumed.

Positions are drawn from a shuffled order of the list's positions (a verifier fetching the list
learns nothing of when a credential was issued from where its bit sits), one after another; once a
list is full the next one is opened. A credential's ``status_index`` counts across the lists: list
``index // LIST_SIZE + 1``, position ``index % LIST_SIZE``.
"""

from __future__ import annotations

import base64
import gzip
import random
from typing import Any, Literal

from hub.clock import now
from hub.credentials import jose
from hub.credentials.jose import SigningKeys
from hub.db.tables import Credential, DocumentSequence, Entitlement

# 131,072 entries: the size the specification asks for at least, for herd privacy.
LIST_SIZE = 131_072
SEQUENCE_SCOPE = "credential-status"
# A fixed shuffle of the positions, the same in every process.
_ORDER: list[int] | None = None


Purpose = Literal["revocation", "suspension"]
PURPOSES: tuple[Purpose, ...] = ("revocation", "suspension")


def status_list_url(base_url: str, list_number: int, purpose: Purpose = "revocation") -> str:
    if purpose == "suspension":
        return f"{base_url.rstrip('/')}/credentials/suspension/{list_number}"
    return f"{base_url.rstrip('/')}/credentials/status/{list_number}"


def _index(sequence: int) -> int:
    """The ``sequence``-th index handed out (from 1): its list's offset plus a shuffled position."""
    global _ORDER
    if _ORDER is None:
        order = list(range(LIST_SIZE))
        random.Random(20261204).shuffle(order)
        _ORDER = order
    full_lists, nth = divmod(sequence - 1, LIST_SIZE)
    return full_lists * LIST_SIZE + _ORDER[nth]


async def next_index() -> int:
    """The next free index of the list. Call inside a write transaction."""
    await DocumentSequence.insert(DocumentSequence(scope=SEQUENCE_SCOPE, last=0)).on_conflict(
        target=DocumentSequence.scope, action="DO NOTHING"
    )
    rows = (
        await DocumentSequence.update({DocumentSequence.last: DocumentSequence.last + 1})
        .where(DocumentSequence.scope == SEQUENCE_SCOPE)
        .returning(DocumentSequence.last)
    )
    return _index(rows[0]["last"])


def entry(base_url: str, index: int, purpose: Purpose = "revocation") -> dict[str, Any]:
    """One ``credentialStatus`` entry: the credential's position in the list of ``purpose``."""
    list_number, position = divmod(index, LIST_SIZE)
    url = status_list_url(base_url, list_number + 1, purpose)
    return {
        "id": f"{url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(position),
        "statusListCredential": url,
    }


def entries(base_url: str, index: int, suspendable: bool) -> dict[str, Any] | list[dict[str, Any]]:
    """A credential's ``credentialStatus``: its revocation entry, and its suspension entry with it
    (a list, as the data model allows) when its status can be suspended."""
    if not suspendable:
        return entry(base_url, index)
    return [entry(base_url, index, purpose) for purpose in PURPOSES]


def encode(indexes: list[int]) -> str:
    """The list with these bits set, GZIP-compressed and base64url-encoded (multibase ``u``)."""
    bits = bytearray(LIST_SIZE // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)  # index 0 is the left-most bit
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def bit(encoded_list: str, index: int) -> bool:
    """Whether the bit at ``index`` is set in an encoded list (as a verifier reads it)."""
    text = encoded_list[1:] if encoded_list.startswith("u") else encoded_list
    data = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def ended_entitlement():
    """Credentials of decisions whose entitlement has ended: the status they granted no longer holds."""
    return Credential.document.request.is_in(
        Entitlement.select(Entitlement.request).where(Entitlement.state == "ended")
    )


def suspended_entitlement():
    """Credentials of decisions whose entitlement the department has suspended (until it resumes it)."""
    return Credential.document.request.is_in(
        Entitlement.select(Entitlement.request).where(Entitlement.state == "suspended")
    )


async def with_ended(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (with ``id`` and ``status``) as their entitlements stand: those of an ended
    entitlement marked revoked, those of a suspended one suspended."""
    valid = [r["id"] for r in rows if r["status"] == "valid" and r.get("document")]
    if not valid:
        return rows
    found = await Credential.select(Credential.id, Credential.document.request.as_alias("request")).where(
        Credential.id.is_in(valid)
    )
    requests = {r["request"] for r in found if r["request"] is not None}
    if not requests:
        return rows
    states = {
        e["request"]: e["state"]
        for e in await Entitlement.select(Entitlement.request, Entitlement.state).where(
            Entitlement.request.is_in(list(requests)) & Entitlement.state.is_in(["ended", "suspended"])
        )
    }
    now_as = {
        r["id"]: {"ended": "revoked", "suspended": "suspended"}[states[r["request"]]]
        for r in found
        if r["request"] in states
    }
    return [{**r, "status": now_as[r["id"]]} if r["id"] in now_as else r for r in rows]


async def lists_in_use() -> int:
    """How many lists there are: those holding at least one credential's bit (one at least)."""
    row = await DocumentSequence.select(DocumentSequence.last).where(DocumentSequence.scope == SEQUENCE_SCOPE).first()
    issued = row["last"] if row else 0
    return max(1, -(-issued // LIST_SIZE))


async def status_list_credential(
    keys: SigningKeys, base_url: str, list_number: int, purpose: Purpose = "revocation"
) -> str:
    """Status list ``list_number`` (from 1) of ``purpose`` as it stands, signed as a status-list
    credential (a JWT). Revocation: the credentials that no longer hold; suspension: the valid ones
    whose entitlement is suspended now."""
    start = (list_number - 1) * LIST_SIZE
    in_list = (Credential.status_index >= start) & (Credential.status_index < start + LIST_SIZE)
    if purpose == "suspension":
        set_bits = (Credential.status == "valid") & suspended_entitlement()
    else:
        set_bits = (Credential.status != "valid") | ended_entitlement()
    rows = await Credential.select(Credential.status_index).where(in_list & set_bits)
    url = status_list_url(base_url, list_number, purpose)
    issued = now()
    claims = {
        "iss": base_url.rstrip("/"),
        "sub": f"{url}#list",
        "iat": int(issued.timestamp()),
        # Verifiers fetch it again after five minutes.
        "exp": int(issued.timestamp()) + 300,
        "vc": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": base_url.rstrip("/"),
            "validFrom": issued.isoformat(),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encode([r["status_index"] - start for r in rows]),
            },
        },
    }
    token, _ = jose.sign(keys, claims, typ="statuslist+jwt")
    return token
