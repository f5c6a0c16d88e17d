"""What is counted of ratings, follow-ups and grievances. Every figure that counts ratings counts
them here (``counted_scores``), so a rating a supervisor left out after an upheld appeal is left out
everywhere; the governance report and the cockpit read follow-ups and grievances per period and
department from here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from piccolo.query.functions.aggregate import Count, Max

from hub.clock import now
from hub.db.tables import FeedbackCase, Rating, StageRating


async def counted_scores(start: dt.datetime, end: dt.datetime, stage: str = "decision") -> dict[str, list[int]]:
    """The scores of ratings that count, by service, of requests filed in [start, end): every rating
    of the stage ("decision", "filing" or "step") but those left out after an upheld appeal."""
    scores: dict[str, list[int]] = defaultdict(list)
    if stage == "decision":
        rows = await Rating.select(Rating.request.service_id.as_alias("service_id"), Rating.score).where(
            (Rating.request.created_at >= start) & (Rating.request.created_at < end) & (Rating.excluded == False)  # noqa: E712 - a column compared, not a bool
        )
    else:
        rows = await StageRating.select(StageRating.request.service_id.as_alias("service_id"), StageRating.score).where(
            (StageRating.request.created_at >= start)
            & (StageRating.request.created_at < end)
            & (StageRating.stage == stage)
            & (StageRating.excluded == False)  # noqa: E712 - a column compared, not a bool
        )
    for row in rows:
        scores[row["service_id"]].append(row["score"])
    return dict(scores)


async def ratings_version() -> tuple:
    """Changes when a rating is given or left out: what a kept report of ratings is checked against."""
    given = await Rating.select(Max(Rating.id, alias="last"))
    left_out = await Rating.select(Count(alias="n")).where(Rating.excluded == True)  # noqa: E712
    return (given[0]["last"], left_out[0]["n"])


@dataclass
class FollowUpFigures:
    """Follow-ups of bad ratings opened in a period, in one department: what was done about them."""

    department: str
    opened: int = 0
    open: int = 0
    answered: int = 0  # answered or closed
    answered_on_time: int = 0
    escalated: int = 0
    overdue_open: int = 0  # still open past their limit
    by_outcome: dict[str, int] = field(default_factory=dict)  # resolved | explained
    appeals: int = 0
    appeals_upheld: int = 0  # the rating was left out of the figures
    appeals_dismissed: int = 0
    rated: int = 0  # follow-ups the applicant rated
    average_score: float | None = None  # the applicants' rating of the follow-ups


@dataclass
class GrievanceFigures:
    """Grievances filed in a period, in one department, and their outcomes."""

    department: str
    filed: int = 0
    anonymous: int = 0
    sensitive: int = 0  # about a named clerk
    by_subject: dict[str, int] = field(default_factory=dict)  # service | clerk | payment
    by_state: dict[str, int] = field(default_factory=dict)  # open | answered | closed
    by_outcome: dict[str, int] = field(default_factory=dict)  # upheld | partly_upheld | not_upheld
    answered_on_time: int = 0
    breached: int = 0  # answered late, or open past the limit
    escalated: int = 0
    appeals: int = 0
    appeals_upheld: int = 0
    appeals_dismissed: int = 0


async def _cases(kind: str, start: dt.datetime, end: dt.datetime, department: str | None) -> list[dict]:
    query = FeedbackCase.select(
        FeedbackCase.department,
        FeedbackCase.state,
        FeedbackCase.opened_at,
        FeedbackCase.due_at,
        FeedbackCase.answered_at,
        FeedbackCase.escalated_at,
        FeedbackCase.outcome,
        FeedbackCase.appeal_state,
        FeedbackCase.answer_score,
        FeedbackCase.account,
        FeedbackCase.sensitive,
        FeedbackCase.subject,
    ).where((FeedbackCase.kind == kind) & (FeedbackCase.opened_at >= start) & (FeedbackCase.opened_at < end))
    if department:
        query = query.where(FeedbackCase.department == department)
    return await query


def _late(case: dict, at: dt.datetime) -> bool:
    if case["answered_at"] is not None:
        return case["answered_at"] > case["due_at"]
    return at > case["due_at"]


async def follow_up_figures(
    start: dt.datetime, end: dt.datetime, department: str | None = None, at: dt.datetime | None = None
) -> list[FollowUpFigures]:
    """Per department: follow-ups opened in [start, end), by outcome and whether answered on time."""
    at = at or now()
    figures: dict[str, FollowUpFigures] = {}
    scores: dict[str, list[int]] = defaultdict(list)
    for c in await _cases("follow_up", start, end, department):
        f = figures.setdefault(c["department"], FollowUpFigures(c["department"]))
        f.opened += 1
        if c["state"] == "open":
            f.open += 1
            f.overdue_open += at > c["due_at"]
        else:
            f.answered += 1
            f.answered_on_time += not _late(c, at)
            f.by_outcome[c["outcome"]] = f.by_outcome.get(c["outcome"], 0) + 1
        f.escalated += c["escalated_at"] is not None
        if c["appeal_state"]:
            f.appeals += 1
            f.appeals_upheld += c["appeal_state"] == "upheld"
            f.appeals_dismissed += c["appeal_state"] == "dismissed"
        if c["answer_score"] is not None:
            f.rated += 1
            scores[c["department"]].append(c["answer_score"])
    for code, given in scores.items():
        figures[code].average_score = round(sum(given) / len(given), 2)
    return [figures[k] for k in sorted(figures)]


async def grievance_figures(
    start: dt.datetime, end: dt.datetime, department: str | None = None, at: dt.datetime | None = None
) -> list[GrievanceFigures]:
    """Per department: grievances filed in [start, end), by subject, state and outcome, on time or not."""
    at = at or now()
    figures: dict[str, GrievanceFigures] = {}
    for c in await _cases("grievance", start, end, department):
        f = figures.setdefault(c["department"], GrievanceFigures(c["department"]))
        f.filed += 1
        f.anonymous += c["account"] is None
        f.sensitive += bool(c["sensitive"])
        f.by_subject[c["subject"]] = f.by_subject.get(c["subject"], 0) + 1
        f.by_state[c["state"]] = f.by_state.get(c["state"], 0) + 1
        if c["outcome"]:
            f.by_outcome[c["outcome"]] = f.by_outcome.get(c["outcome"], 0) + 1
        if c["answered_at"] is not None and not _late(c, at):
            f.answered_on_time += 1
        f.breached += _late(c, at)
        f.escalated += c["escalated_at"] is not None
        if c["appeal_state"]:
            f.appeals += 1
            f.appeals_upheld += c["appeal_state"] == "upheld"
            f.appeals_dismissed += c["appeal_state"] == "dismissed"
    return [figures[k] for k in sorted(figures)]
