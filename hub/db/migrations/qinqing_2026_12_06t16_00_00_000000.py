from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL tells the web processes when a request or one of its parts changes"

TABLES = ("service_request", "review_task", "timeline_entry", "document", "account")
ROW_TRIGGERS = {
    "service_request": "detail_request_changed",
    "review_task": "detail_task_changed",
    "timeline_entry": "detail_entry_changed",
    "document": "detail_document_changed",
    "account": "detail_account_moved",
}
EMPTIED_TRIGGERS = {
    "service_request": "detail_requests_emptied",
    "review_task": "detail_tasks_emptied",
    "timeline_entry": "detail_entries_emptied",
    "document": "detail_documents_emptied",
    "account": "detail_accounts_emptied",
}
DROP_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {name} ON {table}"
    for triggers in (ROW_TRIGGERS, EMPTIED_TRIGGERS)
    for table, name in triggers.items()
]
BACKWARDS = [*DROP_TRIGGERS, "DROP FUNCTION IF EXISTS qinqing_detail_changed()"]

# hub.requests.kept_details: a web process keeps the requests' details it has read, by request, and
# drops a request's on these notices. Sent in the writing transaction, so on commit only, whoever
# writes: the request's reference (``g:<ref>``) when it changes or goes, or when one of its tasks,
# timeline entries or documents is added, changed or goes (under the request before and after a
# move); everything (``*``) when a table is emptied, when a part's request cannot be found, and when
# an account's enterprise changes or the account goes (an enterprise's accounts read its requests
# as their applicant).
FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION qinqing_detail_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        request_ids bigint[] := ARRAY[]::bigint[];
        request_id bigint;
        request_ref text;
    BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
            PERFORM pg_notify('qinqing_requests', '*');
            RETURN NULL;
        END IF;
        IF TG_TABLE_NAME = 'account' THEN
            IF TG_OP = 'DELETE' OR NEW.enterprise IS DISTINCT FROM OLD.enterprise THEN
                PERFORM pg_notify('qinqing_requests', '*');
            END IF;
            RETURN NULL;
        END IF;
        IF TG_TABLE_NAME = 'service_request' THEN
            PERFORM pg_notify('qinqing_requests', 'g:' || OLD.ref);
            IF TG_OP = 'UPDATE' AND NEW.ref IS DISTINCT FROM OLD.ref THEN
                PERFORM pg_notify('qinqing_requests', 'g:' || coalesce(NEW.ref, ''));
            END IF;
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            request_ids := request_ids || OLD.request::bigint;
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.request IS DISTINCT FROM OLD.request) THEN
            request_ids := request_ids || NEW.request::bigint;
        END IF;
        FOREACH request_id IN ARRAY request_ids LOOP
            request_ref := NULL;
            SELECT r.ref INTO request_ref FROM service_request r WHERE r.id = request_id;
            PERFORM pg_notify('qinqing_requests', coalesce('g:' || request_ref, '*'));
        END LOOP;
        RETURN NULL;
    END
    $$
    """,
    *DROP_TRIGGERS,
    "CREATE TRIGGER detail_request_changed AFTER UPDATE OR DELETE ON service_request"
    " FOR EACH ROW EXECUTE FUNCTION qinqing_detail_changed()",
    *(
        f"CREATE TRIGGER {ROW_TRIGGERS[table]} AFTER INSERT OR UPDATE OR DELETE ON {table}"
        " FOR EACH ROW EXECUTE FUNCTION qinqing_detail_changed()"
        for table in ("review_task", "timeline_entry", "document")
    ),
    "CREATE TRIGGER detail_account_moved AFTER UPDATE OF enterprise OR DELETE ON account"
    " FOR EACH ROW EXECUTE FUNCTION qinqing_detail_changed()",
    *(
        f"CREATE TRIGGER {EMPTIED_TRIGGERS[table]} AFTER TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_detail_changed()"
        for table in TABLES
    ),
]


class DetailNotices(MigrationManager):
    """PostgreSQL only: SQLite has no notices, and its web processes keep no details."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        engine = engine_finder()
        if self.preview or engine is None or engine.engine_type != "postgres":
            return
        async with engine.transaction():
            for statement in BACKWARDS if backwards else FORWARDS:
                await Table.raw(statement)


async def forwards():
    return DetailNotices(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
