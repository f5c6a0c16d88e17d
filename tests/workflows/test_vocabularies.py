"""The vocabularies are defined once (workflows/types.py); every set of them holds only known words."""

import ast
from pathlib import Path
from typing import get_args

from workflows import types

ROOT = Path(__file__).resolve().parents[2]


def test_sets_hold_known_words():
    kinds = set(types.TIMELINE_KINDS)
    assert types.PUBLIC_TIMELINE_KINDS <= kinds
    assert types.TEXT_TIMELINE_KINDS <= kinds
    assert set(types.CLOSING_KINDS.values()) <= kinds
    assert set(types.CLOSING_KINDS) == set(types.FINAL_STATES)
    assert set(types.DECISION_KINDS.values()) <= kinds
    states = set(get_args(types.TaskState))
    assert set(types.ACTIVE_TASK_STATES) | set(types.CLOSED_TASK_STATES) <= states
    assert set(types.FINAL_STATES) <= set(get_args(types.RequestState))


def test_every_task_move_is_an_update():
    from temporalio.workflow import _Definition

    from workflows.service_request import ServiceRequestWorkflow

    updates = _Definition.from_class(ServiceRequestWorkflow).updates
    assert set(types.TASK_MOVES) <= set(updates)


def test_the_workflow_writes_only_known_kinds():
    """The kinds the workflow passes to its read model, as written in its source."""
    tree = ast.parse((ROOT / "workflows" / "service_request.py").read_text())
    written = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "_change" and len(node.args) > 1:
            arg = node.args[1]
            if isinstance(arg, ast.Constant):
                written.add(arg.value)
        if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Constant):
            value = node.elts[1].value
            if isinstance(value, str) and value.startswith("task_"):
                written.add(value)
    assert written and written <= set(types.TIMELINE_KINDS), written - set(types.TIMELINE_KINDS)
