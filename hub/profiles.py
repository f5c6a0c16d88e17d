"""What the government already holds about an applicant: read through the registries' one port
(``hub/registry``), kept here under its old name for its callers."""

from __future__ import annotations

from hub.registry import applicant_data, person_facts

__all__ = ["applicant_data", "person_facts"]
