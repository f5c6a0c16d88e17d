from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T10:09:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "The cockpit's tallies read from their index alone"


class CoveringIndex(MigrationManager):
    """The cockpit sums one measure's counts over days: an index holding every column it reads
    answers without touching the table (PostgreSQL's index-only scans, SQLite's covering index)."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if self.preview:
            return
        if backwards:
            await Table.raw("DROP INDEX IF EXISTS cockpit_tally_read")
            await Table.raw(
                "CREATE INDEX IF NOT EXISTS cockpit_tally_measure_day ON cockpit_tally (measure, day, service_id)"
            )
            return
        await Table.raw("DROP INDEX IF EXISTS cockpit_tally_measure_day")
        await Table.raw(
            "CREATE INDEX IF NOT EXISTS cockpit_tally_read"
            " ON cockpit_tally (measure, day, service_id, department, step, bucket, n)"
        )


async def forwards():
    return CoveringIndex(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
