"""The baseline of ``bench.api``: a bare Litestar JSON handler, served the way the hub is served."""

from __future__ import annotations

import argparse

from litestar import Litestar, get

from hub.cli import KEEP_ALIVE_SECONDS
from hub.serving import serve


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


app = Litestar(route_handlers=[hello])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the bare handler, in the hub's web server processes")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args()
    options = {"app": "bench.bare_app:app", "host": "127.0.0.1", "port": args.port, "log_level": "warning"}
    serve(options | {"access_log": args.access_log, "timeout_keep_alive": KEEP_ALIVE_SECONDS}, args.workers)
