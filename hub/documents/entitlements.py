"""What a decision notice says of the benefit it grants: the entitlement the approval became (its
amount per month or once, the band, from which month, how, into which account and on which day it
is paid, or that its payment is suspended and why), and the applicant's rights to challenge it.

The entitlement is read from the register's row (``request:<request id>``), written before the
decision is issued. Its facts are kept twice: language-neutral in the signed facts (what the
verification shows), and in the reader's language for the PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_skeleton

from forms.spec import ServiceSpec
from hub.benefits import PAYMENT_METHODS, RIGHTS
from hub.db.records import first
from hub.db.tables import Entitlement
from hub.documents.render import BenefitLines
from hub.i18n import N_, format_money, gettext, supported
from hub.privacy import mask
from hub.sealing import unseal

# The rights the notice states (RIGHTS), as signed: reconsideration within 60 days of receiving the
# decision, or an administrative lawsuit within 6 months.
SIGNED_RIGHTS = {"reconsideration_days": 60, "lawsuit_months": 6}
# Why an entitlement is suspended when it is granted, as the applicant reads it.
SUSPENDED_BECAUSE = {
    "no-registry-record": N_("the population registry holds no readable record of the beneficiary"),
    "formula-failed": N_("the amount could not be calculated from the records held"),
    "absurd-amount": N_("the amount could not be calculated from the records held"),
}
OTHERWISE_SUSPENDED = N_("the records must be checked first")


@dataclass(frozen=True)
class GrantedEntitlement:
    """The entitlement an approved request became, as the register holds it."""

    kind: str  # monthly | one_off
    state: str  # active | suspended | ended
    reason: str
    amount_cents: int
    band: str
    start_period: str  # YYYY-MM
    payment_method: str
    payee_account: str  # in full: masked wherever it is shown
    payment_day: int

    @property
    def suspended(self) -> bool:
        return self.state == "suspended"

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_cents) / 100


async def granted_entitlement(request_id: int) -> GrantedEntitlement | None:
    """The entitlement granted for the request, if its approval became one."""
    row = await first(
        Entitlement,
        "SELECT kind, state, reason, amount_cents, band, start_period, payment_method, payee_account, payment_day "
        "FROM entitlement WHERE key = {}",
        f"request:{request_id}",
    )
    if row is None:
        return None
    return GrantedEntitlement(
        kind=row["kind"],
        state=row["state"],
        reason=row["reason"] or "",
        amount_cents=int(row["amount_cents"] or 0),
        band=row["band"] or "",
        start_period=row["start_period"],
        payment_method=row["payment_method"] or "bank",
        payee_account=(unseal(row["payee_account"], "entitlement.payee_account") or "") if row["payee_account"] else "",
        payment_day=int(row["payment_day"] or 10),
    )


def signed_benefit(granted: GrantedEntitlement) -> dict[str, Any]:
    """The benefit's facts as signed and recorded with the document (language-neutral)."""
    return {
        "kind": granted.kind,
        "state": granted.state,
        "reason": granted.reason,
        "amount": None if granted.suspended else f"{granted.amount:.2f}",
        "band": "" if granted.suspended else granted.band,
        "start_period": granted.start_period,
        "payment_method": granted.payment_method,
        "payee_account": mask(granted.payee_account, "bank_account") if granted.payee_account else "",
        "payment_day": granted.payment_day,
    }


def month(period: str, locale: str) -> str:
    """A period (YYYY-MM) as the locale writes a month: 2026年12月, December 2026."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", period):
        return period
    year, number = period.split("-")
    return format_skeleton("yMMMM", dt.date(int(year), int(number), 1), locale=supported(locale))


def benefit_lines(stated: Mapping[str, Any], spec: ServiceSpec | None, locale: str) -> BenefitLines:
    """What a notice prints of the benefit its signed facts state (``signed_benefit``), in ``locale``:
    the PDF and the verification read the same facts."""
    once = stated.get("kind") == "one_off"
    suspended = stated.get("state") == "suspended" or stated.get("amount") is None
    chosen = str(stated.get("payment_method") or "")
    method = PAYMENT_METHODS.get(chosen, "")
    benefit = spec.benefit if spec is not None else None
    field = benefit.payment_method_field if benefit is not None else None
    if spec is not None and field and field in spec.field_names:
        # The words the applicant chose from on the form.
        options = {o.value: o.label for o in spec.field(field).options}
        method = options.get(chosen, method)
    because = ""
    if suspended:
        reason = gettext(locale, SUSPENDED_BECAUSE.get(str(stated.get("reason") or ""), OTHERWISE_SUSPENDED))
        because = gettext(
            locale,
            N_(
                "The benefit is granted, but its payment is suspended: {reason}. The department will check "
                "the records and notify you of the amount before any payment is made."
            ),
            reason=reason,
        )
    amount = ""
    if not suspended:
        money = format_money(Decimal(str(stated["amount"])), locale)
        amount = gettext(locale, N_("{amount}, paid once") if once else N_("{amount} per month"), amount=money)
    return BenefitLines(
        amount=amount,
        band="" if suspended else str(stated.get("band") or "").replace("-", "–"),
        start_label=gettext(locale, N_("Month of payment") if once else N_("Paid from")),
        start=month(str(stated.get("start_period") or ""), locale),
        payment=gettext(locale, method) if method else chosen,
        account=str(stated.get("payee_account") or ""),
        payment_day=gettext(
            locale,
            N_("Day {day} of that month") if once else N_("Day {day} of each month"),
            day=stated.get("payment_day"),
        ),
        suspended=because,
    )


def rights(locale: str) -> str:
    """Where and within how long the decision can be challenged, in ``locale``."""
    return gettext(locale, RIGHTS)
