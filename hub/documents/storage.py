"""Content-addressed storage of document bytes: the SHA-256 of the bytes is the name.

Storing the same bytes twice is harmless. Another backend (an S3-compatible store) implements the
same three methods. Issued documents and uploads are sealed before they are stored (they name
people), so a store only ever holds sealed bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from hub.sealing import keys


class ContentStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, sha256: str) -> bytes: ...

    def delete(self, sha256: str) -> None: ...


class FileContentStore:
    """Files under ``root/ab/abcdef…``; written atomically, never overwritten."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        return digest

    def get(self, sha256: str) -> bytes:
        data = self._path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"stored document {sha256} is corrupted")
        return data

    def delete(self, sha256: str) -> None:
        """Remove the bytes (retention); removing what is not there is harmless."""
        self._path(sha256).unlink(missing_ok=True)


def seal_document(data: bytes, key: str) -> bytes:
    """An issued document's PDF as stored: sealed with the data keys, its key bound in."""
    return keys().seal_bytes(data, f"document:{key}")


def open_document(store: ContentStore, key: str, sha256: str, stored_as: str) -> bytes:
    """An issued document's PDF, as issued: opened from the store, and checked against its SHA-256
    (a PDF stored in clear before documents were sealed is stored under that SHA-256)."""
    data = keys().open_bytes(store.get(stored_as or sha256), f"document:{key}")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"document {key} does not match its SHA-256")
    return data
