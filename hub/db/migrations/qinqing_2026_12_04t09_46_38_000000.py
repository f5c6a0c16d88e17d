from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-04T09:46:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "Credentials held by an enterprise"


class Enterprise(Table, tablename="enterprise", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree, choices=None)


class EnterpriseHeld(MigrationManager):
    """The column, then the credentials already issued to someone acting for an enterprise are the
    enterprise's (its registry's business licence among them)."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if backwards or self.preview:
            return
        await Table.raw(
            "UPDATE credential SET enterprise = (SELECT account.enterprise FROM account WHERE account.id = credential.holder) "
            "WHERE enterprise IS NULL"
        )


async def forwards():
    manager = EnterpriseHeld(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Credential",
        tablename="credential",
        column_name="enterprise",
        db_column_name="enterprise",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Enterprise,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
