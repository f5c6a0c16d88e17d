from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-29T02:51:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Ledger accounts' balances from their entries"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    async def balances_from_entries():
        # A migration of its own: Piccolo runs a migration's raw steps before its new columns.
        await Table.raw(
            "UPDATE ledger_account SET balance_cents = COALESCE("
            "(SELECT SUM(amount_cents) FROM ledger_entry WHERE ledger_entry.account = ledger_account.id), 0)"
        )

    manager.add_raw(balances_from_entries)

    return manager
