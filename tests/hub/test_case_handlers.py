"""Who handles a grievance the department cannot judge on its own, and who hears that a case is
overdue: a grievance about a supervisor, or about a clerk of a department without one, goes to the
oversight office (the auditors); nobody ever handles or hears of a case about themselves."""

from __future__ import annotations

import datetime as dt
import importlib

from piccolo.table import Table

from hub.accounts import Principal
from hub.db.tables import Account, FeedbackCase
from hub.feedback import escalation_recipients
from hub.feedback.cases import decides_appeals, goes_to_oversight, has_supervisor, in_department, may_read

AT = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
STAFF = [
    ("street.clerk", "clerk", "street-office"),
    ("street.boss", "supervisor", "street-office"),
    ("street.deputy", "supervisor", "street-office"),
    ("civil.clerk", "clerk", "civil-affairs"),
    ("civil.boss", "supervisor", "civil-affairs"),
    ("hr.clerk", "clerk", "human-resources"),
    ("hr.clerk2", "clerk", "human-resources"),
    ("auditor.one", "auditor", None),
    ("auditor.two", "auditor", None),
]


async def _staff() -> dict[str, dict]:
    for username, role, department in STAFF:
        await Account.insert(
            Account(
                username=username, full_name="x", role=role, department=department, password_hash="x", created_at=AT
            )
        )
    rows = await Account.select(Account.id, Account.username, Account.role, Account.department)
    return {r["username"]: r for r in rows}


def _principal(account: dict) -> Principal:
    return Principal(
        id=account["id"],
        username=account["username"],
        full_name="x",
        role=account["role"],
        department=account["department"],
        locale="en",
    )


async def _case(ref: str, department: str, named: dict | None, oversight: bool) -> dict:
    await FeedbackCase.insert(
        FeedbackCase(
            ref=ref,
            kind="grievance",
            department=department,
            opened_at=AT,
            working_days=5,
            due_at=AT + dt.timedelta(days=7),
            subject="clerk" if named else "service",
            clerk=named["id"] if named else None,
            sensitive=named is not None,
            oversight=oversight,
        )
    )
    return await FeedbackCase.select().where(FeedbackCase.ref == ref).first()


async def test_a_grievance_about_a_supervisor_or_an_unsupervised_clerk_goes_to_oversight(database):
    staff = await _staff()
    assert await goes_to_oversight(staff["street.boss"]) is True  # even with another supervisor there
    assert await goes_to_oversight(staff["street.clerk"]) is False
    assert await goes_to_oversight(staff["civil.clerk"]) is False
    assert await goes_to_oversight(staff["hr.clerk"]) is True  # human resources has no supervisor


async def test_the_oversight_office_handles_its_cases_and_never_one_about_itself(database):
    staff = await _staff()
    people = {name: _principal(account) for name, account in staff.items()}
    about_boss = await _case("GR-1", "street-office", staff["street.boss"], oversight=True)
    handlers = {name for name, p in people.items() if in_department(p, about_boss)}
    assert handlers == {"auditor.one", "auditor.two"}
    assert {name for name, p in people.items() if decides_appeals(p, about_boss)} == {"auditor.one", "auditor.two"}

    about_auditor = await _case("GR-2", "", staff["auditor.one"], oversight=True)
    assert {name for name, p in people.items() if in_department(p, about_auditor)} == {"auditor.two"}

    # A department's own case stays the department's: the auditors neither see nor decide it.
    about_clerk = await _case("GR-3", "street-office", staff["street.clerk"], oversight=False)
    assert {name for name, p in people.items() if in_department(p, about_clerk)} == {"street.boss", "street.deputy"}
    assert {name for name, p in people.items() if decides_appeals(p, about_clerk)} == {"street.boss", "street.deputy"}
    about_service = await _case("GR-4", "street-office", None, oversight=False)
    assert {name for name, p in people.items() if in_department(p, about_service)} == {
        "street.clerk",
        "street.boss",
        "street.deputy",
    }


async def test_an_overdue_case_reaches_someone_and_never_the_person_it_names(database):
    staff = await _staff()
    ids = {name: account["id"] for name, account in staff.items()}
    await _case("GR-1", "street-office", staff["street.clerk"], oversight=False)
    assert sorted(await escalation_recipients("GR-1")) == sorted([ids["street.boss"], ids["street.deputy"]])
    await _case("GR-2", "street-office", staff["street.boss"], oversight=True)
    assert sorted(await escalation_recipients("GR-2")) == sorted([ids["auditor.one"], ids["auditor.two"]])
    # A case about a department's service where it has no supervisor: its clerks, who can answer it.
    await _case("GR-3", "human-resources", None, oversight=False)
    assert sorted(await escalation_recipients("GR-3")) == sorted([ids["hr.clerk"], ids["hr.clerk2"]])
    # Only those who may open the case hear of it: a department's case about its only supervisor,
    # left from before such cases went to the oversight office, reaches nobody (the migration
    # moved every such case to the oversight office).
    await _case("GR-4", "civil-affairs", staff["civil.boss"], oversight=False)
    assert await escalation_recipients("GR-4") == []
    assert await escalation_recipients("GR-unknown") == []


