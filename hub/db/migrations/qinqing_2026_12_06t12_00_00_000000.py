from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL tells the web processes when a department's tasks change"

DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS inbox_accounts_emptied ON account",
    "DROP TRIGGER IF EXISTS inbox_account_renamed ON account",
    "DROP TRIGGER IF EXISTS inbox_requests_emptied ON service_request",
    "DROP TRIGGER IF EXISTS inbox_request_changed ON service_request",
    "DROP TRIGGER IF EXISTS inbox_tasks_emptied ON review_task",
    "DROP TRIGGER IF EXISTS inbox_task_changed ON review_task",
]
BACKWARDS = [*DROP_TRIGGERS, "DROP FUNCTION IF EXISTS qinqing_inbox_changed()"]

# hub.workbench.kept_inbox: a web process keeps the inbox pages it has read, by department, and
# drops a department's on these notices. Sent in the writing transaction, so on commit only,
# whoever writes: a task's department before and after the change (``g:<department>``); everything
# (``*``) when a table is emptied, or when what an inbox row shows of a request (its reference and
# service, as of this migration) or of an account (its sign-in name) changes.
FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION qinqing_inbox_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_LEVEL = 'STATEMENT' OR TG_TABLE_NAME <> 'review_task' THEN
            PERFORM pg_notify('qinqing_tasks', '*');
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('qinqing_tasks', 'g:' || coalesce(OLD.department, ''));
        END IF;
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('qinqing_tasks', 'g:' || coalesce(NEW.department, ''));
        ELSIF TG_OP = 'UPDATE' THEN
            IF NEW.department IS DISTINCT FROM OLD.department THEN
                PERFORM pg_notify('qinqing_tasks', 'g:' || coalesce(NEW.department, ''));
            END IF;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *DROP_TRIGGERS,
    "CREATE TRIGGER inbox_task_changed AFTER INSERT OR UPDATE OR DELETE ON review_task"
    " FOR EACH ROW EXECUTE FUNCTION qinqing_inbox_changed()",
    "CREATE TRIGGER inbox_tasks_emptied AFTER TRUNCATE ON review_task"
    " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_inbox_changed()",
    "CREATE TRIGGER inbox_request_changed AFTER UPDATE OF ref, service_id, service_version ON service_request"
    " FOR EACH ROW WHEN (OLD.ref IS DISTINCT FROM NEW.ref OR OLD.service_id IS DISTINCT FROM NEW.service_id"
    " OR OLD.service_version IS DISTINCT FROM NEW.service_version) EXECUTE FUNCTION qinqing_inbox_changed()",
    "CREATE TRIGGER inbox_requests_emptied AFTER TRUNCATE ON service_request"
    " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_inbox_changed()",
    "CREATE TRIGGER inbox_account_renamed AFTER UPDATE OF username ON account"
    " FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username) EXECUTE FUNCTION qinqing_inbox_changed()",
    "CREATE TRIGGER inbox_accounts_emptied AFTER TRUNCATE ON account"
    " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_inbox_changed()",
]


class InboxNotices(MigrationManager):
    """PostgreSQL only: SQLite has no notices, and its web processes keep no inbox pages."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        engine = engine_finder()
        if self.preview or engine is None or engine.engine_type != "postgres":
            return
        async with engine.transaction():
            for statement in BACKWARDS if backwards else FORWARDS:
                await Table.raw(statement)


async def forwards():
    return InboxNotices(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
