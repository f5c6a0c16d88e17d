"""Open data: the published aggregates as downloads (CSV and JSON) with their data dictionary, and
the protection of small counts (``suppression``)."""

__all__ = ["datasets", "suppression"]
