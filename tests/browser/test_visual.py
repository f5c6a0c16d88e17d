"""Visual regression: the main pages at 375 and 1280 px wide look as their reference screenshots in
tests/browser/references/ do, within a tolerance.

The pages are made deterministic before the shot: text that changes from run to run (references,
dates and times, document numbers, verification codes) is replaced by a fixed placeholder, lists
whose length depends on what other tests did keep their first entry, and programs other tests
published and the header's unread count are left out. Anti-aliasing and font hinting change glyph
edges by a few levels: both images are blurred a little and compared in grey, 16 px tile by 16 px
tile, and a tile counts as changed when its mean difference is over ``LEVELS``. Hinting noise
changes no tile; a block moved by a few pixels changes several. Up to ``MAX_TILES`` may change.

An intended change updates the references in the same commit: ``QINQING_UPDATE_REFERENCES=1
python -m pytest -q tests/browser/test_visual.py`` writes them anew (hub/web/DESIGN.md). A failed
comparison leaves the shot and a picture of the difference in var/test-artifacts/screenshots/visual/.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from tests.browser.pages import header_settled, new_page, reload_until, sign_in
from tests.stack.flows import file_request, open_task
from tests.stack.harness import Api

REFERENCES = Path(__file__).resolve().parent / "references"
WIDTHS = {375: {"width": 375, "height": 812}, 1280: {"width": 1280, "height": 800}}
BLUR = 1.5  # px: glyph edges drawn a little differently blur to the same grey
TILE = 16  # px: the difference is averaged over tiles this size
LEVELS = 24  # grey levels (of 255) a tile's mean must move by to count as changed
MAX_TILES = 3  # a 44 px button moved by 20 px changes about 5; hinting noise none
# Programs the hub is seeded with (forms/programs/): other tests publish more, which are left out.
SEEDED_PROGRAMS = ("job-stabilisation-2026", "new-hire-insurance-2026", "rnd-subsidy-2026")

NORMALISE = """(rules) => {
  for (const [selector, action] of rules) {
    for (const el of document.querySelectorAll(selector)) {
      if (action === 'remove') el.remove();
      else if (action === 'first') [...el.children].slice(1).forEach((c) => c.remove());
      else el.textContent = action;
    }
  }
  if (document.activeElement) document.activeElement.blur();
}"""
DATE = "2026-01-01"
REF = "QQ0000000000000"
# What each page changes from run to run, and the fixed text or treatment it gets.
RULES = {
    "home": [],
    "service": [],
    "request": [
        ("dl.facts", "first-three"),
        ("dl.facts dd:nth-of-type(1)", REF),
        ("dl.facts dd:nth-of-type(3)", DATE),
        ("ol.steps time, ol.steps .step-due", DATE),
        ("ol.timeline", "first"),
        ("ol.timeline time", DATE),
        ("ul.documents", "first"),
        ("ul.documents li", "受理回执 (PDF) · " + DATE),
    ],
    "inbox": [
        ("table.inbox tbody", "first"),
        ("table.inbox tbody tr", "row"),
        ("table.inbox tbody td:nth-child(1)", DATE),
        ("table.inbox tbody td:nth-child(2) a", REF),
        ("table.inbox tbody td:nth-child(3)", "80周岁以上老年人高龄津贴"),
        ("table.inbox tbody td:nth-child(4)", "居住及生活状况核查"),
        ("table.inbox tbody td:nth-child(5)", "待审核"),
        ("table.inbox tbody td:nth-child(6)", ""),
    ],
    "policies": [
        ("article.card" + "".join(f":not([aria-labelledby='p-{code}'])" for code in SEEDED_PROGRAMS), "remove"),
    ],
}


def normalise(page, name: str) -> None:
    header_settled(page)  # its unread count counts what other tests sent: left out below
    rules = [[".messages-link .badge", "remove"], [".unread-phone .badge", "remove"]]
    for selector, action in RULES[name]:
        if action == "first-three":  # the facts every request has: reference, status, filed on
            page.evaluate(
                "(s) => document.querySelectorAll(s + ' > :nth-child(n+7)').forEach((e) => e.remove())", selector
            )
        elif action == "row":  # no urgency colour or badge: they follow the calendar
            page.evaluate(
                "(s) => document.querySelectorAll(s).forEach((r) => { r.className = ''; "
                "r.querySelectorAll('.badge').forEach((b) => b.remove()); })",
                selector,
            )
        else:
            rules.append([selector, action])
    page.evaluate(NORMALISE, rules)
    page.evaluate("document.fonts.ready")


def changed_tiles(reference: Image.Image, shot: Image.Image) -> tuple[int, Image.Image | None]:
    """How many tiles changed (-1 when the sizes differ), and a picture of which."""
    if reference.size != shot.size:
        return -1, None
    a, b = (i.convert("L").filter(ImageFilter.GaussianBlur(BLUR)) for i in (reference, shot))
    moved = ImageChops.difference(a, b).reduce(TILE).point(lambda v: 255 if v > LEVELS else 0)
    return moved.histogram()[255], moved.resize(reference.size)


def test_the_comparison_ignores_blurred_edges_and_catches_a_moved_block():
    with Image.open(REFERENCES / "home-375.png") as opened:
        reference = opened.convert("RGB")
    assert changed_tiles(reference, reference.filter(ImageFilter.GaussianBlur(0.6)))[0] == 0
    moved = reference.copy()
    box = (0, 400, reference.width, 460)  # the search field and its button, 20 px lower
    block = reference.crop(box)
    moved.paste(Image.new("RGB", block.size, "white"), box)
    moved.paste(block, (0, box[1] + 20))
    assert changed_tiles(reference, moved)[0] > MAX_TILES
    assert changed_tiles(reference, reference.crop((0, 0, reference.width, reference.height - 10)))[0] == -1


def test_main_pages_look_as_their_references(browser, stack, screenshots):
    citizen = Api(stack.base_url, "zhangsan")
    ref = file_request(citizen).json()["ref"]
    open_task(Api(stack.base_url, "street.clerk"), ref)
    journeys = [
        (None, [("home", "/"), ("service", "/services/elderly-care-allowance")]),
        ("zhangsan", [("request", f"/requests/{ref}")]),
        ("street.clerk", [("inbox", "/workbench")]),
        ("qihang", [("policies", "/policies")]),
    ]
    update = bool(os.environ.get("QINQING_UPDATE_REFERENCES"))
    failures = []
    out = screenshots / "visual"
    out.mkdir(exist_ok=True)
    REFERENCES.mkdir(exist_ok=True)
    for width, viewport in WIDTHS.items():
        for username, pages in journeys:
            page = new_page(browser, stack.base_url, viewport=viewport)
            if username:
                sign_in(page, username)
            for name, path in pages:
                page.goto(path)
                if name == "request":  # the workflow has opened the first step and issued the receipt
                    reload_until(
                        page,
                        lambda p: (
                            p.locator("ol.steps [aria-current=step]").count() == 1
                            and p.locator("ul.documents li").count() > 0
                            and p.locator("ol.timeline li").count() >= 3
                        ),
                    )
                normalise(page, name)
                shot_path = out / f"{name}-{width}.png"
                page.screenshot(path=str(shot_path), full_page=True, animations="disabled", caret="hide")
                reference_path = REFERENCES / f"{name}-{width}.png"
                if update:
                    reference_path.write_bytes(shot_path.read_bytes())
                    continue
                if not reference_path.exists():
                    failures.append(f"{name} at {width}px: no reference (QINQING_UPDATE_REFERENCES=1 makes it)")
                    continue
                with Image.open(reference_path) as reference, Image.open(shot_path) as shot:
                    changed, where = changed_tiles(reference, shot)
                    if changed < 0:
                        failures.append(f"{name} at {width}px: {reference.size} became {shot.size}, see {shot_path}")
                    elif changed > MAX_TILES:
                        assert where is not None
                        where.save(out / f"{name}-{width}-difference.png")
                        failures.append(f"{name} at {width}px: {changed} tiles of {TILE} px changed, see {shot_path}")
            page.context.close()
    assert not failures, "pages differ from their references:\n" + "\n".join(failures)
