"""The public page where anyone types a document's verification code and is taken to its result.

The result itself is ``GET /verify/{code}`` (``hub.web.api.documents``, HTML or JSON); this page is
the way there for a person holding a paper copy. A code that names no document is told next to the
field, in the visitor's language: a typo is not an error page.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect

from hub.db.tables import Document
from hub.i18n import N_, gettext
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale

MAX_CODE = 32  # what ``/verify/{code}`` reads of a code


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
