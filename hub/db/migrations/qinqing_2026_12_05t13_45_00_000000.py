from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T13:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL tells the web processes when a session ends or an account changes"

DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS account_emptied ON account",
    "DROP TRIGGER IF EXISTS account_changed ON account",
    "DROP TRIGGER IF EXISTS api_session_emptied ON api_session",
    "DROP TRIGGER IF EXISTS api_session_changed ON api_session",
]
BACKWARDS = [*DROP_TRIGGERS, "DROP FUNCTION IF EXISTS qinqing_sign_in_changed()"]

# hub.kept_sessions: a web process keeps the callers it has read, and drops one on these notices.
# Sent in the writing transaction, so on commit only, whoever writes. An account's notice only for
# the columns a caller is made of (hub.accounts.CALLER_FIELDS as of this migration).
FORWARDS = [
    """
    CREATE OR REPLACE FUNCTION qinqing_sign_in_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
            PERFORM pg_notify('qinqing_sign_ins', '*');
        ELSIF TG_TABLE_NAME = 'api_session' THEN
            PERFORM pg_notify('qinqing_sign_ins', 's:' || OLD.token_hash);
        ELSE
            PERFORM pg_notify('qinqing_sign_ins', 'a:' || OLD.id);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *DROP_TRIGGERS,
    "CREATE TRIGGER api_session_changed AFTER UPDATE OR DELETE ON api_session"
    " FOR EACH ROW EXECUTE FUNCTION qinqing_sign_in_changed()",
    "CREATE TRIGGER api_session_emptied AFTER TRUNCATE ON api_session"
    " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_sign_in_changed()",
    "CREATE TRIGGER account_changed AFTER UPDATE OF id, username, full_name, role, department,"
    " locale, resident_id, enterprise, enterprise_role OR DELETE ON account"
    " FOR EACH ROW EXECUTE FUNCTION qinqing_sign_in_changed()",
    "CREATE TRIGGER account_emptied AFTER TRUNCATE ON account"
    " FOR EACH STATEMENT EXECUTE FUNCTION qinqing_sign_in_changed()",
]


class SignInNotices(MigrationManager):
    """PostgreSQL only: SQLite has no notices, and its web processes keep no callers."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        engine = engine_finder()
        if self.preview or engine is None or engine.engine_type != "postgres":
            return
        async with engine.transaction():
            for statement in BACKWARDS if backwards else FORWARDS:
                await Table.raw(statement)


async def forwards():
    return SignInNotices(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
