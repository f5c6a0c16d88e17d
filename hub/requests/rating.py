"""Ratings: the applicant rates a decided request once, 1 to 5, with an optional comment."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from forms.validation import plain_text
from hub.actor import Actor
from hub.audit import record
from hub.clock import now
from hub.db.records import RATING_FIELD, opened_text, sealed_text
from hub.db.tables import Rating, ServiceRequest
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


async def rating_of(row: ServiceRequest) -> RatingRead | None:
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
