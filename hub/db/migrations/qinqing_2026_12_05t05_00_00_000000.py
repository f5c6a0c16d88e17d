from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Sign-in attempts counted by a digest of the name typed, not the name"


class ForgetTypedNames(MigrationManager):
    """Counts kept under the name typed in clear (often a password in the wrong box) are dropped:
    the hub counts under the name's keyed digest from now on (a lockout under way starts over)."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if backwards or self.preview:
            return
        await Table.raw("DELETE FROM sign_in_throttle WHERE scope LIKE 'user:%'")


async def forwards():
    return ForgetTypedNames(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
