"""Security headers on every response, added in one place as the app sends it.

A header a handler set itself is left alone (a page may need its own policy). HTML gets a strict
Content-Security-Policy: only this origin, no inline script, no framing. The API documentation
pages (``/schema``) load their viewer from this origin too, with a policy of their own (inline styles).
HSTS is sent only when the hub's public address is https (behind TLS). The API's answers are not
to be stored (``Cache-Control: no-store``) unless their handler says otherwise; pages say so
themselves.
"""

from __future__ import annotations

from litestar.types import Message, Scope

# Inline styles are allowed (the verification page carries its own); inline script never is.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The API documentation (Swagger UI, ``hub.web.docs``) comes from the hub's own static files and
# starts from a static script: nothing from another origin, no inline script. Swagger UI sets inline
# styles and draws its icons as data: images.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
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
        if scope.get("path", "").startswith("/api/"):
            # An answer of the API may carry personal data (a request, an inbox): no browser or proxy
            # keeps it unless its handler says it may (the public catalog's own Cache-Control).
            wanted[b"cache-control"] = "no-store"
        headers.extend((k, v.encode()) for k, v in wanted.items() if k not in present)

    return add_headers
