"""The Litestar application: JSON API (and, later, pages)."""
