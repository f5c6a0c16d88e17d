from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T19:00:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "Uploads are always sealed: no sealed flag"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="qinqing", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="Upload",
        tablename="upload",
        column_name="sealed",
        db_column_name="sealed",
        schema=None,
    )

    return manager
