from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T00:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Revoked documents found by when they were revoked"


class RevokedDocuments(MigrationManager):
    """The held-messages schedule looks, on every run, for documents revoked in the last week whose
    applicant was not told: without an index it read every document the hub ever issued. Few are
    ever revoked, so the index holds those alone."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if self.preview:
            return
        if backwards:
            await Table.raw("DROP INDEX IF EXISTS document_revoked_at")
            return
        await Table.raw(
            "CREATE INDEX IF NOT EXISTS document_revoked_at ON document (revoked_at) WHERE revoked_at IS NOT NULL"
        )


async def forwards():
    return RevokedDocuments(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
