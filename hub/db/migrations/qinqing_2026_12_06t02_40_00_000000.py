import logging

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The notification table, no longer used, is dropped when empty"

log = logging.getLogger("qinqing.migrations")


class DropNotification(MigrationManager):
    """The ``notification`` table held an enterprise's policy messages before the message centre
    (``message`` rows) took them over; nothing has written or read it since, and a schema reader
    takes it for where messages live. It is dropped only when empty: a database still holding rows
    written before keeps them, and the upgrade says so."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if self.preview or backwards:
            return  # nothing to put back: it never held anything
        rows = await Table.raw("SELECT COUNT(*) AS n FROM notification")
        if rows and rows[0]["n"]:
            log.warning("the notification table holds %s rows: kept", rows[0]["n"])
            return
        await Table.raw("DROP TABLE notification")


async def forwards():
    return DropNotification(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
