from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:33:53:404158"
VERSION = "1.38.0"
DESCRIPTION = "Document numbers and verification codes are unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    async def unique_indexes():
        # Indexes, not UNIQUE columns: SQLite cannot add a UNIQUE column to an existing table.
        await Table.raw("CREATE UNIQUE INDEX IF NOT EXISTS document_number ON document (number)")
        await Table.raw("CREATE UNIQUE INDEX IF NOT EXISTS document_verification_code ON document (verification_code)")

    manager.add_raw(unique_indexes)

    return manager
