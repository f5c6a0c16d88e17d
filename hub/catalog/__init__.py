"""The service catalog as the hub presents it.

The front door for other domains: ``presenting`` (services, departments and forms in the reader's
language)."""

__all__ = ["presenting"]
