from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Supplements carry the rule results and expected amount of the answers they make"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Supplement",
        tablename="supplement",
        column_name="rule_results",
        db_column_name="rule_results",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": None,
            "null": True,
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
    manager.add_column(
        table_class_name="Supplement",
        tablename="supplement",
        column_name="expected_amount",
        db_column_name="expected_amount",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 24,
            "default": None,
            "null": True,
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
