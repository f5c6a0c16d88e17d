"""Credentials and the wallet over HTTP: a holder's wallet, a credential's JWT, sharing one and
taking a share back; the public keys (JWKS) and the status lists anyone verifies credentials with,
and the public check a verifier's system asks of a credential or presentation.

The rules are the credentials domain's (``hub/credentials``); this module parses, calls it and answers.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response

from hub.credentials import issuing, jose, sharing, status, verifying, wallet
from hub.credentials.context import context
from hub.errors import invalid_field, not_found
from hub.web.actors import actor_of
from hub.web.routes import get, post
from hub.web.security import APPLICANT_ROLES, requires_role


class ShareCreate(msgspec.Struct):
    # The credential's claims to disclose (names, as the wallet lists them).
    fields: list[str]
    # How long the link works, in hours (1 to 720).
    hours: int = 24
    # Who it is for, in the holder's words (kept sealed, shown only to the holder).
    recipient: str = ""


class CredentialToVerify(msgspec.Struct):
    # A credential's JWT (as the wallet downloads it), or an SD-JWT presentation
    # (``<issuer JWT>~<disclosure>~...~``, as a shared link's ``?format=sd-jwt`` gives it).
    credential: str


class Wallet(msgspec.Struct):
    credentials: list[wallet.WalletEntry]
    shares: list[sharing.ShareRead]


def _user(request: Request):
    user = actor_of(request).user
    assert user is not None, "the guard admits only signed-in applicants"
    return user


class WalletController(Controller):
    path = "/api/wallet"
    tags = ["wallet"]
    guards = [requires_role(*APPLICANT_ROLES)]

    @get("", summary="My wallet: every credential I hold, with its status, and my shares with who saw them")
    async def mine(self, request: Request) -> Wallet:
        user = _user(request)
        return Wallet(credentials=await wallet.wallet_entries(user), shares=await sharing.shares_of(user))

    @get(
        "/credentials/{credential_id:str}/jwt",
        summary="One of my credentials as its signed JWT (W3C VC data model, EdDSA)",
        media_type="application/vc+jwt",
    )
    async def download(self, request: Request, credential_id: str) -> Response[str]:
        row = await wallet.holder_row(_user(request), credential_id)
        if row is None:
            raise not_found()
        return Response(
            issuing.opened_jwt(row),
            media_type="application/vc+jwt",
            headers={"Content-Disposition": f'attachment; filename="{row["type"]}.jwt"', "Cache-Control": "no-store"},
        )

    @post(
        "/credentials/{credential_id:str}/shares",
        summary="Share the fields I choose of one of my credentials, by a link that works for a limited time",
        status_code=201,
    )
    async def share(self, request: Request, credential_id: str, data: ShareCreate) -> sharing.ShareMade:
        return await sharing.share(_user(request), credential_id, data.fields, data.hours, data.recipient)

    @get("/shares/{share_id:int}", summary="One of my shares, with who saw what and when")
    async def one_share(self, request: Request, share_id: int) -> sharing.ShareRead:
        found = await sharing.shares_of(_user(request), share_id)
        if not found:
            raise not_found()
        return found[0]

    @post("/shares/{share_id:int}/revocation", summary="Take a share back: its link stops working", status_code=200)
    async def revoke(self, request: Request, share_id: int) -> sharing.ShareRead:
        user = _user(request)
        await sharing.revoke_share(user, share_id)
        return (await sharing.shares_of(user, share_id))[0]


@get(
    "/.well-known/jwks.json", summary="The hub's public signing keys (JWKS), rotated-out keys included", tags=["wallet"]
)
async def public_keys() -> Response[dict]:
    return Response(jose.jwks(context().keys), headers={"Cache-Control": "public, max-age=300"})


@get(
    "/credentials/status/{list_number:int}",
    summary="The credentials' status list (W3C Bitstring Status List), signed as a JWT",
    tags=["wallet"],
    media_type="application/statuslist+jwt",
)
async def status_list(list_number: int) -> Response[str]:
    return await _status_list(list_number, "revocation")


@get(
    "/credentials/suspension/{list_number:int}",
    summary="The credentials' suspension list (W3C Bitstring Status List, purpose suspension), signed as a JWT",
    tags=["wallet"],
    media_type="application/statuslist+jwt",
)
async def suspension_list(list_number: int) -> Response[str]:
    return await _status_list(list_number, "suspension")


async def _status_list(list_number: int, purpose: status.Purpose) -> Response[str]:
    if not 1 <= list_number <= await status.lists_in_use():
        raise not_found()
    ctx = context()
    return Response(
        await status.status_list_credential(ctx.keys, ctx.base_url, list_number, purpose),
        media_type="application/statuslist+jwt",
        headers={"Cache-Control": "public, max-age=60"},
    )


VERIFY_DESCRIPTION = """For a verifier's own system (a bank, an employer): send ``{"credential": "<JWT or SD-JWT>"}``
as the holder gave it (a wallet download, or a shared link's ``?format=sd-jwt``). No account is
needed; each client address may ask 60 checks a minute, then gets 429 with ``Retry-After``.

The answer is 200 whenever the text is a credential, genuine or not: ``signature`` says whether
the hub's keys (``/.well-known/jwks.json``) signed it; when they did not, nothing else in it is
repeated. ``status`` is as it stands now: ``valid``, ``revoked``, ``suspended`` (an entitlement
on hold: it may be resumed), ``expired``, ``superseded`` (a corrected document replaced it) or
``unknown``, and ``not_shared`` for a presentation whose share its holder took back; ``valid`` is
true only for a genuine credential whose status is ``valid``. Also
``issuer`` (and its name), ``key_id`` (the ``kid`` that signed it), ``credential_id``, ``type``,
``issued_at``, ``valid_from``, ``valid_until`` and ``claims`` (an SD-JWT presentation: only
those it discloses). Text that is neither a JWT nor an SD-JWT is a 422 problem naming the field
``credential``.
"""


@post(
    "/api/credentials/verify",
    description=VERIFY_DESCRIPTION,
    security=[],
    summary=(
        "Check a credential's JWT or an SD-JWT presentation (public, limited per address): signature, "
        "issuer, key id, status now (valid, revoked, suspended, expired, superseded), validity dates and "
        "the claims it states or discloses"
    ),
    tags=["wallet"],
    status_code=200,
)
async def verify_credential(request: Request, data: CredentialToVerify) -> verifying.CredentialCheck:
    """The check a verifier's system asks (see ``VERIFY_DESCRIPTION``)."""
    await verifying.admit_check(actor_of(request).address)
    try:
        return await verifying.check_credential(data.credential)
    except verifying.Unreadable:
        raise invalid_field("credential", "credential_unreadable") from None


CREDENTIAL_ROUTES = [WalletController, public_keys, status_list, suspension_list, verify_credential]
