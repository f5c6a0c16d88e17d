"""The cockpit's figures over a fixture of requests and tasks, computed here by hand; the live
tallies equal the rebuilt ones; bad filters and readers are refused."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from forms.catalog import load_catalog
from hub.accounts import Principal
from hub.actor import Actor
from hub.clock import BEIJING, today
from hub.cockpit import Filters, parse_filters, read_cockpit, rebuild
from hub.cockpit.figures import _percentiles, percentile
from hub.db import tallies as t
from hub.db.records import add_timeline, recount
from hub.db.tables import Account, CockpitTally, Rating, ReviewTask, ServiceRequest
from hub.errors import HubError

CATALOG = load_catalog()
ELDERLY, PERMIT = "elderly-care-allowance", "residence-permit"
PERIOD = Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of March 2026, Beijing time."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=BEIJING)


def reader(role: str, department: str | None = None, locale: str = "en") -> Actor:
    return Actor(
        user=Principal(id=1, username=role, full_name=role, role=role, department=department, locale=locale),
        locale=locale,
    )


async def _account() -> int:
    rows = await Account.insert(
        Account(username="applicant", full_name="x", role="citizen", password_hash="x", created_at=at(1, 8))
    ).returning(Account.id)
    return rows[0]["id"]


async def _request(applicant: int, n: int, service: str, state: str, created: dt.datetime, closed=None, overdue=False):
    rows = await ServiceRequest.insert(
        ServiceRequest(
            ref=f"R{n}",
            workflow_id=f"request-R{n}",
            service_id=service,
            service_version=1,
            applicant=applicant,
            idempotency_scope=f"s{n}",
            payload_hash="",
            state=state,
            overdue=overdue,
            answers="{}",
            rule_results="[]",
            locale="zh_CN",
            created_at=created,
            updated_at=closed or created,
            closed_at=closed,
        )
    ).returning(ServiceRequest.id)
    request_id = rows[0]["id"]
    if state != "prepared":
        await add_timeline(f"request:{request_id}:submitted", request_id, "submitted", created)
    return request_id


async def _task(request_id, key, department, stage, state, opened, due, decided=None, escalated=False):
    await ReviewTask.insert(
        ReviewTask(
            key=key,
            request=request_id,
            stage_id=stage,
            stage_title=stage,
            department=department,
            service_id=(await ServiceRequest.select(ServiceRequest.service_id).where(ServiceRequest.id == request_id))[
                0
            ]["service_id"],
            state=state,
            opened_at=opened,
            due_at=due,
            decided_at=decided,
            escalated=escalated,
        )
    )
    await recount(request_id)


async def _fixture() -> None:
    """Requests of two services around the week of 2 to 8 March 2026 (see each figure's test)."""
    who = await _account()
    r1 = await _request(who, 1, ELDERLY, "approved", at(2, 9), at(3, 9))  # 24 h
    r2 = await _request(who, 2, ELDERLY, "rejected", at(2, 10), at(2, 15))  # 5 h
    r3 = await _request(who, 3, ELDERLY, "approved", at(3, 9), at(6, 21), overdue=True)  # 84 h: 3 to 4 days
    r4 = await _request(who, 4, ELDERLY, "in_review", at(4, 9))
    r5 = await _request(who, 5, ELDERLY, "withdrawn", at(1, 9), at(2, 12))  # received before the period
    await _request(who, 6, ELDERLY, "prepared", at(3, 9))  # never submitted: not received
    await _request(who, 7, PERMIT, "approved", at(5, 9), at(5, 11))  # 2 h
    await _request(who, 8, PERMIT, "in_review", at(8, 23, 30))  # 15:30 UTC: still 8 March in Beijing
    await _request(who, 9, PERMIT, "in_review", at(9, 0, 30))  # 9 March in Beijing: after the period
    street, civil = "street-office", "civil-affairs"
    await _task(r1, "t1", street, "residence-check", "approved", at(2, 9), at(3, 9), at(2, 19))  # 10 h
    await _task(r1, "t2", civil, "approval", "approved", at(2, 19), at(3, 19), at(3, 9))  # 14 h
    await _task(r3, "t3", street, "residence-check", "approved", at(3, 9), at(4, 9), at(6, 9), escalated=True)  # 72 h
    await _task(r4, "t4", street, "residence-check", "claimed", at(4, 9), at(5, 9), escalated=True)
    await _task(r2, "t5", street, "residence-check", "rejected", at(2, 10), at(3, 10), at(2, 15))  # 5 h
    await _task(r5, "t6", street, "residence-check", "cancelled", at(1, 9), at(2, 9), at(2, 12))
    for request_id, score, day in ((r1, 5, 3), (r2, 2, 3), (r3, 4, 7)):
        await Rating.insert(Rating(request=request_id, account=who, score=score, comment="", created_at=at(day, 12)))


@pytest.fixture
async def figures(database):
    await _fixture()
    return await read_cockpit(CATALOG, reader("admin"), PERIOD)


async def test_requests_received_decided_and_in_progress_per_service(figures):
    elderly = next(s for s in figures.services if s.service_id == ELDERLY)
    assert (elderly.received, elderly.decided, elderly.approved, elderly.in_progress) == (4, 3, 2, 1)
    assert elderly.approval_percent == 66.7 and elderly.within_limit_percent == 66.7  # r3 was late
    assert (elderly.median_hours, elderly.p90_hours) == (24, 72)  # of 5, 24 and 72 (84 h in its day bucket)
    assert elderly.department == "civil-affairs"
    permit = next(s for s in figures.services if s.service_id == PERMIT)
    assert (permit.received, permit.decided, permit.in_progress) == (2, 1, 1)
    assert (permit.median_hours, permit.p90_hours, permit.within_limit_percent) == (2, 2, 100.0)
    totals = figures.totals
    assert (totals.received, totals.decided, totals.approved, totals.in_progress) == (6, 4, 3, 2)
    assert (totals.approval_percent, totals.within_limit_percent) == (75.0, 75.0)
    assert (totals.median_hours, totals.p90_hours) == (5, 72)  # of 2, 5, 24 and 72


async def test_each_day_and_its_requests_in_progress(figures):
    days = {d.day.day: (d.received, d.decided, d.in_progress) for d in figures.days}
    assert days == {2: (2, 1, 1), 3: (1, 1, 1), 4: (1, 0, 2), 5: (1, 1, 2), 6: (0, 1, 1), 7: (0, 0, 1), 8: (1, 0, 2)}


async def test_backlog_and_overdue_per_department_with_the_trend(figures):
    street = next(d for d in figures.departments if d.department == "street-office")
    assert (street.opened, street.decided, street.backlog, street.overdue) == (4, 3, 1, 1)
    trend = [(day.backlog, day.overdue) for day in street.trend]
    assert trend == [(0, 0), (1, 0), (2, 1), (2, 2), (1, 1), (1, 1), (1, 1)]
    civil = next(d for d in figures.departments if d.department == "civil-affairs")
    assert [day.backlog for day in civil.trend][:2] == [1, 0]
    assert figures.totals.backlog == 1 and figures.totals.overdue == 1


async def test_time_to_decision_per_step(figures):
    steps = {(s.service_id, s.department, s.step): s for s in figures.steps}
    check = steps[(ELDERLY, "street-office", "residence-check")]
    assert (check.decided, check.median_hours, check.p90_hours) == (3, 10, 72)
    assert steps[(ELDERLY, "civil-affairs", "approval")].median_hours == 14
    # Each step named as people know it, not by its code.
    assert check.step_title == "Residence and living situation check"


async def test_ratings_count_unless_left_out(figures):
    elderly = next(s for s in figures.services if s.service_id == ELDERLY)
    assert (elderly.ratings, elderly.average_rating) == (3, 3.67)
    await Rating.update({Rating.excluded: True}).where(Rating.score == 2)
    again = await read_cockpit(CATALOG, reader("admin"), PERIOD)
    elderly = next(s for s in again.services if s.service_id == ELDERLY)
    assert (elderly.ratings, elderly.average_rating) == (2, 4.5)


async def test_ratings_given_after_a_read_count_at_the_next(figures):
    """The ended days' ratings are kept between reads: a rating stored since (by any process, for a
    past day or today) is counted at the next read all the same."""
    who = (await Account.select(Account.id))[0]["id"]
    r7 = (await ServiceRequest.select(ServiceRequest.id).where(ServiceRequest.ref == "R7"))[0]["id"]
    await Rating.insert(Rating(request=r7, account=who, score=1, comment="", created_at=at(6, 12)))
    again = await read_cockpit(CATALOG, reader("admin"), PERIOD)
    permit = next(s for s in again.services if s.service_id == PERMIT)
    assert (permit.ratings, permit.average_rating) == (1, 1.0)
    assert (again.totals.ratings, again.totals.average_rating) == (4, 3.0)
    # A period up to today: the ended days kept, today's read; a rating given today counts too.
    r8 = (await ServiceRequest.select(ServiceRequest.id).where(ServiceRequest.ref == "R8"))[0]["id"]
    until_today = Filters(start=PERIOD.start, end=today())
    before = await read_cockpit(CATALOG, reader("admin"), until_today)
    await Rating.insert(Rating(request=r8, account=who, score=5, comment="", created_at=dt.datetime.now(dt.UTC)))
    after = await read_cockpit(CATALOG, reader("admin"), until_today)
    assert (before.totals.ratings, after.totals.ratings) == (4, 5)
    assert next(s for s in after.services if s.service_id == PERMIT).average_rating == 3.0


async def test_times_to_decision_ranked_by_the_database_match_the_nearest_rank(database):
    """Random histograms over days and whole months: each service's and everyone's median and 90th
    percentile, as the database ranks them, are those ``percentile`` gives over the same buckets."""
    rng = random.Random(3)
    start, end = dt.date(2026, 1, 20), dt.date(2026, 4, 10)
    histograms: dict[str, dict[int, int]] = {}
    rows = []
    for service in ("a", "b", "c"):
        histogram: dict[int, int] = defaultdict(int)
        for i in range(rng.randint(1, 40)):
            day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
            hours, n = rng.choice((*range(24), *range(24, 2400, 24))), rng.randint(1, 9)
            histogram[hours] += n
            for measure, on in ((t.HOURS, day), (t.monthly(t.HOURS), day.replace(day=1))):
                rows.append(
                    CockpitTally(
                        key=f"{measure}|{on}|{service}|{i}",
                        measure=measure,
                        day=on,
                        service_id=service,
                        bucket=hours,
                        n=n,
                    )
                )
        histograms[service] = histogram
    await CockpitTally.insert(*rows)
    ranked = await _percentiles(t.HOURS, ("service_id",), start=start, end=end, services=None, overall=True)
    everyone: dict[int, int] = defaultdict(int)
    for histogram in histograms.values():
        for hours, n in histogram.items():
            everyone[hours] += n
    expected = {
        key: (sum(h.values()), percentile(h, 0.5), percentile(h, 0.9))
        for key, h in (*histograms.items(), (None, everyone))
    }
    got = {row["service_id"]: (int(row["total"]), row["p50"], row["p90"]) for row in ranked}
    assert got == expected


async def test_the_rebuilt_tallies_equal_the_live_ones(figures):
    live = sorted((r["key"], r["n"]) for r in await CockpitTally.select(CockpitTally.key, CockpitTally.n) if r["n"])
    assert live  # the fixture was counted as it was stored
    await rebuild()
    rebuilt = sorted((r["key"], r["n"]) for r in await CockpitTally.select(CockpitTally.key, CockpitTally.n))
    assert rebuilt == live
    assert await read_cockpit(CATALOG, reader("admin"), PERIOD) == figures


async def test_a_move_recorded_twice_is_counted_once(figures):
    r4 = (await ServiceRequest.select(ServiceRequest.id).where(ServiceRequest.ref == "R4"))[0]["id"]
    await ServiceRequest.update({ServiceRequest.state: "approved", ServiceRequest.closed_at: at(7, 9)}).where(
        ServiceRequest.id == r4
    )
    await recount(r4)
    await recount(r4)
    after = await read_cockpit(CATALOG, reader("admin"), PERIOD)
    elderly = next(s for s in after.services if s.service_id == ELDERLY)
    assert (elderly.decided, elderly.approved, elderly.in_progress) == (4, 3, 0)


async def test_a_supervisor_sees_their_department(figures):
    seen = await read_cockpit(CATALOG, reader("supervisor", "street-office"), PERIOD)
    assert [d.department for d in seen.departments] == ["street-office"]
    assert {s.service_id for s in seen.services} >= {ELDERLY, PERMIT}  # both pass through the office
    civil = await read_cockpit(CATALOG, reader("supervisor", "civil-affairs"), PERIOD)
    assert PERMIT not in {s.service_id for s in civil.services}
    with pytest.raises(HubError) as refused:
        await read_cockpit(
            CATALOG,
            reader("supervisor", "civil-affairs"),
            Filters(PERIOD.start, PERIOD.end, department="street-office"),
        )
    assert refused.value.kind == "forbidden"
    for role in ("citizen", "clerk", "enterprise"):
        with pytest.raises(HubError) as refused:
            await read_cockpit(CATALOG, reader(role, "street-office"), PERIOD)
        assert refused.value.kind == "forbidden"


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"start": "2026-03-08", "end": "2026-03-01"}, "end", "date_out_of_range"),
        ({"start": "2026-13-01"}, "start", "date_parsing"),
        ({"end": "9999-12-31"}, "end", "date_out_of_range"),
        ({"start": "9999-12-30", "end": "2026-03-01"}, "start", "date_out_of_range"),
        ({"department": "no-such-department"}, "department", "invalid_choice"),
        ({"service": "no-such-service"}, "service", "invalid_choice"),
    ],
)
def test_bad_filters_are_named_by_their_field(given, field, code):
    with pytest.raises(HubError) as refused:
        parse_filters(CATALOG, given.get("start"), given.get("end"), given.get("department"), given.get("service"))
    assert refused.value.kind == "invalid"
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]


