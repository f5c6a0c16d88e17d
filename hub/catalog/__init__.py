"""The service catalog as the hub presents it.

The front door for other domains: ``presenting`` (services, departments and forms in the reader's
language) and ``searching`` (services and life events by the words people type)."""

__all__ = ["presenting", "searching"]
