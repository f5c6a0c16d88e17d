"""A long matching run shows how far it has got: a stack of its own with a registry large enough
that matching a program takes a few seconds. While it runs, the programs' oversight read and the
administrators' page say how many enterprises were evaluated of the registry's total, how many
qualify so far and about how long is left; afterwards, that it finished and what it found."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.stack.flows import program_spec, wait_for
from tests.stack.harness import PASSWORD, Api, start_stack

pytestmark = pytest.mark.stack

# Synthetic enterprises; the seed adds the demo ones.
ENTERPRISES = 6000
DEMO = 4


@pytest.fixture(scope="module")
def big_stack(tmp_path_factory):
    hub = start_stack(tmp_path_factory.mktemp("matching-progress"), QINQING_DEMO_ENTERPRISES=str(ENTERPRISES))
    try:
        yield hub
    finally:
        hub.shutdown()


def page_client(stack, username: str, locale: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.base_url, timeout=30)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    form = {"username": username, "password": PASSWORD, "next": "/", "_csrf_token": token}
    assert client.post("/signin", data=form).status_code == 303
    chosen = client.post("/language", data={"locale": locale, "next": "/", "_csrf_token": token})
    assert chosen.status_code == 303
    return client


def matching_of(admin: Api, code: str) -> dict:
    r = admin.get(f"/api/programs/{code}/matches", params={"limit": 1})
    assert r.status_code == 200, r.text
    return r.json()["matching"]


def test_a_running_matching_shows_its_progress_then_that_it_finished(big_stack):
    admin = Api(big_stack.base_url, "admin", locale="en")
    total = ENTERPRISES + DEMO
    # Let the seeded programs' matching finish first, so the new one has the worker to itself.
    wait_for(
        lambda: all(p["matched_at"] for p in admin.get("/api/open/programs").json()),
        timeout=60,
        what="the seeded programs' matching",
    )
    code = "progress-2026"
    r = admin.post("/api/programs", json=program_spec(code))
    assert r.status_code == 201, r.text

    samples: list[dict] = []
    page_seen = fragment_seen = False
    en = page_client(big_stack, "admin", "en")
    zh = page_client(big_stack, "auditor", "zh_CN")
    started = time.monotonic()
    while time.monotonic() - started < 60:
        m = matching_of(admin, code)
        samples.append(m)
        if m["state"] == "finished":
            break
        if m["state"] == "running" and 0 < m["evaluated"] < total and not page_seen:
            page = en.get("/admin/programs")
            assert page.status_code == 200
            assert re.search(
                rf"Matching: \d+ of {total} enterprises evaluated \(\d+%\), \d+ eligible so far", page.text
            )
            assert f'<progress id="matching-bar-{code}" max="{total}"' in page.text
            assert 'aria-label="Matching progress"' in page.text
            assert f'hx-get="/admin/programs/{code}/matching" hx-trigger="every 2s"' in page.text
            page_seen = True
        elif m["state"] == "running" and 0 < m["evaluated"] < total and not fragment_seen:
            fragment = zh.get(f"/admin/programs/{code}/matching", headers={"HX-Request": "true"})
            assert fragment.status_code == 200
            assert "匹配中：已评估" in fragment.text and f"共{total}家" in fragment.text
            assert "<html" not in fragment.text
            fragment_seen = True
        time.sleep(0.2)

    running = [s for s in samples if s["state"] == "running"]
    assert len(running) >= 3, samples
    assert all(s["total"] == total for s in running)
    evaluated = [s["evaluated"] for s in running]
    assert evaluated == sorted(evaluated) and evaluated[-1] > evaluated[0], evaluated
    assert all(0 <= s["percent"] <= 100 and s["eligible"] <= s["evaluated"] for s in running)
    assert running[-1]["started_at"] is not None
    assert any(s["estimated_seconds_left"] is not None for s in running), running
    assert page_seen and fragment_seen

    final = samples[-1]
    assert final["state"] == "finished", samples[-3:]
    assert final["evaluated"] == final["total"] == total
    assert final["percent"] == 100 and final["finished_at"]
    matches = admin.get(f"/api/programs/{code}/matches", params={"limit": 1}).json()
    assert matches["evaluated"] == total and final["eligible"] == matches["eligible"] > 0

    # Once finished the page says so, and the fragment no longer asks for itself again.
    page = en.get("/admin/programs")
    assert "Matching finished" in page.text
    fragment = en.get(f"/admin/programs/{code}/matching")
    assert "Matching finished" in fragment.text and "hx-trigger" not in fragment.text
    # Not for enterprises.
    assert page_client(big_stack, "yunqi", "en").get(f"/admin/programs/{code}/matching").status_code in (403, 404)
