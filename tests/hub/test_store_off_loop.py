"""Async code reaches the content store through the helpers in hub.documents.storage, which run
each blocking call (a disk write, or a network round trip to S3) in a thread, off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import pytest

from hub import sealing
from hub.documents.storage import (
    FileContentStore,
    delete_stored,
    get_stored,
    put_stored,
    read_document,
    store_document,
)


class RecordingStore(FileContentStore):
    """A file store that notes which thread each call ran on."""

    def __init__(self, root):
        super().__init__(root)
        self.threads: list[int] = []

    def put(self, data: bytes) -> str:
        self.threads.append(threading.get_ident())
        return super().put(data)

    def get(self, sha256: str) -> bytes:
        self.threads.append(threading.get_ident())
        return super().get(sha256)

    def delete(self, sha256: str) -> None:
        self.threads.append(threading.get_ident())
        super().delete(sha256)


@pytest.fixture
def data_keys(tmp_path):
    kept = sealing._keys
    sealing.configure(tmp_path / "data-keys").ensure_key()
    yield
    sealing._keys = kept


def test_every_store_call_runs_off_the_event_loop(tmp_path, data_keys):
    store = RecordingStore(tmp_path / "documents")
    pdf = b"%PDF-1.7 issued"

    async def run() -> int:
        stored_as = await store_document(store, "doc-1", pdf)
        assert await read_document(store, "doc-1", hashlib.sha256(pdf).hexdigest(), stored_as) == pdf
        plain = await put_stored(store, b"bytes")
        assert await get_stored(store, plain) == b"bytes"
        await delete_stored(store, stored_as)
        await delete_stored(store, plain)
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    assert len(store.threads) == 6 and loop_thread not in store.threads
    assert not any(p.is_file() for p in (tmp_path / "documents").rglob("*"))