def test_good_filters():
    filters = parse_filters(CATALOG, "2026-03-02", "2026-03-08", "civil-affairs", ELDERLY)
    assert filters == Filters(dt.date(2026, 3, 2), dt.date(2026, 3, 8), "civil-affairs", ELDERLY)


async def test_whole_months_read_from_the_monthly_tallies_agree_with_the_days(figures):
    # 15 January to 20 April: February and March are read a row a month, the rest a row a day.
    long = await read_cockpit(CATALOG, reader("admin"), Filters(dt.date(2026, 1, 15), dt.date(2026, 4, 20)))
    assert long.totals.received == sum(d.received for d in long.days) == 8  # r5 (1 March) and r9 (9 March) too
    assert long.totals.decided == sum(d.decided for d in long.days) == 4
    elderly = next(s for s in long.services if s.service_id == ELDERLY)
    assert (elderly.median_hours, elderly.p90_hours, elderly.in_progress) == (24, 72, 1)
    # Over three months, a point a month, what stands as it stood at each month's end.
    assert long.points == "month"
    assert [(d.day.month, d.received, d.in_progress) for d in long.days] == [
        (1, 0, 0),
        (2, 0, 0),
        (3, 8, 3),
        (4, 0, 3),
    ]  # R4, R8, R9
    # A period of whole months only, and one ending on the last day of a month.
    march = await read_cockpit(CATALOG, reader("admin"), Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    assert march.totals.received == sum(d.received for d in march.days) == 8
    assert march.totals.backlog == long.totals.backlog


async def test_a_period_without_requests_draws_every_chart_saying_so(database):
    """A quiet service or an earlier month: every chart is drawn, for a desktop and a phone, and an
    empty one says so in the reader's language (a chart of open tasks with no department drawn
    once failed the whole page)."""
    from hub.cockpit.charts import charts

    empty = await read_cockpit(CATALOG, reader("admin"), PERIOD)
    drawn = charts(empty, "zh_CN")
    assert [c.id for c in drawn] == ["requests", "time-to-decision", "shares", "backlog", "paid"]
    for chart in drawn:
        assert chart.svg and chart.svg_phone, chart.id
    assert all("此期间内没有数据" in c.svg for c in drawn if c.id != "requests")
