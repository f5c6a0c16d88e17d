"""The governance report's payments of a month, a quarter and a year withheld together: a month's
withheld count or amount of a benefit cannot be recomputed from its quarter's report and the other
months'. In process, against a real SQLite database; what each report publishes is checked with
the same linear program as the open data's tables."""

from __future__ import annotations

import datetime as dt

from forms.catalog import load_catalog
from hub.db.tables import BenefitPayment, Entitlement
from hub.governance.figures import paid_in
from hub.governance.periods import period_of
from hub.i18n import gettext
from hub.open_data.suppression import TOTAL, PublishedTable
from tests.hub.test_open_data import YEAR_PARTS, linked_intervals
from workflows.governance.types import ReportPeriod

AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
# Benefit payments per month of 2025: the old-age allowance paid 2 people in March, 6 in the
# other months; the maternity allowance 7 people in every month.
PAID = {
    "elderly-care-allowance": {m: 2 if m == 3 else 6 for m in range(1, 13)},
    "maternity-allowance": {m: 7 for m in range(1, 13)},
}


async def seed() -> None:
    for service_id, months in PAID.items():
        for person in range(max(months.values())):
            (row,) = await Entitlement.insert(
                Entitlement(
                    key=f"{service_id}:{person}",
                    service_id=service_id,
                    service_version=1,
                    holder_key=f"{service_id}:{person}",
                    resident_id="sealed",
                    full_name="sealed",
                    kind="monthly",
                    amount_formula="100",
                    maximum_cents=100_000,
                    amount_cents=10_000 + person,
                    start_period="2025-01",
                    state="active",
                    created_at=AT,
                    updated_at=AT,
                )
            ).returning(Entitlement.id)
            for month, count in months.items():
                if person < count:
                    await BenefitPayment.insert(
                        BenefitPayment(
                            key=f"{row['id']}:2025-{month:02d}",
                            entitlement=row["id"],
                            service_id=service_id,
                            period=f"2025-{month:02d}",
                            amount_cents=10_000 + person,
                            state="paid",
                        )
                    )


async def test_a_months_withheld_payments_cannot_be_recomputed_from_its_quarter(database):
    await seed()
    catalog = load_catalog()
    periods = {"year": ReportPeriod(kind="year", year=2025, number=0)}
    periods |= {f"Q{q}": ReportPeriod(kind="quarter", year=2025, number=q) for q in range(1, 5)}
    periods |= {f"M{m:02d}": ReportPeriod(kind="month", year=2025, number=m) for m in range(1, 13)}
    counts, cents = {}, {}
    for key, given in periods.items():
        paid, totals = await paid_in(period_of(given), catalog, "en")
        benefits = {p.title: p for p in paid if p.kind == "benefit"}
        # What the report publishes: each benefit's payments and amount, and the amount in all.
        counts[key] = one_column({t: p.payments for t, p in benefits.items()}, None)
        cents[key] = one_column({t: p.cents for t, p in benefits.items()}, totals.benefits_cents)
    # The report in Chinese withholds what the English one does (its titles sort otherwise).
    for key, given in periods.items():
        en, _ = await paid_in(period_of(given), catalog, "en")
        zh, _ = await paid_in(period_of(given), catalog, "zh_CN")
        shown = [sorted((p.payments or -1, p.cents or -1) for p in paid) for paid in (en, zh)]
        assert shown[0] == shown[1], key
    elderly = gettext("en", catalog.latest("elderly-care-allowance").title)
    assert counts["M03"].get(elderly, "payments") is None  # two payments: withheld
    assert cents["M03"].get(elderly, "payments") is None
    assert counts["M02"].get(elderly, "payments") == 6
    # Withheld one report at a time, the first quarter's 14 payments less January's and February's
    # would give March's away; together, no withheld figure of any report can be recomputed.
    for published in (counts, cents):
        for (key, cell), (low, high) in linked_intervals(published, YEAR_PARTS).items():
            if published is counts and cell[0] == TOTAL:
                continue  # the number of payments in all is not published, nor withheld: the rows add up
            assert high - low > 0.5, f"{key} {cell} is given away by the other reports: it can only be {low}"


def one_column(values: dict[str, int | None], total: int | None) -> PublishedTable:
    rows = tuple(sorted(values))
    cells: dict[tuple[str, str], int | None] = {}
    for title in rows:
        cells[(title, "payments")] = cells[(title, TOTAL)] = values[title]
    cells[(TOTAL, "payments")] = cells[(TOTAL, TOTAL)] = total
    return PublishedTable(rows, ("payments",), cells)


def test_a_feedback_line_of_a_month_cannot_be_recomputed_from_its_quarter():
    from hub.governance.figures import GRIEVANCE_COLUMNS, _linked_line
    from hub.service_levels import MONTHS, SPAN_PARTS

    # Grievances upheld: two in March, six in every other month; not upheld: nine a month.
    months = {("month", m): {"upheld": 2 if m == 3 else 6, "not_upheld": 9} for _, m in MONTHS}

    def report(span) -> str:  # the key the linear program's helper names a period by
        kind, number = span
        return "year" if kind == "year" else f"Q{number}" if kind == "quarter" else f"M{number:02d}"

    published = {report(span): _linked_line(months, GRIEVANCE_COLUMNS, span) for span in (*MONTHS, *SPAN_PARTS)}
    assert published["M03"].get("all", "upheld") is None
    for (key, cell), (low, high) in linked_intervals(published, YEAR_PARTS).items():
        assert high - low > 0.5, f"{key} {cell} is given away by the other reports: it can only be {low}"
