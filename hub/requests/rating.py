"""Ratings: the applicant rates a decided request once, 1 to 5, with an optional comment."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import TYPE_CHECKING

import msgspec

from forms.validation import plain_text
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.records import RATING_FIELD, opened_text, sealed_text
from hub.db.tables import Rating, ReviewTask, ServiceRequest, StageRating
from hub.db.transactions import writing
from hub.errors import HubError, invalid_field
from hub.feedback import open_follow_up, started
from hub.i18n import N_
from hub.requests.access import load_own_request, signed_in

if TYPE_CHECKING:
    from hub.context import HubContext

MAX_RATING_COMMENT = 1000
RATEABLE_STATES = ("approved", "rejected")


class RatingRead(msgspec.Struct):
    score: int
    comment: str
    created_at: dt.datetime


async def rating_of(row: ServiceRequest | SimpleNamespace) -> RatingRead | None:
    """The applicant's rating of the request, if they gave one."""
    found = await Rating.objects().where(Rating.request == row.id).first()
    if found is None:
        return None
    return RatingRead(score=found.score, comment=opened_text(found.comment, RATING_FIELD), created_at=found.created_at)


async def rate_request(ctx: HubContext, actor: Actor, ref: str, score: int, comment: str) -> RatingRead:
    """The applicant rates their own decided request, once. A rating of 1 or 2 opens a follow-up in
    the service's department, stored with the rating."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    if row.state not in RATEABLE_STATES:
        raise HubError(
            "conflict", "not-decided", N_("Not possible now"), N_("A request can be rated once it is decided.")
        )
    if not 1 <= score <= 5:
        raise invalid_field("score", "rating_range")
    comment = plain_text(comment)
    if len(comment) > MAX_RATING_COMMENT:
        raise invalid_field("comment", "string_too_long", max_length=MAX_RATING_COMMENT)
    async with writing():
        inserted = (
            await Rating.insert(
                Rating(
                    request=row.id,
                    account=user.id,
                    score=score,
                    comment=sealed_text(comment, RATING_FIELD),
                    created_at=now(),
                )
            )
            .on_conflict(target=Rating.request, action="DO NOTHING")
            .returning(Rating.id)
        )
        opened = None
        if inserted:
            await record(actor, user, "request.rated", "request", row.ref, score=score)
            opened = await open_follow_up(ctx, inserted[0]["id"], row, score)
    await started(ctx, opened)
    if not inserted:
        raise HubError("conflict", "already-rated", N_("Already rated"), N_("You have already rated this request."))
    rating = await rating_of(row)
    assert rating is not None, "the rating was just stored, and a rating is never deleted"
    return rating


RATED_STAGES = ("filing", "step")
CLOSED_TASKS = ("approved", "rejected", "transferred")


class StageRatingRead(msgspec.Struct):
    stage: str
    step: str
    department: str
    score: int
    comment: str
    created_at: dt.datetime


async def rate_stage(
    ctx: HubContext, actor: Actor, ref: str, stage: str, score: int, comment: str, step: str = "", department: str = ""
) -> StageRatingRead:
    """The applicant rates one stage of their request once it is done: the filing (once the request
    is with the departments), or a department's step (once that step is finished). A rating of 1 or 2
    opens a follow-up in that department, stored with the rating."""
    user = signed_in(actor)
    row = await load_own_request(ref, user)
    if stage not in RATED_STAGES:
        raise invalid_field("stage", "invalid_choice")
    chosen, department, task = department, "", None
    if stage == "filing":
        if row.state == "prepared":
            raise HubError("conflict", "not-done", N_("Not possible now"), N_("A stage can be rated once it is done."))
    else:
        # A step as the request's page lists it: its stage, and its department when several share it.
        query = ReviewTask.select(ReviewTask.id, ReviewTask.department, ReviewTask.state).where(
            (ReviewTask.request == row.id) & (ReviewTask.stage_id == step)
        )
        if chosen:
            query = query.where(ReviewTask.department == chosen)
        tasks = await query
        if len(tasks) != 1:
            raise invalid_field("step", "invalid_choice")
        found = tasks[0]
        if found["state"] not in CLOSED_TASKS:
            raise HubError("conflict", "not-done", N_("Not possible now"), N_("A stage can be rated once it is done."))
        department, task = found["department"], found["id"]
    if not 1 <= score <= 5:
        raise invalid_field("score", "rating_range")
    comment = plain_text(comment)
    if len(comment) > MAX_RATING_COMMENT:
        raise invalid_field("comment", "string_too_long", max_length=MAX_RATING_COMMENT)
    at = now()
    async with writing():
        inserted = (
            await StageRating.insert(
                StageRating(
                    key=f"{row.id}:{stage}:{task or ''}",
                    request=row.id,
                    account=user.id,
                    stage=stage,
                    task=task,
                    department=department,
                    score=score,
                    comment=sealed_text(comment, RATING_FIELD),
                    created_at=at,
                )
            )
            .on_conflict(target=StageRating.key, action="DO NOTHING")
            .returning(StageRating.id)
        )
        opened = None
        if inserted:
            await record(actor, user, "request.stage_rated", "request", row.ref, stage=stage, task=task, score=score)
            opened = await open_follow_up(
                ctx, None, row, score, stage_rating_id=inserted[0]["id"], department=department
            )
    await started(ctx, opened)
    if not inserted:
        raise HubError("conflict", "already-rated", N_("Already rated"), N_("You have already rated this stage."))
    return StageRatingRead(
        stage=stage, step=step if task else "", department=department, score=score, comment=comment, created_at=at
    )


async def stage_ratings_of(row: ServiceRequest) -> list[StageRatingRead]:
    """The applicant's ratings of the request's filing and steps."""
    rows = await StageRating.select(
        StageRating.stage,
        StageRating.task.stage_id.as_alias("step"),
        StageRating.department,
        StageRating.score,
        StageRating.comment,
        StageRating.created_at,
    ).where(StageRating.request == row.id)
    return [
        StageRatingRead(
            stage=r["stage"],
            step=r["step"] or "",
            department=r["department"],
            score=r["score"],
            comment=opened_text(r["comment"], RATING_FIELD),
            created_at=r["created_at"],
        )
        for r in rows
    ]
