"""Security headers on every response, added in one place as the app sends it.

A header a handler set itself is left alone (a page may need its own policy). HTML gets a strict
Content-Security-Policy: only this origin, no inline script, no framing. The API documentation
pages load their viewer from a CDN, so ``/schema`` pages get a policy that allows that and no more.
HSTS is sent only when the hub's public address is https (behind TLS).
"""

from __future__ import annotations

from litestar.types import Message, Scope

# Inline styles are allowed (the verification page carries its own); inline script never is.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Litestar's documentation viewers come from these CDNs and start with a small inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
# Anything that is not a page (JSON, PDF) has no business running or embedding anything.
NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(hsts: bool):
    """A ``before_send`` hook for ``Litestar(before_send=[...])``: it sees every response the app
    sends, including errors raised by middleware (a refused sign-in), which a middleware inside
    the app would miss."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = message.setdefault("headers", [])
        present = {bytes(name).lower() for name, _ in headers}
        content_type = next((bytes(v) for n, v in headers if bytes(n).lower() == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            csp = DOCS_CSP if scope.get("path", "").startswith("/schema") else STRICT_CSP
        else:
            csp = NON_HTML_CSP
        wanted = {
            b"content-security-policy": csp,
            b"x-content-type-options": "nosniff",
            b"referrer-policy": "no-referrer",
            b"x-frame-options": "DENY",
            b"cross-origin-opener-policy": "same-origin",
            b"permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if hsts:
            wanted[b"strict-transport-security"] = HSTS
        headers.extend((k, v.encode()) for k, v in wanted.items() if k not in present)

    return add_headers
