from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-29T08:38:09:471551"
VERSION = "1.38.0"
DESCRIPTION = "Account names sealed at rest: room for the sealed text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="Account",
        tablename="account",
        column_name="full_name",
        db_column_name="full_name",
        params={"length": 600},
        old_params={"length": 100},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
