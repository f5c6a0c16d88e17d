"""Replaying recorded histories: a change to the workflow code must not break requests in flight.

The histories were recorded from real runs: requests approved, rejected, withdrawn and
transferred; subsidy claims paid instantly (with the notice rendered as a regular activity, since
as a local one, since in five steps instead of eight, and since in three), on an offer and after
review, and ones whose payment was refused (in eight steps, in five and in three); a program's
matching run. When a change makes replay fail, version the change with ``workflow.patched``.
To record one: ``temporal workflow show --workflow-id <id> --output json > histories/<label>--<id>.json``
(the workflow id is part of the name because task keys are derived from it).

The hub seals the payloads it hands to Temporal (``hub.temporal.SealingCodec``). These histories
were recorded before, in clear, and replay through the hub's converter as they are: that is what
workflows started before sealing do. A history recorded since holds sealed payloads, which only
the data keys of the hub that recorded it open.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from hub.sealing import DataKeys
from hub.temporal import data_converter
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
]

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem.partition("--")[0] for p in HISTORIES])
async def test_recorded_history_replays(path: Path, tmp_path: Path):
    _, _, workflow_id = path.stem.partition("--")
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
        "workbench-approved",
        "withdrawn",
        "transfer-maker-checker-rejected",
        "claim-instant-paid",
        "claim-offer-paid",
        "claim-payment-refused",
        "claim-instant-paid-fewer-steps",
        "claim-payment-refused-fewer-steps",
        "claim-instant-paid-three-steps",
        "claim-payment-refused-three-steps",
        "claim-reviewed-paid",
        "matching",
    }
