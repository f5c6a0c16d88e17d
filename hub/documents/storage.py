"""Content-addressed storage of document bytes: the SHA-256 of the bytes is the name.

Storing the same bytes twice is harmless. Two backends implement the same three methods: files
under a local folder (one machine), and an S3-compatible object store (every machine of a
deployment shares it); ``content_store(settings)`` picks one from ``content_store_url``. The methods
block (disk, or a network round trip to S3): async code never calls them itself but awaits the
helpers at the end of this module (``put_stored``, ``get_stored``, ``delete_stored``,
``store_document``, ``read_document``), which run them in a thread. Issued documents and uploads
are sealed before they are stored (they name people), so a store only ever holds sealed bytes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from hub.sealing import keys
from hub.settings import Settings, SettingsError


class ContentStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, sha256: str) -> bytes: ...

    def delete(self, sha256: str) -> None: ...


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256


class FileContentStore:
    """Files under ``root/ab/abcdef…``; written atomically, never overwritten."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / _checked(sha256)

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


class S3ContentStore:
    """Objects ``prefix/ab/abcdef…`` in a bucket of an S3-compatible store (AWS S3, MinIO, Ceph…).

    The same contract as the files: the name is the SHA-256 of the bytes, so a put of bytes already
    there writes nothing, a get checks the bytes against their name, and deleting what is not there
    is harmless. The bucket must exist; the hub never creates or lists it."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def key(self, sha256: str) -> str:
        name = f"{sha256[:2]}/{_checked(sha256)}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except _client_error() as exc:
            if _missing(exc):
                return False
            raise OSError(f"content store s3://{self.bucket}/{key}: {exc}") from exc
        return True

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = self.key(digest)
        if not self._exists(key):
            # An object appears whole or not at all; two machines writing the same bytes at once
            # write the same object. The store checks the upload against its MD5.
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
                ContentType="application/octet-stream",
            )
        return digest

    def get(self, sha256: str) -> bytes:
        key = self.key(sha256)
        try:
            data = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except _client_error() as exc:
            if _missing(exc):
                raise FileNotFoundError(f"stored document {sha256} is not in s3://{self.bucket}/{key}") from exc
            raise OSError(f"content store s3://{self.bucket}/{key}: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"stored document {sha256} is corrupted")
        return data

    def delete(self, sha256: str) -> None:
        """Remove the bytes (retention); S3 answers a delete of a missing object with success."""
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))


def _client_error() -> type[Exception]:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    return ClientError


def _missing(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def content_store(settings: Settings) -> ContentStore:
    """The store the settings name: local files when ``content_store_url`` is empty, otherwise the
    S3-compatible store at ``s3://bucket/prefix``. Every process builds its store here."""
    url = settings.content_store_url
    if not url:
        return FileContentStore(settings.documents_path)
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise SettingsError(f"QINQING_CONTENT_STORE_URL must be empty or s3://bucket/prefix, not {url!r}")
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        aws_access_key_id=settings.s3_access_key or None,
        aws_secret_access_key=settings.s3_secret_key or None,
        region_name=settings.s3_region or None,
        # Threads of one process share the client; the pool is sized for the worker's activities.
        # Checksums only where S3 requires them: the newer default ones are not understood by every
        # S3-compatible store (uploads carry their MD5 instead; reads are checked against the name).
        config=Config(
            max_pool_connections=32,
            retries={"max_attempts": 5, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    return S3ContentStore(client, bucket, prefix)


def seal_document(data: bytes, key: str) -> bytes:
    """An issued document's PDF as stored: sealed with the data keys, its key bound in."""
    return keys().seal_bytes(data, f"document:{key}")


def open_document(store: ContentStore, key: str, sha256: str, stored_as: str) -> bytes:
    """An issued document's PDF, as issued: opened from where the store keeps it (``stored_as``,
    the SHA-256 of its sealed bytes), and checked against its SHA-256."""
    if not stored_as:
        raise OSError(f"document {key} has no stored PDF")
    data = keys().open_bytes(store.get(stored_as), f"document:{key}")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"document {key} does not match its SHA-256")
    return data


# Async code (the web server's handlers, the worker's activities) goes through these: each runs
# the blocking store call (and the sealing beside it) in a thread, off the event loop.


async def put_stored(store: ContentStore, data: bytes) -> str:
    """``store.put(data)`` off the event loop."""
    return await asyncio.to_thread(store.put, data)


async def get_stored(store: ContentStore, sha256: str) -> bytes:
    """``store.get(sha256)`` off the event loop."""
    return await asyncio.to_thread(store.get, sha256)


async def delete_stored(store: ContentStore, sha256: str) -> None:
    """``store.delete(sha256)`` off the event loop."""
    await asyncio.to_thread(store.delete, sha256)


async def store_document(store: ContentStore, key: str, data: bytes) -> str:
    """Seal an issued document's PDF and store it, off the event loop; returns where it is stored."""
    return await asyncio.to_thread(lambda: store.put(seal_document(data, key)))


async def read_document(store: ContentStore, key: str, sha256: str, stored_as: str) -> bytes:
    """``open_document`` off the event loop."""
    return await asyncio.to_thread(open_document, store, key, sha256, stored_as)
