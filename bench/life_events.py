"""What a life event saves its applicant: the fields they fill on its one form against the sum of
the separate services' forms, and the filings (visits) it saves. Counted from the catalog itself,
so a new event or a changed form changes the figure.

    .venv/bin/python -m bench.life_events
"""

from __future__ import annotations

from forms.catalog import load_catalog
from hub.life_events.forms import one_form, part_spec


def main() -> int:
    catalog = load_catalog()
    print(f"{'life event':<16} {'fields, one form':>16} {'fields, separately':>19} {'asked':>7} {'filings':>8}")
    for event in catalog.life_events.values():
        asked = len(one_form(catalog, event))
        separately = sum(len(part_spec(catalog, p).fields) for p in event.parts)
        print(f"{event.id:<16} {asked:>16} {separately:>19} {asked / separately:>6.2f}x {1:>4} of {len(event.parts)}")
    print("asked: the one form's fields as a share of the separate forms' (lower is better)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
