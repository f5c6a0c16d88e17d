from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL appends a batch of audit events to the chain in one statement"

SIGNATURE = "qinqing_audit_append(timestamptz[], integer[], text[], text[], text[], text[], text[], text[], bytea[])"
BACKWARDS = [f"DROP FUNCTION IF EXISTS {SIGNATURE}"]

# hub.audit on PostgreSQL: the head locked, the events chained and stored, the head moved past them,
# all in one call, so that outside a transaction the head is held for no round trip to the process
# that appends. The hash is hub.audit.event_hash's: SHA-256 of the previous hash, a newline and the
# event's canonical form (the hub passes its UTF-8 bytes, so no encoding of the server's comes in
# between), as lowercase hex; ``verify_chain`` recomputes every one in Python. The events are
# inserted in turn while the head is locked, so their ids grow in the chain's order.
#
# The function sees only PostgreSQL's own functions and the hub's tables, named with their schema
# ({schema}): no function or operator someone else made on the search path can stand in. Its text
# has no other braces: ``Table.raw`` would read them as placeholders.
FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.qinqing_audit_append(
    ats timestamptz[], actors integer[], actions text[], object_types text[], object_ids text[],
    request_refs text[], remote_addrs text[], details text[], canonicals bytea[]
) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    genesis CONSTANT text := '0000000000000000000000000000000000000000000000000000000000000000';
    newline CONSTANT bytea := decode('0a', 'hex');
    -- One writer makes a missing head; the key is the hub's alone.
    head_maker CONSTANT bigint := 7162953013847212;
    head_row integer;
    chained integer;
    prev text;
    digest text;
    newest integer;
    n integer := coalesce(array_length(canonicals, 1), 0);
BEGIN
    SELECT h.id, coalesce(nullif(h.last_hash, ''), genesis), h.count INTO head_row, prev, chained
        FROM {schema}.audit_head h ORDER BY h.id LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        -- No head yet (qinqing migrate makes it): one writer makes it, the others then lock it. An
        -- advisory lock, not a table lock: a table lock would queue the writer that holds the head,
        -- wanting to update it, behind one that waits for that writer's row.
        PERFORM pg_advisory_xact_lock(head_maker);
        SELECT h.id, coalesce(nullif(h.last_hash, ''), genesis), h.count INTO head_row, prev, chained
            FROM {schema}.audit_head h ORDER BY h.id LIMIT 1 FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO {schema}.audit_head (last_id, last_hash, count) VALUES (0, genesis, 0)
                RETURNING id INTO head_row;
            prev := genesis;
            chained := 0;
        END IF;
    END IF;
    FOR i IN 1..n LOOP
        digest := encode(sha256(convert_to(prev, 'UTF8') || newline || canonicals[i]), 'hex');
        INSERT INTO {schema}.audit_event
            (at, actor, action, object_type, object_id, request_ref, remote_addr, detail, prev_hash, hash)
            VALUES (ats[i], actors[i], actions[i], object_types[i], object_ids[i], request_refs[i],
                    remote_addrs[i], details[i]::json, prev, digest)
            RETURNING id INTO newest;
        prev := digest;
    END LOOP;
    IF n > 0 THEN
        UPDATE {schema}.audit_head SET last_id = newest, last_hash = prev, count = chained + n WHERE id = head_row;
    END IF;
    RETURN chained + n;
END
$$
"""


class AuditAppend(MigrationManager):
    """PostgreSQL only: on SQLite the hub chains the events itself, holding the write lock."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        engine = engine_finder()
        if self.preview or engine is None or engine.engine_type != "postgres":
            return
        async with engine.transaction():
            if backwards:
                for statement in BACKWARDS:
                    await Table.raw(statement)
                return
            # The schema the hub's tables were made in (Piccolo names none: the first on the path).
            (row,) = await Table.raw("SELECT current_schema() AS name")
            schema = '"' + row["name"].replace('"', '""') + '"'
            await Table.raw(FUNCTION.replace("{schema}", schema))
            # The hub's own role owns it and may call it; no one else.
            await Table.raw(f"REVOKE ALL ON FUNCTION {schema}.{SIGNATURE} FROM PUBLIC")


async def forwards():
    return AuditAppend(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
