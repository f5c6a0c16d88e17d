"""The web server's access log without secrets or people's words in it: a shared credential's
link carries its bearer token in the path, a document's verification code is what lets anyone
check it, and a query string may hold a reason typed by staff (which the audit log seals). The log
keeps the method, the route's shape and the status; those parts are left out."""

from __future__ import annotations

import logging
import re

# /verify/shared/<token> and /verify/<code> (the form itself, /verify, stays as it is).
SECRET_IN_PATH = re.compile(r"^(/verify(?:/shared)?)/[^/?]+")


def redacted(path: str) -> str:
    """A request's path and query as the access log may keep it."""
    path, question, _ = path.partition("?")
    return SECRET_IN_PATH.sub(r"\1/…", path) + ("?…" if question else "")


class RedactedAccessLog(logging.Filter):
    """For uvicorn's access logger, whose record's arguments are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redacted(args[2]), args[3], args[4])
        return True


def redact_access_log() -> None:
    """Install the filter once per process (every web process makes its app)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactedAccessLog) for f in logger.filters):
        logger.addFilter(RedactedAccessLog())
