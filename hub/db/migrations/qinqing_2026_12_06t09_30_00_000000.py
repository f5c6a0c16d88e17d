from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A message in the hub is kept in each of the hub's languages"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Message",
        tablename="message",
        column_name="renderings",
        db_column_name="renderings",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
