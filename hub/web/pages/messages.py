"""Messages as pages: a person's message centre (and the header's unread count), the account's
choices of channels and language, and for operators the delivery per channel with a resend of
failed messages, and what the embedded default's local mail server and SMS gateway received."""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Redirect

from hub.errors import HubError
from hub.i18n import N_, SUPPORTED, gettext
from hub.notifications import inbox
from hub.notifications.inbox import PreferencesUpdate
from hub.web.actors import actor_of
from hub.web.context import HubContext
from hub.web.pages.common import require
from hub.web.pages.render import render_page
from hub.web.pages.session import page_locale
from hub.web.problems import field_message
from hub.web.routes import get, post

CHANNEL_LABELS = {"hub": N_("In the hub"), "email": N_("Email"), "sms": N_("SMS")}
STATE_LABELS = {
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
LANGUAGE_LABELS = {"zh_CN": "中文", "en": "English"}
SAVED = N_("Your choices for messages are saved.")


@get("/messages", name="messages")
async def messages_page(request: Request) -> Response:
    require(request)
    box = await inbox.message_box(actor_of(request))
    return render_page(request, "messages.html", box=box)


@get("/messages/unread", name="messages-unread")
async def unread_fragment(request: Request) -> Response:
    """The header's link with the unread count (loaded into the layout by htmx)."""
    require(request)
    count = await inbox.unread_count(actor_of(request))
    return render_page(request, "_unread.html", count=count)


@post("/messages/{message_id:int}/read", name="message-read")
async def read_one(request: Request, message_id: int) -> Response:
    require(request)
    await inbox.mark_read(actor_of(request), message_id)
    return Redirect(path=f"/messages#message-{message_id}", status_code=303)


@post("/messages/read", name="messages-read")
async def read_all(request: Request) -> Response:
    require(request)
    await inbox.mark_read(actor_of(request))
    return Redirect(path="/messages", status_code=303)


async def account_page(
    request: Request, message: str = "", errors: dict[str, str] | None = None, entered: dict | None = None
) -> Response:
    """The account page's settings for messages (hub/web/pages/account.py routes it)."""
    require(request)
    prefs = await inbox.preferences(actor_of(request))
    return render_page(
        request,
        "account.html",
        status=422 if errors else 200,
        prefs=prefs,
        languages=[(code, LANGUAGE_LABELS[code]) for code in SUPPORTED],
        message=message,
        errors=errors or {},
        # What was typed into a refused form, shown again (never what is on file: that stays masked).
        entered=entered or {},
    )


async def save_choices(request: Request) -> Response:
    require(request)
    form = await request.form()
    change = PreferencesUpdate(
        channels=[str(c) for c in form.getall("channels", [])],
        locale=str(form.get("locale", "")),
        # A blank box keeps the address on file; "remove" takes it away.
        email=("" if form.get("remove_email") else (str(form.get("email", "")).strip() or None)),
        phone=("" if form.get("remove_phone") else (str(form.get("phone", "")).strip() or None)),
    )
    try:
        await inbox.save_preferences(actor_of(request), change)
    except HubError as exc:
        locale = page_locale(request)
        entered = {
            "phone": str(form.get("phone", "")).strip(),
            "email": str(form.get("email", "")).strip(),
            "channels": change.channels,
            "locale": change.locale,
        }
        return await account_page(
            request, errors={e.field: field_message(locale, e) for e in exc.errors}, entered=entered
        )
    return await account_page(request, message=gettext(page_locale(request), SAVED))


@get("/admin/messages", name="admin-messages")
async def delivery_page(request: Request, ctx: HubContext) -> Response:
    require(request, "admin", "auditor")
    report = await inbox.delivery_report(actor_of(request))
    mail, sms = await inbox.local_copies(actor_of(request), ctx.settings)
    return render_page(
        request,
        "admin_messages.html",
        report=report,
        mail=mail,
        sms=sms,
        channel_labels=CHANNEL_LABELS,
        state_labels=STATE_LABELS,
    )


@post("/admin/messages/{message_id:int}/resend", name="admin-message-resend")
async def resend(request: Request, ctx: HubContext, message_id: int) -> Response:
    require(request, "admin")
    await inbox.resend(actor_of(request), ctx.temporal, message_id)
    return Redirect(path="/admin/messages", status_code=303)


MESSAGES = [messages_page, unread_fragment, read_one, read_all, delivery_page, resend]
