"""The governance report (white paper) of a month, a quarter or a year: its figures, its PDF in
Chinese and English, issued and signed like any document, and listed as open data."""

__all__ = ["issuing", "periods"]
