"""The wallet as pages: every credential a citizen or enterprise holds, sharing one field by field
by a link and QR code for a limited time, the shares with who saw them, and the public page a
shared link opens.

The rules are the credentials domain's (``hub/credentials``); these handlers parse, call it and present.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from forms.credentials import CLAIM_LABELS
from hub.credentials import issuing, sharing, wallet
from hub.errors import HubError, not_found
from hub.i18n import N_, gettext
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import current_user, page_locale
from hub.web.routes import get, post

HOLDER_ROLES = ("citizen", "enterprise")
STATUSES = {
    "valid": N_("Valid"),
    "revoked": N_("Revoked"),
    "suspended": N_("On hold"),
    "expired": N_("Expired"),
    "superseded": N_("Superseded"),
    "not_yet_valid": N_("Not valid yet"),
}
# The status tag's colour: the classes the requests' states use.
STATUS_CLASS = {
    "valid": "approved",
    "revoked": "revoked",
    "suspended": "suspended",
    "expired": "withdrawn",
    "superseded": "withdrawn",
}
SOURCES = {"hub": N_("Issued by the hub"), "registry": N_("From a government registry, signed by the hub")}
SHARE_STATES = {"active": N_("Shared"), "expired": N_("Expired"), "revoked": N_("Taken back")}
SHARE_CLASS = {"active": "approved", "expired": "withdrawn", "revoked": "revoked"}
# How long a share may last, as the form offers it (hours).
DURATIONS = [(1, N_("1 hour")), (24, N_("1 day")), (168, N_("7 days")), (720, N_("30 days"))]


def qr_svg(url: str) -> str:
    """The link as a QR code, an SVG data URI (segno, as on the documents)."""
    import segno

    return segno.make(url, error="m", micro=False).svg_data_uri(scale=5, border=2)


@get("/wallet", name="wallet")
async def wallet_page(request: Request) -> Response:
    return await render_wallet(request)


async def render_wallet(request: Request, revealed: str = "") -> Response:
    """The wallet page; ``revealed``: the credential whose masked claims its holder asked to see."""
    user = require(request, *HOLDER_ROLES)
    locale = page_locale(request)
    credentials = await wallet.wallet_entries(user, locale)
    shares = await sharing.shares_of(user)
    titles = {c.id: c.title for c in credentials}
    return render_page(
        request,
        "wallet.html",
        credentials=credentials,
        shares=shares,
        titles=titles,
        claim_labels={name: gettext(locale, label) for name, label in CLAIM_LABELS.items()},
        statuses=STATUSES,
        status_class=STATUS_CLASS,
        sources=SOURCES,
        share_states=SHARE_STATES,
        share_class=SHARE_CLASS,
        durations=DURATIONS,
        error=request.query_params.get("error", ""),
        error_for=request.query_params.get("for", ""),
        revealed=revealed,
    )


@post("/wallet/credentials/{credential_id:str}/reveal", name="wallet-reveal")
async def reveal_credential(request: Request, credential_id: str) -> Response:
    """The wallet with one credential's masked claims in full, as its holder asked (recorded)."""
    user = require(request, *HOLDER_ROLES)
    await wallet.reveal(user, credential_id)
    return await render_wallet(request, revealed=credential_id)


@get("/wallet/credentials/{credential_id:str}/jwt", name="wallet-download")
async def download_credential(request: Request, credential_id: str) -> Response:
    """One of the holder's credentials as its signed JWT, downloaded from the wallet page."""
    user = require(request, *HOLDER_ROLES)
    row = await wallet.holder_row(user, credential_id)
    if row is None:
        raise not_found()
    return Response(
        issuing.opened_jwt(row),
        media_type="application/vc+jwt",
        headers={"Content-Disposition": f'attachment; filename="{row["type"]}.jwt"', "Cache-Control": "no-store"},
    )


@post("/wallet/credentials/{credential_id:str}/shares", name="wallet-share")
async def share_credential(request: Request, credential_id: str) -> Response:
    user = require(request, *HOLDER_ROLES)
    form = await request.form()
    fields = [str(f) for f in form.getall("fields")] if hasattr(form, "getall") else []
    try:
        hours = int(str(form.get("hours") or "24"))
    except ValueError:
        hours = 0
    try:
        made = await sharing.share(user, credential_id, fields, hours, str(form.get("recipient") or ""))
    except HubError as exc:
        if exc.kind == "not_found":
            raise
        locale = page_locale(request)
        from urllib.parse import quote

        message = quote(gettext(locale, exc.detail or exc.title))
        return Redirect(
            path=f"/wallet?error={message}&for={quote(credential_id)}#credential-{credential_id}", status_code=303
        )
    return Redirect(path=f"/wallet/shares/{made.id}", status_code=303)


@get("/wallet/shares/{share_id:int}", name="wallet-share-page")
async def share_page(request: Request, share_id: int) -> Response:
    user = require(request, *HOLDER_ROLES)
    locale = page_locale(request)
    found = await sharing.shares_of(user, share_id)
    if not found:
        raise not_found()
    item = found[0]
    entries = {c.id: c for c in await wallet.wallet_entries(user, locale)}
    entry = entries.get(item.credential_id)
    labels = {c.name: c.label for c in entry.claims} if entry else {}
    return render_page(
        request,
        "wallet_share.html",
        share=item,
        title=entry.title if entry else item.type,
        labels=labels,
        qr=qr_svg(item.url) if item.state == "active" else "",
        share_states=SHARE_STATES,
        share_class=SHARE_CLASS,
    )


@post("/wallet/shares/{share_id:int}/revocation", name="wallet-share-revoke")
async def revoke_share(request: Request, share_id: int) -> Response:
    user = require(request, *HOLDER_ROLES)
    await sharing.revoke_share(user, share_id)
    return Redirect(path=f"/wallet/shares/{share_id}", status_code=303)


def gone_or_unknown(seen: sharing.SharedView) -> int:
    """410 for a share taken back or past its time, 404 for a link the hub never made."""
    return 404 if seen.state == "unknown" else 410


@get("/verify/shared/{token:str}", name="shared-credential")
async def shared_credential(request: Request, ctx: HubContext, token: str) -> Response:
    """A shared link, opened by anyone (no sign-in): the chosen fields and whether they hold; with
    ``?format=sd-jwt``, the SD-JWT presentation itself."""
    locale = page_locale(request)
    seen = await sharing.open_shared(token, current_user(request), request.headers.get("user-agent", ""))
    if request.query_params.get("format") == "sd-jwt":
        # A verifier's system takes the SD-JWT itself and checks it with the published keys.
        if not seen.shared:
            return Response("", status_code=gone_or_unknown(seen), media_type="application/vc+sd-jwt")
        return Response(seen.presentation, media_type="application/vc+sd-jwt", headers={"Cache-Control": "no-store"})
    kind = ctx.catalog.credentials.get(seen.type)
    return render_page(
        request,
        "shared_credential.html",
        status=200 if seen.shared else gone_or_unknown(seen),
        seen=seen,
        title=gettext(locale, kind.title) if kind else "",
        issuer=gettext(locale, seen.issuer) if seen.issuer else "",
        claims=[
            (gettext(locale, CLAIM_LABELS.get(name, name)), wallet.claim_value(value, locale))
            for name, value in seen.claims.items()
        ],
        statuses=STATUSES,
        status_class=STATUS_CLASS,
    )


WALLET = [
    wallet_page,
    reveal_credential,
    download_credential,
    share_credential,
    share_page,
    revoke_share,
    shared_credential,
]
