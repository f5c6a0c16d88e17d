"""The governance report's workflow: one activity issues the report's documents (numbered, signed,
stored), idempotently by period, so a retried or repeated run issues nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

from ..options import ActivityOptions
from .types import IssuedReport, IssueReport, MakeReport, previous_month

BEIJING_OFFSET = timedelta(hours=8)
ISSUE: ActivityOptions = {
    # Counting a year's figures and laying out two PDFs: generous, and retried.
    "start_to_close_timeout": timedelta(minutes=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10),
}


class GovernanceReports(Protocol):
    """The hub's side: count the period's figures, render and issue the report in each language."""

    async def issue(self, request: IssueReport) -> IssuedReport: ...


class GovernanceActivities:
    def __init__(self, reports: GovernanceReports):
        self._reports = reports

    @activity.defn
    async def issue_governance_report(self, request: IssueReport) -> IssuedReport:
        return await self._reports.issue(request)

    def all(self) -> list:
        return [self.issue_governance_report]


@workflow.defn
class GovernanceReportWorkflow:
    """Makes the governance report of a period; run monthly by a schedule, and on demand."""

    @workflow.run
    async def run(self, make: MakeReport) -> IssuedReport:
        at = workflow.now()
        period = make.period or previous_month((at + BEIJING_OFFSET).date())
        return await workflow.execute_activity_method(
            GovernanceActivities.issue_governance_report, IssueReport(period=period, issued_at=at), **ISSUE
        )
