from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T05:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Disability certificate credentials keyed without the certificate's number"

PREFIX = "registry:disability-certificate:"


class KeysWithoutNumbers(MigrationManager):
    """registry:disability-certificate:<holder>:<certificate number>:<digest> becomes
    ...:<holder>:certificate:<digest>: the number is the holder's identity number."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if backwards or self.preview:
            return
        rows = await Table.raw("SELECT id, key FROM credential WHERE key LIKE {}", PREFIX + "%")
        for row in rows:
            parts = row["key"].split(":")
            if len(parts) == 5 and not parts[3].startswith("certificate"):
                key = ":".join([*parts[:3], "certificate", parts[4]])
                await Table.raw("UPDATE credential SET key = {} WHERE id = {}", key, row["id"])


async def forwards():
    return KeysWithoutNumbers(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
