"""Documents: rendering (WeasyPrint), content-addressed storage, and issuing.

The front door for other domains: ``storage`` (the content store, opening and sealing a stored
document), ``issuer`` (a document's download) and ``summaries`` (PDFs in the documents' look that
are not issued, such as a life event's combined result); ``corrections`` (a department correcting or
revoking what it issued) is for the web edge; rendering and signing are this package's own.
"""

__all__ = ["issuer", "storage", "summaries"]
