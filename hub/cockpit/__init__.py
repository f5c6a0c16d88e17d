"""The cockpit: live figures for those who run services (supervisors for their department,
administrators and auditors for all).

The front door, for the web edge and for reports made of the same figures:

- ``parse_filters(catalog, start, end, department, service) -> Filters``: text as given (a query
  string), checked; raises ``hub.errors`` naming each field at fault (nothing is read).
- ``read_cockpit(catalog, actor, filters) -> Cockpit``: every figure for the filters, within what
  the actor may see (raises ``forbidden`` for other readers, and for a supervisor naming another
  department), names in ``actor.locale``. ``Cockpit`` and its parts are msgspec structs
  (``hub.cockpit.figures``).
- ``charts(cockpit, locale) -> list[Chart]``: each chart as SVG, with its table (for screen readers
  and CSV) and a stable id; ``chart_csv(chart) -> str``.
- ``rebuild() -> int``: the tallies counted again from the read model (``qinqing cockpit rebuild``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.cockpit.charts import CHART_IDS, Chart, chart_csv, charts
from hub.cockpit.figures import (
    BacklogDay,
    Cockpit,
    DayFigures,
    DepartmentFigures,
    PaidFigures,
    ServiceFigures,
    StepFigures,
    Totals,
    read_figures,
)
from hub.cockpit.ratings import RatingTotals, counted_ratings
from hub.cockpit.scope import READERS, Filters, parse_filters, require_reader, scope_of
from hub.db.tallies import rebuild

if TYPE_CHECKING:
    from forms.catalog import Catalog
    from hub.actor import Actor

__all__ = [
    "CHART_IDS",
    "READERS",
    "BacklogDay",
    "Chart",
    "Cockpit",
    "DayFigures",
    "DepartmentFigures",
    "Filters",
    "PaidFigures",
    "RatingTotals",
    "ServiceFigures",
    "StepFigures",
    "Totals",
    "chart_csv",
    "charts",
    "counted_ratings",
    "parse_filters",
    "read_cockpit",
    "rebuild",
    "require_reader",
]


async def read_cockpit(catalog: Catalog, actor: Actor, filters: Filters) -> Cockpit:
    """Every figure of the cockpit for ``filters``, as ``actor`` may see them."""
    return await read_figures(scope_of(catalog, actor, filters), filters)
