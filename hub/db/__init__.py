"""Piccolo tables and migrations. The engine comes from settings (see ``piccolo_conf``)."""

import os

# Piccolo binds tables to the engine named by PICCOLO_CONF when they are defined.
os.environ.setdefault("PICCOLO_CONF", "hub.db.piccolo_conf")

# Row ids are 32-bit integers on both engines.
MAX_ID = 2**31 - 1
