"""Replaying recorded histories: a change to the workflow code must not break workflows in flight.

The histories were recorded from real runs through the whole stack by
``scripts/record_histories.py``: requests approved, rejected, withdrawn, escalated, worked on the
workbench (claimed, released, assigned, more information asked and supplied), and sent back by a
second clerk, transferred and rejected; an old-age allowance approved into an entitlement, and
its monthly payment cycle (one continued as new); a life event whose second part waited for the
first; a request approved by rule (秒批) and one whose failed check fell back to a clerk,
who rejected it; a maternity allowance approved on a signed commitment whose post-check found it
kept, and one found broken (the decision revoked); subsidy claims paid instantly, on an offer and after
review (with the review's own request), and one whose payment was refused; a program's matching
run, a day's reconciliation, a corrected document, the monthly governance report as its schedule
starts it; requests whose applicant supplied more information once supplements were stored
first, the paused time limit moved by the pause's length (``supplied-paused-wall-clock``, recorded
from the code before that changed) and by the working days the pause covered
(``supplied-paused-working-days``), both with ``--only notified``. When a change makes replay
fail, gate it with ``workflow.patched`` and record a history of the new path. The clocks of
follow-ups and grievances (escalated, then answered) and a round of rating invitations are recorded by
``tests/stack/test_feedback_clock.py`` with ``FEEDBACK_HISTORIES=<directory>``.

The hub seals the payloads it hands to Temporal (``hub.temporal.SealingCodec``); the recorder opens
them with the recording stack's keys and stores them in clear, which the hub's converter reads as
they are. The file name is ``<label>--<workflow id>.json`` (the id quoted for the file system),
because task keys are derived from the workflow id.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from hub.sealing import DataKeys
from hub.temporal import data_converter
from workflows.benefits.cycle import PaymentCycleWorkflow
from workflows.feedback.clock import CaseClockWorkflow, RatingInvitationsWorkflow
from workflows.governance.report import GovernanceReportWorkflow
from workflows.life_events.case import LifeEventWorkflow
from workflows.reissue import DocumentReissueWorkflow
from workflows.service_request import ServiceRequestWorkflow
from workflows.subsidies.claim import SubsidyClaimWorkflow
from workflows.subsidies.matching import ProgramMatchingWorkflow, ReconciliationWorkflow

WORKFLOWS = [
    ServiceRequestWorkflow,
    DocumentReissueWorkflow,
    SubsidyClaimWorkflow,
    ProgramMatchingWorkflow,
    ReconciliationWorkflow,
    PaymentCycleWorkflow,
    LifeEventWorkflow,
    GovernanceReportWorkflow,
    CaseClockWorkflow,
    RatingInvitationsWorkflow,
]

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem.partition("--")[0] for p in HISTORIES])
async def test_recorded_history_replays(path: Path, tmp_path: Path):
    workflow_id = unquote(path.stem.partition("--")[2])
    history = WorkflowHistory.from_json(workflow_id, path.read_text())
    # In the sandbox, which the running worker leaves out for speed: the replay also checks that the
    # workflow code makes no non-deterministic call (clock, random, I/O) on these paths.
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(DataKeys(tmp_path / "data-keys")),
        workflow_runner=SandboxedWorkflowRunner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_histories_are_present():
    assert {p.stem.partition("--")[0] for p in HISTORIES} >= {
        "approved",
        "rejected",
        "withdrawn",
        "escalated-rejected",
        "workbench-approved",
        "transfer-maker-checker-rejected",
        "claim-instant-paid",
        "claim-offer-paid",
        "claim-reviewed-paid",
        "claim-review-approved",
        "claim-payment-refused",
        "matching",
        "reconciliation",
        "reissued",
    }
