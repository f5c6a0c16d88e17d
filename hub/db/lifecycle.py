"""Opening and closing the database for a process; migrations and pragmas."""

from __future__ import annotations

from contextlib import asynccontextmanager

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from hub.db.engine import PooledSQLiteEngine
from hub.db.tables import Account
from hub.documents.storage import ContentStore
from hub.settings import Settings


def engine():
    return Account._meta.db


@asynccontextmanager
async def database(settings: Settings):
    """A connection pool on PostgreSQL for the life of the process; on SQLite the engine keeps
    its connections itself, and they are closed at the end."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10)
        try:
            yield db
        finally:
            await db.close_connection_pool()
    else:
        try:
            yield db
        finally:
            if isinstance(db, PooledSQLiteEngine):
                await db.close_connections()


async def migrate(settings: Settings) -> None:
    """Bring the schema up to date (both engines use the same Piccolo migrations)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        # WAL lets the web server read while the worker writes; the setting persists in the file.
        await db.run_ddl("PRAGMA journal_mode=WAL;")
    response = await run_forwards(app_name="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migrations failed: {response.message}")


async def seal_clear_values() -> int:
    """Seal personal values stored in clear before sealing existed; returns how many."""
    from hub.accounts import NAME_FIELD
    from hub.db.tables import Enterprise
    from hub.sealing import PREFIX, is_sealed, seal

    count = 0
    for row in await Account.select(Account.id, Account.resident_id).where(Account.resident_id.is_not_null()):
        if not is_sealed(row["resident_id"]):
            sealed = seal(row["resident_id"], "account.resident_id")
            await Account.update({Account.resident_id: sealed}).where(Account.id == row["id"])
            count += 1
    for row in await Account.select(Account.id, Account.full_name).where(Account.full_name.not_like(f"{PREFIX}%")):
        await Account.update({Account.full_name: seal(row["full_name"], NAME_FIELD)}).where(Account.id == row["id"])
        count += 1
    for row in await Enterprise.select(Enterprise.id, Enterprise.legal_representative):
        if row["legal_representative"] and not is_sealed(row["legal_representative"]):
            sealed = seal(row["legal_representative"], "enterprise.legal_representative")
            await Enterprise.update({Enterprise.legal_representative: sealed}).where(Enterprise.id == row["id"])
            count += 1
    return count + await _seal_clear_texts()


async def _seal_clear_texts() -> int:
    """People's own words written before they were sealed: clerks' comments and messages, their
    timeline steps, applicants' ratings."""
    from hub.db.records import (
        COMMENT_FIELD,
        MESSAGE_FIELD,
        RATING_FIELD,
        TIMELINE_TEXT_FIELD,
        TIMELINE_TEXT_KINDS,
        sealed_text,
    )
    from hub.db.tables import Rating, ReviewTask, TimelineEntry
    from hub.sealing import PREFIX

    count = 0
    texts = [
        (ReviewTask, ReviewTask.comment, COMMENT_FIELD, None),
        (ReviewTask, ReviewTask.request_message, MESSAGE_FIELD, None),
        (Rating, Rating.comment, RATING_FIELD, None),
        (TimelineEntry, TimelineEntry.detail, TIMELINE_TEXT_FIELD, TimelineEntry.kind.is_in(list(TIMELINE_TEXT_KINDS))),
    ]
    for table, column, field, only in texts:
        clear = (column != "") & column.not_like(f"{PREFIX}%")
        rows = await table.select(table.id, column.as_alias("text")).where(clear if only is None else clear & only)
        for row in rows:
            await table.update({column: sealed_text(row["text"], field)}).where(table.id == row["id"])
        count += len(rows)
    return count


async def seal_clear_uploads(files: ContentStore) -> int:
    """Seal the bytes of uploads stored in clear before files were sealed; returns how many."""
    from hub.db.tables import Upload
    from hub.sealing import FILE_PREFIX, keys

    count = 0
    for upload in await Upload.objects().where(Upload.sealed == False):  # noqa: E712 - a column, not a bool
        try:
            stored = files.get(upload.sha256)
        except (OSError, ValueError):
            continue  # missing or damaged: nothing to seal (a download says so)
        if not stored.startswith(FILE_PREFIX):
            sealed = files.put(keys().seal_bytes(stored, upload.token))
            await Upload.update({Upload.sha256: sealed, Upload.sealed: True}).where(Upload.id == upload.id)
            # Clear bytes are addressed by their content: another upload may still have them.
            if not await Upload.exists().where(Upload.sha256 == upload.sha256):
                files.delete(upload.sha256)
            count += 1
        else:
            await Upload.update({Upload.sealed: True}).where(Upload.id == upload.id)
    return count


async def seal_clear_documents(files: ContentStore) -> int:
    """Seal the PDFs of documents issued before documents were sealed; returns how many."""
    from hub.db.tables import Document
    from hub.documents.storage import seal_document

    count = 0
    issued_in_clear = (Document.sha256 != "") & (Document.stored_as == "")
    for doc in await Document.select(Document.id, Document.key, Document.sha256).where(issued_in_clear):
        try:
            clear = files.get(doc["sha256"])
        except (OSError, ValueError):
            continue  # missing or damaged: nothing to seal (a download says so)
        stored_as = files.put(seal_document(clear, doc["key"]))
        await Document.update({Document.stored_as: stored_as}).where(Document.id == doc["id"])
        files.delete(doc["sha256"])
        count += 1
    return count


async def ping() -> bool:
    try:
        await engine().run_ddl("SELECT 1;")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
