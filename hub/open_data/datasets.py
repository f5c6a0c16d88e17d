"""The published aggregates as datasets researchers download: rows of named columns, the same in
CSV and JSON, each column described in the data dictionary (meaning, unit, how it is computed).

Every dataset here is made from what the open-data page already publishes, after its small counts
are withheld (``hub.service_levels`` and ``hub.open_data.suppression``): a download never says more
than the page. A withheld figure is an empty CSV field and a JSON null.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Literal, get_args

import msgspec

from hub.db.tables import Program
from hub.i18n import N_, gettext
from hub.open_data.suppression import TOTAL
from hub.service_levels import (
    MIN_PUBLISHED,
    OUTCOMES,
    count_outcomes,
    current_services,
    period,
    service_levels_read,
)
from hub.subsidies import parse_spec

if TYPE_CHECKING:
    from hub.context import HubContext

DatasetName = Literal["service-levels", "outcomes", "programs"]
DATASETS: tuple[DatasetName, ...] = get_args(DatasetName)
Value = str | int | float | None


@dataclass(frozen=True)
class Column:
    """One column of a dataset, as the data dictionary describes it."""

    name: str
    meaning: str  # message ids, translated when read
    unit: str
    computed: str


COUNT = N_("requests")
PERCENT = N_("percent (0 to 100, one decimal)")
DAYS = N_("calendar days (one decimal)")
CNY = N_("yuan (CNY, two decimals)")
TEXT = N_("text")
WITHHELD = N_(
    "Empty (null in JSON) where withheld: fewer than {n} requests, or a figure that would let a withheld one be "
    "recomputed from the totals or from the same figures of the year's other periods."
)

SERVICE = Column("service_id", N_("The service's identifier in the catalog."), TEXT, N_("As in /api/services."))
TITLE = Column("title", N_("The service's title, in the language asked for."), TEXT, N_("From the catalog."))

COLUMNS: dict[DatasetName, tuple[Column, ...]] = {
    "service-levels": (
        SERVICE,
        TITLE,
        Column("department", N_("The department that owns the service."), TEXT, N_("From the catalog.")),
        Column(
            "filed",
            N_("Requests filed in the period."),
            COUNT,
            N_("Requests created in the period (Beijing time), except those only prepared and not submitted."),
        ),
        Column(
            "decided",
            N_("Of those, requests approved or rejected."),
            COUNT,
            N_("Requests filed in the period whose state is approved or rejected."),
        ),
        Column(
            "approved_percent",
            N_("The share of decided requests that were approved."),
            PERCENT,
            N_("approved / decided x 100."),
        ),
        Column(
            "on_time_percent",
            N_("The share of decided requests decided within the service's time limit."),
            PERCENT,
            N_("Decided requests never marked overdue / decided x 100; time limits count working days."),
        ),
        Column(
            "median_days",
            N_("The median time from filing to decision."),
            DAYS,
            N_("The median of (decided at - filed at) over decided requests, in days of 24 hours."),
        ),
        Column(
            "ratings",
            N_("Ratings given by applicants to requests filed in the period."),
            N_("ratings"),
            N_("One rating per decided request at most."),
        ),
        Column(
            "average_rating",
            N_("The average rating."),
            N_("score from 1 to 5 (two decimals)"),
            N_("The mean of the scores; withheld under {n} ratings."),
        ),
    ),
    "outcomes": (
        Column(
            "service_id",
            N_('The service\'s identifier in the catalog; "total" for the row of all services.'),
            TEXT,
            N_("As in /api/services."),
        ),
        TITLE,
        *(
            Column(name, meaning, COUNT, N_("Requests filed in the period and now in this state."))
            for name, meaning in zip(
                OUTCOMES,
                (
                    N_("Requests approved."),
                    N_("Requests rejected."),
                    N_("Requests withdrawn by the applicant."),
                    N_("Approvals revoked after a commitment was found untrue."),
                    N_("Requests not decided yet (under review, or waiting for the applicant)."),
                ),
                strict=True,
            )
        ),
        Column(
            "total",
            N_("All requests filed in the period."),
            COUNT,
            N_("The sum of the row's outcomes (for the total row: of every service)."),
        ),
    ),
    "programs": (
        Column("code", N_("The program's code."), TEXT, N_("As in /api/open/programs.")),
        Column("title", N_("The program's title, in the language asked for."), TEXT, N_("From the program.")),
        Column("status", N_("published (open to claims) or closed."), TEXT, N_("The program's status now.")),
        Column("budget", N_("The program's budget."), CNY, N_("As published.")),
        Column("reserved", N_("Held for claims under way."), CNY, N_("Reservations not yet paid or released.")),
        Column("paid", N_("Paid out to enterprises."), CNY, N_("Payments made from the program's account.")),
        Column("remaining", N_("What is left to claim."), CNY, N_("budget - reserved - paid.")),
        Column(
            "eligible_enterprises",
            N_("Enterprises the last matching run found eligible."),
            N_("enterprises"),
            N_("Of the enterprises in the registry when the matching ran."),
        ),
    ),
}

TITLES: dict[DatasetName, str] = {
    "service-levels": N_("How each service performed"),
    "outcomes": N_("Requests by service and outcome, with totals"),
    "programs": N_("Subsidy programs and their budgets"),
}
# Datasets made for a period (the others are as they stand now).
BY_PERIOD = frozenset({"service-levels", "outcomes"})


class ColumnRead(msgspec.Struct):
    name: str
    meaning: str
    unit: str
    computed: str
    withheld: str


class DatasetDictionaryRead(msgspec.Struct):
    dataset: str
    title: str
    by_period: bool
    csv: str
    json: str
    columns: list[ColumnRead]


class DataDictionaryRead(msgspec.Struct):
    min_published: int
    datasets: list[DatasetDictionaryRead]


@cache
def data_dictionary(locale: str) -> DataDictionaryRead:
    """Every dataset and every one of its columns: meaning, unit, how it is computed, when withheld
    (made once per language: the open-data page shows it on every visit)."""
    counted = {"filed", "decided", "approved_percent", "on_time_percent", "median_days", *OUTCOMES, "total"}

    def column(dataset: DatasetName, c: Column) -> ColumnRead:
        withheld = dataset != "programs" and (c.name in counted or c.name in ("ratings", "average_rating"))
        return ColumnRead(
            name=c.name,
            meaning=gettext(locale, c.meaning),
            unit=gettext(locale, c.unit),
            computed=gettext(locale, c.computed, n=MIN_PUBLISHED),
            withheld=gettext(locale, WITHHELD, n=MIN_PUBLISHED) if withheld else "",
        )

    return DataDictionaryRead(
        min_published=MIN_PUBLISHED,
        datasets=[
            DatasetDictionaryRead(
                dataset=name,
                title=gettext(locale, TITLES[name]),
                by_period=name in BY_PERIOD,
                csv=f"/api/open/datasets/{name}.csv",
                json=f"/api/open/datasets/{name}.json",
                columns=[column(name, c) for c in COLUMNS[name]],
            )
            for name in DATASETS
        ],
    )


def _money(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


async def dataset_rows(
    ctx: HubContext, locale: str, name: DatasetName, year: int, month: int | None
) -> list[dict[str, Value]]:
    """The dataset's rows, each a dict of its columns in the dictionary's order."""
    names = [c.name for c in COLUMNS[name]]
    rows: list[dict[str, Value]] = []
    if name == "service-levels":
        report = await service_levels_read(ctx, locale, year, month)
        for s in report.services:
            values = msgspec.structs.asdict(s)
            rows.append({n: values[n] for n in names})
    elif name == "outcomes":
        report = await service_levels_read(ctx, locale, year, month)
        titles = {s.service_id: s.title for s in report.services}
        # Counted under the same key as the report: the year is counted once for both.
        table = await count_outcomes(*period(year, month), current_services(ctx.catalog))
        for service_id in (*table.rows, TOTAL):
            row: dict[str, Value] = {
                "service_id": service_id,
                "title": titles.get(service_id, service_id)
                if service_id != TOTAL
                else gettext(locale, N_("All services")),
            }
            row.update({c: table.get(service_id, c) for c in (*OUTCOMES, TOTAL)})
            rows.append(row)
    else:
        for p in await Program.objects().order_by(Program.code):
            rows.append(
                {
                    "code": p.code,
                    "title": parse_spec(p.spec).title.in_locale(locale),
                    "status": p.status,
                    "budget": _money(p.budget_cents),
                    "reserved": _money(p.reserved_cents),
                    "paid": _money(p.paid_cents),
                    "remaining": _money(p.budget_cents - p.reserved_cents - p.paid_cents),
                    "eligible_enterprises": p.matched_eligible,
                }
            )
    return rows


def as_csv(name: DatasetName, rows: list[dict[str, Value]]) -> str:
    """The rows as CSV (RFC 4180, a header line of the dictionary's column names); a withheld
    figure is an empty field."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c.name for c in COLUMNS[name]], lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


DICTIONARY_COLUMNS = ("dataset", "column", "meaning", "unit", "computed", "withheld")


def dictionary_rows(locale: str) -> list[dict[str, Value]]:
    """The data dictionary as rows (one per column of every dataset), for its CSV and JSON."""
    return [
        {
            "dataset": d.dataset,
            "column": c.name,
            "meaning": c.meaning,
            "unit": c.unit,
            "computed": c.computed,
            "withheld": c.withheld,
        }
        for d in data_dictionary(locale).datasets
        for c in d.columns
    ]


def dictionary_csv(rows: list[dict[str, Value]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DICTIONARY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
