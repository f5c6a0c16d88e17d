"""Documents: rendering (WeasyPrint), content-addressed storage, and issuing.

The front door for other domains: ``storage`` (the content store, opening and sealing a stored
document) and ``issuer`` (a document's download); rendering and signing are this package's own.
"""

__all__ = ["issuer", "storage"]
