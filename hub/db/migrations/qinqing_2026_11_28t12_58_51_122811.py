from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table
from piccolo.columns.column_types import Varchar

ID = "2026-11-28T12:58:51:122811"
VERSION = "1.38.0"
DESCRIPTION = "Longer task states; partial indexes of active tasks for inboxes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="ReviewTask",
        tablename="review_task",
        column_name="state",
        db_column_name="state",
        params={"length": 32},
        old_params={"length": 20},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def active_inbox_indexes():
        # Only active tasks (a few percent of rows), in the inbox's sort order: the first page of an
        # index scan is the answer. The condition must list exactly the active states.
        active = "state IN ('open', 'claimed', 'waiting_applicant', 'awaiting_confirmation')"
        for name, columns in (
            ("review_task_active_inbox", "department, due_at, id"),
            ("review_task_active_service", "department, service_id, due_at, id"),
            ("review_task_active_assignee", "department, assignee, due_at, id"),
        ):
            await Table.raw(f"CREATE INDEX IF NOT EXISTS {name} ON review_task ({columns}) WHERE {active}")

    manager.add_raw(active_inbox_indexes)

    return manager
