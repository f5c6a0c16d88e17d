"""Files attached to forms: uploads and the attachments of requests.

The front door for other domains: ``files`` (the checks of file answers, the attachments of a
request's answers and their bytes)."""

__all__ = ["files"]
