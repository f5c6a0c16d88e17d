"""What the government already holds about an applicant: their profile and, for enterprises, the
registry record. Used to prefill forms and to evaluate rules; each registry read is audited with
its purpose."""

from __future__ import annotations

from typing import Any

from hub.accounts import name_of
from hub.audit import record
from hub.db.records import load_json
from hub.db.tables import Account, Enterprise
from hub.sealing import unseal

ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "legal_representative",
    "industry",
    "district",
    "founded_on",
    "registered_capital",
    "employees",
    "insured_employees",
    "tax_credit_rating",
    "status",
)


def profile_of(account: Account) -> dict[str, Any]:
    return {"full_name": name_of(account), "resident_id": unseal(account.resident_id, "account.resident_id")}


async def enterprise_of(account: Account, purpose: str) -> dict[str, Any] | None:
    """The registry record of the enterprise an account acts for (None for citizens)."""
    if not account.enterprise:
        return None
    row = await Enterprise.objects().where(Enterprise.id == account.enterprise).first()
    if row is None:
        return None
    await record(None, None, "registry.read", "enterprise", row.uscc, purpose=purpose, account=account.id)
    data = {name: getattr(row, name) for name in ENTERPRISE_FIELDS}
    data["labels"] = load_json(row.labels)
    data["legal_representative"] = unseal(row.legal_representative, "enterprise.legal_representative")
    return data


async def applicant_data(account_id: int, purpose: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    account = await Account.objects().where(Account.id == account_id).first()
    return profile_of(account), await enterprise_of(account, purpose)
