"""Where a request stands, as its applicant follows it: filed, then each department's step of its
route, then the decision; the steps done, the one it is at, and the date the decision is expected by
(the service's time limit in working days, counted from filing and moved by the applicant's pauses:
``hub.requests.expected``, the same date the API gives)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from forms.spec import ServiceSpec
from hub.catalog.presenting import department
from hub.context import HubContext
from hub.i18n import N_, gettext
from hub.requests.presenter import RequestRead
from workflows.types import ACTIVE_TASK_STATES, FINAL_STATES

StepState = Literal["done", "current", "upcoming"]

FILED_STEP = N_("Filed")
# A claim's request its preparer prepared and nobody submitted.
PREPARED_STEP = N_("Prepared")
DECISION_STEP = N_("Decision")
WITHDRAWN_STEP = N_("Withdrawn")
IF_NEEDED = N_("only if needed")


class Step(msgspec.Struct):
    title: str
    state: StepState
    # What the step is (the stage's title), or how the request ended.
    detail: str = ""
    at: dt.datetime | None = None
    # The step's own time limit (a department's), or the date the decision is expected by.
    due: dt.datetime | None = None
    waiting_for_you: bool = False
    # The stage of the route the step belongs to ("" for filing and the decision).
    stage: str = ""


class Progress(msgspec.Struct):
    steps: list[Step]
    # The decision is expected by (None once decided).
    expected: dt.datetime | None
    time_limit_days: int
    # The departments that look at the request first, together (empty when only automatic checks run).
    first_departments: list[str]
    # Waiting for the applicant: the expected date stands still, and moves on when they answer.
    paused: bool = False
    # The expected date was counted without the holiday schedule of a year it runs into.
    provisional: bool = False


def request_steps(spec: ServiceSpec | None, read: RequestRead, ctx: HubContext, locale: str) -> list[Step]:
    """The request's steps in order. A stage that has tasks shows them (one per department, as the
    route or a transfer made them); a stage not reached yet shows its departments to come; a stage
    passed over (its condition did not hold) or never reached by a closed request is left out."""
    final = read.state in FINAL_STATES
    first = PREPARED_STEP if read.unsubmitted else FILED_STEP
    steps = [Step(title=gettext(locale, first), state="done", at=read.submitted_at or read.created_at)]
    stages = [s for s in spec.route if s.kind == "review"] if spec else []
    reached = {t.stage_id for t in read.tasks}
    later_reached = False
    for index, stage in enumerate(stages):
        tasks = [t for t in read.tasks if t.stage_id == stage.id and t.state not in ("transferred", "cancelled")]
        later_reached = any(s.id in reached for s in stages[index + 1 :])
        if tasks:
            for t in tasks:
                active = t.state in ACTIVE_TASK_STATES
                steps.append(
                    Step(
                        title=t.department.name,
                        detail=t.stage_title,
                        state="current" if active and not final else "done",
                        at=None if active else t.decided_at,
                        # A step waiting for the applicant has no date of its own: its limit stands still.
                        due=t.due_at if active and t.state != "waiting_applicant" else None,
                        waiting_for_you=t.state == "waiting_applicant",
                        stage=stage.id,
                    )
                )
        elif not final and not later_reached:
            title = gettext(locale, stage.title)
            detail = f"{title} ({gettext(locale, IF_NEEDED)})" if stage.when else title
            steps += [
                Step(title=department(ctx.catalog, code, locale).name, detail=detail, state="upcoming", stage=stage.id)
                for code in stage.departments
            ]
    if read.state == "withdrawn":
        # Declined or taken back before it was submitted, it says so (``RequestRead.state_label``).
        title = read.state_label if read.unsubmitted else gettext(locale, WITHDRAWN_STEP)
        steps.append(Step(title=title, state="done", at=read.closed_at))
    else:
        decided = read.state in ("approved", "rejected")
        steps.append(
            Step(
                title=gettext(locale, DECISION_STEP),
                state="done" if decided else "upcoming",
                detail=read.state_label if decided else "",
                at=read.closed_at if decided else None,
            )
        )
    if read.state == "prepared":
        # An enterprise's preparer filled it in; it is filed when the approver submits it.
        steps[0] = Step(title=steps[0].title, state="current")
    elif not final and not any(s.state == "current" for s in steps):
        # Filed, its first step not opened yet (the workflow is a moment behind): that step is next,
        # with every department of its stage (a stage's departments review at the same time).
        for step in steps[1:]:
            if step.stage and step.stage == steps[1].stage:
                step.state = "current"
        steps[1].state = "current"
    return steps


async def request_progress(ctx: HubContext, spec: ServiceSpec | None, read: RequestRead, locale: str) -> Progress:
    steps = request_steps(spec, read, ctx, locale)
    expected = read.decision_expected_by
    if expected is not None:
        steps[-1].due = expected
    first_stage = next((s.stage for s in steps[1:-1] if s.stage), "")
    return Progress(
        steps=steps,
        expected=expected,
        time_limit_days=spec.time_limit_days if spec else 0,
        first_departments=[s.title for s in steps[1:-1] if s.stage and s.stage == first_stage],
        paused=read.decision_paused,
        provisional=read.decision_provisional,
    )