async def test_grievances_filed_before_the_rule_move_to_the_oversight_office(database):
    """The migration that brought the rule gives the office the grievances filed before it that
    nobody could handle: about a supervisor, or about a clerk of a department without one."""
    migration = importlib.import_module("hub.db.migrations.qinqing_2026_12_05t18_10_00_000000")
    staff = await _staff()
    await _case("GR-1", "street-office", staff["street.boss"], oversight=False)
    await _case("GR-2", "human-resources", staff["hr.clerk"], oversight=False)
    await _case("GR-3", "street-office", staff["street.clerk"], oversight=False)
    await _case("GR-4", "human-resources", None, oversight=False)  # about a service: the department's
    await Table.raw(migration.TO_OVERSIGHT)
    moved = await FeedbackCase.select(FeedbackCase.ref).where(FeedbackCase.oversight == True)  # noqa: E712
    assert sorted(r["ref"] for r in moved) == ["GR-1", "GR-2"]


async def test_the_oversight_office_decides_the_appeals_of_a_department_without_a_supervisor(database):
    staff = await _staff()
    people = {name: _principal(account) for name, account in staff.items()}
    await _case("GR-1", "human-resources", None, oversight=False)
    await FeedbackCase.update({FeedbackCase.appeal_state: "pending", FeedbackCase.appeal_oversight: True}).where(
        FeedbackCase.ref == "GR-1"
    )
    case = await FeedbackCase.select().where(FeedbackCase.ref == "GR-1").first()
    assert {name for name, p in people.items() if decides_appeals(p, case)} == {"auditor.one", "auditor.two"}
    # The auditors read it to decide; the department still handles the case itself.
    assert {name for name, p in people.items() if may_read(p, case)} == {
        "hr.clerk",
        "hr.clerk2",
        "auditor.one",
        "auditor.two",
    }
    assert {name for name, p in people.items() if in_department(p, case)} == {"hr.clerk", "hr.clerk2"}


async def test_appeals_waiting_before_the_rule_go_to_the_oversight_office(database):
    migration = importlib.import_module("hub.db.migrations.qinqing_2026_12_05t18_10_00_000000")
    await _staff()
    for ref, department in (("GR-1", "human-resources"), ("GR-2", "street-office")):
        await _case(ref, department, None, oversight=False)
        await FeedbackCase.update({FeedbackCase.appeal_state: "pending"}).where(FeedbackCase.ref == ref)
    await _case("GR-3", "human-resources", None, oversight=False)  # not appealed
    await Table.raw(migration.APPEALS_TO_OVERSIGHT)
    moved = await FeedbackCase.select(FeedbackCase.ref).where(FeedbackCase.appeal_oversight == True)  # noqa: E712
    assert [r["ref"] for r in moved] == ["GR-1"]


async def test_appeals_nobody_may_decide_go_to_the_oversight_office(database):
    """Waiting appeals whose department's only supervisor appealed, or gave the answer appealed:
    the migration gives them to the oversight office; one another supervisor may decide stays."""
    migration = importlib.import_module("hub.db.migrations.qinqing_2026_12_05t21_30_00_000000")
    staff = await _staff()
    await _case("GR-1", "civil-affairs", staff["civil.clerk"], oversight=False)  # answered by its only supervisor
    await _case("GR-2", "street-office", staff["street.clerk"], oversight=False)  # another supervisor is there
    await _case("GR-3", "civil-affairs", None, oversight=False)  # answered by a clerk
    for ref in ("GR-1", "GR-2"):
        boss = staff["civil.boss" if ref == "GR-1" else "street.boss"]
        await FeedbackCase.update({FeedbackCase.appeal_state: "pending", FeedbackCase.answered_by: boss["id"]}).where(
            FeedbackCase.ref == ref
        )
    await FeedbackCase.update(
        {FeedbackCase.appeal_state: "pending", FeedbackCase.answered_by: staff["civil.clerk"]["id"]}
    ).where(FeedbackCase.ref == "GR-3")
    await Table.raw(migration.APPEALS_NOBODY_MAY_DECIDE)
    moved = await FeedbackCase.select(FeedbackCase.ref).where(FeedbackCase.appeal_oversight == True)  # noqa: E712
    assert [r["ref"] for r in moved] == ["GR-1"]
    assert await has_supervisor("civil-affairs") is True
    assert await has_supervisor("civil-affairs", besides=(staff["civil.boss"]["id"], None)) is False
    assert await has_supervisor("street-office", besides=(staff["street.boss"]["id"],)) is True
