"""The workbench's table of moves: every move is there, and each is the workflow update of its name."""

from __future__ import annotations

from types import SimpleNamespace

from hub.accounts import Principal
from hub.actor import Actor
from hub.workbench.moves import MOVES, CheckedDecision, InformationRequestCreate, TransferCreate
from workflows.types import TASK_MOVES, Assignment, Decision, InformationRequest, TaskCommand, Transfer

TASK = SimpleNamespace(key="request-QQ-1:review:street-office", department="street-office")
CLERK = Actor(
    user=Principal(id=7, username="street.clerk", full_name="", role="clerk", department="street-office", locale="en"),
    locale="en",
)


def test_every_move_is_in_the_table_once():
    assert sorted(MOVES) == sorted(TASK_MOVES)


def test_each_move_is_the_workflow_update_of_its_name():
    for move, (update, _) in MOVES.items():
        assert update.__name__ == move


def test_payloads_carry_the_task_and_the_clerk():
    claim = MOVES["claim"].payload(TASK, CLERK, None)
    assert type(claim) is TaskCommand and claim.task_key == TASK.key and claim.clerk_id == 7
    decision = MOVES["decide"].payload(TASK, CLERK, CheckedDecision("approve", "", "", True))
    assert isinstance(decision, Decision) and decision.needs_confirmation
    asked = MOVES["request_information"].payload(TASK, CLERK, InformationRequestCreate("why", ["income"]))
    assert isinstance(asked, InformationRequest) and asked.fields == ["income"]
    sent = MOVES["transfer"].payload(TASK, CLERK, TransferCreate("civil-affairs", "theirs"))
    assert isinstance(sent, Transfer) and sent.to_department == "civil-affairs"
    given = MOVES["assign"].payload(TASK, CLERK, 9)
    assert isinstance(given, Assignment) and given.assignee_id == 9 and given.supervisor_id == 7
