"""Open data on how the services perform: published without sign-in, and without anyone in it."""

from __future__ import annotations

from typing import Any, cast

import msgspec
from litestar import Controller, Request, Response
from litestar.di import Provide
from litestar.params import Parameter

from hub import clock
from hub.errors import not_found
from hub.governance.issuing import ReportRead, published_reports, report_pdf, request_report
from hub.open_data.datasets import (
    BY_PERIOD,
    COLUMNS,
    DATASETS,
    DataDictionaryRead,
    DatasetName,
    Value,
    as_csv,
    data_dictionary,
    dataset_rows,
    dictionary_csv,
    dictionary_rows,
)
from hub.service_levels import ServiceLevelsRead, service_levels_read
from hub.web.actors import actor_of
from hub.web.context import HubContext, provide_context
from hub.web.downloads import csv_download
from hub.web.problems import request_locale
from hub.web.routes import get, post
from hub.web.security import requires_role
from workflows.governance.types import IssuedReport


class ServiceLevelController(Controller):
    path = "/api/open/service-levels"
    tags = ["open data"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="How each service performed in a year or a month: counts, time limits kept, ratings")
    async def service_levels(
        self,
        request: Request,
        ctx: HubContext,
        year: int | None = Parameter(default=None, ge=2000, le=2100, description="default: this year (Beijing)"),
        month: int | None = Parameter(default=None, ge=1, le=12),
    ) -> ServiceLevelsRead:
        return await service_levels_read(ctx, request_locale(request), year or clock.today().year, month)


class DatasetController(Controller):
    """The published aggregates as CSV and JSON downloads, and their data dictionary."""

    path = "/api/open/datasets"
    tags = ["open data"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="The data dictionary: every dataset and every column's meaning, unit and computation")
    async def dictionary(self, request: Request) -> DataDictionaryRead:
        return data_dictionary(request_locale(request))

    @get(
        "/{file:str}",
        summary="A dataset as CSV or JSON (<name>.csv or <name>.json; dictionary.csv for the data dictionary)",
        description="Datasets: " + ", ".join(DATASETS) + ". A withheld figure is an empty CSV field and a JSON null.",
        media_type="application/json",
    )
    async def download(
        self,
        request: Request,
        ctx: HubContext,
        file: str,
        year: int | None = Parameter(default=None, ge=2000, le=2100, description="default: this year (Beijing)"),
        month: int | None = Parameter(default=None, ge=1, le=12),
    ) -> Response:
        locale = request_locale(request)
        stem, _, extension = file.rpartition(".")
        if extension not in ("csv", "json"):
            raise not_found()
        if stem == "dictionary":
            rows = dictionary_rows(locale)
            if extension == "json":
                return Response(rows, media_type="application/json")
            return _csv(dictionary_csv(rows), "dictionary.csv")
        if stem not in DATASETS:
            raise not_found()
        name = cast(DatasetName, stem)
        year = year or clock.today().year
        rows = await dataset_rows(ctx, locale, name, year, month)
        suffix = (f"-{year}" + (f"-{month:02d}" if month else "")) if name in BY_PERIOD else ""
        if extension == "csv":
            return _csv(as_csv(name, rows), f"{name}{suffix}.csv")
        body = DatasetRead(
            dataset=name,
            year=year if name in BY_PERIOD else None,
            month=month if name in BY_PERIOD else None,
            columns=[c.name for c in COLUMNS[name]],
            rows=rows,
        )
        return Response(body, media_type="application/json")


class DatasetRead(msgspec.Struct):
    dataset: str
    year: int | None
    month: int | None
    columns: list[str]
    # One object per CSV line, with the same names and values (null where the CSV field is empty).
    rows: list[dict[str, Value]]


def _csv(text: str, filename: str) -> Response:
    # A byte-order mark, so spreadsheet programs read the Chinese titles as UTF-8.
    return csv_download("\ufeff" + text, filename)


class ReportController(Controller):
    """The governance report (white paper): public to read, made on demand by administrators."""

    path = "/api/open/reports"
    tags = ["open data"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @get("/", summary="Governance reports issued, newest period first (each in Chinese and English)")
    async def list_reports(self, request: Request) -> list[ReportRead]:
        return await published_reports(request_locale(request))

    @get(
        "/{report_id:int}",
        summary="A governance report's PDF (signed; verifiable at /verify/{code})",
        media_type="application/pdf",
    )
    async def download(self, ctx: HubContext, report_id: int) -> Response:
        row, data = await report_pdf(ctx.documents, report_id)
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="governance-report-{row.locale}-{row.id}.pdf"'},
        )


class MakeReportController(Controller):
    """Administrators make the governance report of an ended period now (it is also made monthly)."""

    path = "/api/governance-reports"
    tags = ["open data"]
    dependencies = {"ctx": Provide(provide_context, sync_to_thread=False)}

    @post(
        "/",
        guards=[requires_role("admin")],
        status_code=201,
        summary="Make the governance report of an ended month, quarter or year now",
        description='Body: {"kind": "month" | "quarter" | "year", "year": 2026, "number": 11} (number: the month '
        "or quarter; none for a year). A period not ended yet, or an unknown kind, is refused and nothing is made; "
        "asking again for the same period returns the same documents.",
    )
    async def make_report(self, request: Request, ctx: HubContext, data: dict[str, Any]) -> IssuedReport:
        return await request_report(
            ctx.temporal, actor_of(request), str(data.get("kind") or ""), data.get("year"), data.get("number")
        )
