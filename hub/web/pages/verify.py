"""The public page where anyone types a document's verification code and is taken to its result.

The result itself is ``GET /verify/{code}`` (``hub.web.api.documents``, HTML or JSON); this page is
the way there for a person holding a paper copy. A code that names no document is told next to the
field, in the visitor's language: a typo is not an error page. Looking up codes and checking pasted
credentials count against the same per-address limit as ``POST /api/credentials/verify`` and
``GET /verify/{code}``: the page is not a way around it (guessing codes, or checking credentials in
bulk). A code found here counts twice (here, and at the result it leads to).
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from hub.credentials.verifying import admit_check
from hub.db.tables import Document
from hub.errors import HubError
from hub.i18n import N_, gettext
from hub.web.actors import actor_of
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.routes import get, post

MAX_CODE = 32  # what ``/verify/{code}`` reads of a code


async def over_the_limit(request: Request, locale: str) -> tuple[str, int]:
    """Count one check from the visitor's address: ("", 0) while under the limit, else the message
    for the field and the seconds until the next check is taken."""
    try:
        await admit_check(actor_of(request).address)
    except HubError as limited:
        if limited.code != "rate-limited":
            raise
        return gettext(locale, limited.detail).format(**limited.params), limited.retry_after or 60
    return "", 0


def refused(page: Response, wait: int) -> Response:
    page.headers["Retry-After"] = str(wait)
    return page


def clean_code(given: str) -> str:
    """A code as people copy it off paper: any case, with spaces or dashes between its groups."""
    return "".join(ch for ch in given if ch not in " \t-\u3000").upper()


@get(["/verify", "/verify/"], name="verify-form")
async def verify_form(request: Request) -> Response:
    locale = page_locale(request)
    given = request.query_params.get("code")
    error = ""
    if given is not None:
        code = clean_code(given)
        if not code:
            error = gettext(locale, N_("Enter the verification code printed on the document."))
        elif len(code) > MAX_CODE or not code.isascii() or not code.isalnum():
            error = gettext(locale, N_("A verification code has only letters and digits. Check what you typed."))
        else:
            error, wait = await over_the_limit(request, locale)
            if error:
                return refused(render_page(request, "verify_form.html", status=429, code=given, error=error), wait)
            row = await Document.objects().where(Document.verification_code == code).first()
            if row is not None and row.is_issued():
                return Redirect(path=f"/verify/{code}", status_code=303)
            error = gettext(locale, N_("No document has this code. Check the code, or ask the issuing department."))
    return render_page(request, "verify_form.html", code=given or "", error=error)


@post(["/verify", "/verify/"], name="verify-credential")
async def verify_credential(request: Request) -> Response:
    """A pasted credential (JWT or SD-JWT) or shared link, checked: signature, validity, status."""
    from forms.credentials import CLAIM_LABELS
    from hub.credentials.context import context
    from hub.credentials.verifying import verify_text
    from hub.credentials.wallet import claim_value
    from hub.web.pages.session import current_user
    from hub.web.pages.wallet import STATUSES

    locale = page_locale(request)
    form = await request.form()
    given = str(form.get("credential") or "").strip()
    if not given:
        error = gettext(locale, N_("Paste the credential or the link you were given."))
        return render_page(request, "verify_form.html", code="", error="", credential_error=error, status=400)
    error, wait = await over_the_limit(request, locale)
    if error:
        page = render_page(request, "verify_form.html", status=429, code="", error="", credential_error=error)
        return refused(page, wait)
    checked = await verify_text(given, current_user(request))
    kind = context().catalog.credentials.get(checked.type)
    return render_page(
        request,
        "verify_credential.html",
        v=checked,
        title=gettext(locale, kind.title) if kind else "",
        issuer=gettext(locale, checked.issuer) if checked.issuer else "",
        claims=[
            (gettext(locale, CLAIM_LABELS.get(name, name)), claim_value(value, locale))
            for name, value in checked.claims.items()
            if not name.startswith("_")
        ],
        statuses=STATUSES,
    )


VERIFY = [verify_form, verify_credential]
