"""The web server's access log keeps no bearer token of a shared credential, no verification code
and no query string (a reason staff typed): the line uvicorn writes, through the filter the app
installs."""

from __future__ import annotations

import logging

from hub.settings import load_settings
from hub.web.app import create_app


def logged(path: str) -> str:
    # The record as uvicorn's access logger makes it.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )
    logging.getLogger("uvicorn.access").filter(record)
    return record.getMessage()


def test_secrets_and_words_stay_out_of_the_access_log(tmp_path):
    create_app(load_settings({"QINQING_VAR_DIR": str(tmp_path)}))
    line = logged("/verify/shared/sh_4f9a2b7c1d?x=1")
    assert "sh_4f9a2b7c1d" not in line and "/verify/shared/…?…" in line
    assert "ABCD2345" not in logged("/verify/ABCD2345")
    reason = logged("/api/requests/QQ1/documents/3?reason=%E6%A0%B8%E5%AF%B9%E5%BC%A0%E4%B8%89")
    assert "reason" not in reason and reason.endswith('"GET /api/requests/QQ1/documents/3?… HTTP/1.1" 200')
    assert logged("/verify").endswith('"GET /verify HTTP/1.1" 200')  # the form itself, as it is
