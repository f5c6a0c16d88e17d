"""Personal data sealed at rest: AES-256-GCM with key rotation by key id.

A sealed value is a string ``enc1:<key id>:<base64url(nonce + ciphertext + tag)>``; the field it
belongs to is bound in as associated data, so a value moved to another field does not open.
Keys are files ``<key id>.key`` (32 random bytes, base64) in one directory, or are given in
``QINQING_DATA_KEYS`` (``data_keys``): the newest seals, all of them open, so old values stay
readable after a rotation; the first one keys the digests rows are found by (``digest``). A value that is not sealed (in a recorded workflow history, whose
payloads are kept in clear to be read) is returned as it is; a file must be sealed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub import clock

if TYPE_CHECKING:
    from hub.settings import Settings

PREFIX = "enc1:"
# Sealed files (uploads): this line, the key id and a newline, then nonce + ciphertext + tag.
FILE_PREFIX = b"QQSEALED1\n"


class SealError(Exception):
    """A sealed value cannot be opened: unknown key, or the value or its field was changed."""


class DataKeys:
    """Keys in a directory; or, when ``given`` (from ``QINQING_DATA_KEYS``), those keys and no
    directory: nothing is ever generated."""

    def __init__(self, directory: Path, given: Mapping[str, bytes] | None = None):
        self.directory = directory
        self.given = dict(given) if given else None
        self._keys: dict[str, bytes] = {}
        # A cipher per key, made once: making one costs twice what opening a short value does.
        self._ciphers: dict[str, AESGCM] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        keys = {}
        if self.given is not None:
            keys = dict(self.given)
        elif self.directory.exists():
            for path in sorted(self.directory.glob("*.key")):
                keys[path.stem] = base64.b64decode(path.read_text().strip())
        with self._lock:
            self._keys, self._ciphers = keys, {}

    def ensure_key(self) -> str:
        """The sealing key's id, generating a first key when there is none (embedded default)."""
        if not self._keys:
            self._load()
        return max(self._keys) if self._keys else self.rotate()

    def rotate(self) -> str:
        """Make a new key the sealing key; earlier keys keep opening what they sealed."""
        if self.given is not None:
            raise RuntimeError("the data keys come from QINQING_DATA_KEYS: rotate by adding a key there")
        self.directory.mkdir(parents=True, exist_ok=True)
        key_id = clock.now().strftime("d%Y%m%d%H%M%S%f")
        fd = os.open(self.directory / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
        self._load()
        return key_id

    def _key(self, key_id: str) -> bytes:
        if key_id not in self._keys:
            self._load()  # another process may have rotated
        try:
            return self._keys[key_id]
        except KeyError:
            raise SealError(f"unknown data key {key_id!r}") from None

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self._key(key_id))
        return cipher

    def digest(self, value: str, purpose: str) -> str:
        """``<key id>:<keyed digest>`` of ``value``: the same value digests alike (for one purpose),
        and the value cannot be read back.

        The key is derived from the *first* data key, not the one that seals: a digest is what a
        row is found by (a resident, a person's open application or entitlement, a commitment's
        bar, a credential's holder), so it must not change when a rotation makes a new key seal
        new values. Keys are never removed, so the first one stays."""
        self.ensure_key()
        key_id = min(self._keys)
        derived = hmac.new(self._key(key_id), f"qinqing {purpose}".encode(), hashlib.sha256).digest()
        return f"{key_id}:{hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()[:32]}"

    def seal(self, value: str, field: str) -> str:
        key_id = self.ensure_key()
        nonce = secrets.token_bytes(12)
        data = nonce + self._cipher(key_id).encrypt(nonce, value.encode(), field.encode())
        return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(data).decode()}"

    def open(self, value: str, field: str) -> str:
        if not is_sealed(value):
            return value
        key_id, _, body = value[len(PREFIX) :].partition(":")
        data = base64.urlsafe_b64decode(body.encode())
        try:
            return self._cipher(key_id).decrypt(data[:12], data[12:], field.encode()).decode()
        except (InvalidTag, ValueError):
            raise SealError(f"sealed value of {field} does not open") from None

    def seal_bytes(self, data: bytes, name: str) -> bytes:
        """Seal a file's bytes; ``name`` (e.g. the upload's id) is bound in as associated data."""
        key_id = self.ensure_key()
        nonce = secrets.token_bytes(12)
        return (
            FILE_PREFIX
            + key_id.encode()
            + b"\n"
            + nonce
            + AESGCM(self._key(key_id)).encrypt(nonce, data, name.encode())
        )

    def open_bytes(self, blob: bytes, name: str) -> bytes:
        if not blob.startswith(FILE_PREFIX):  # every file is sealed as it is stored: this one was not
            raise SealError(f"file {name} is not sealed")
        key_id, _, data = blob[len(FILE_PREFIX) :].partition(b"\n")
        try:
            return AESGCM(self._key(key_id.decode())).decrypt(data[:12], data[12:], name.encode())
        except (InvalidTag, ValueError):
            raise SealError(f"sealed file {name} does not open") from None


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


_keys: DataKeys | None = None


def configure(directory: Path, given: Mapping[str, bytes] | None = None) -> DataKeys:
    """Use the keys in ``directory`` (or the keys ``given``) for this process."""
    global _keys
    _keys = DataKeys(directory, given)
    return _keys


def configure_from(settings: Settings) -> DataKeys:
    """Use the data keys the settings name (called at start): ``QINQING_DATA_KEYS`` when set, else
    the directory."""
    from hub.settings import data_keys_from

    return configure(settings.data_keys_path, data_keys_from(settings.data_keys) if settings.data_keys else None)


def keys() -> DataKeys:
    if _keys is None:
        from hub.settings import load_settings

        return configure_from(load_settings())
    return _keys


def seal(value: str | None, field: str) -> str | None:
    """Seal one value (None stays None; a value already sealed is kept as it is, never lost)."""
    if value is None or is_sealed(value):
        return value
    return keys().seal(str(value), field)


def unseal(value: str | None, field: str) -> str | None:
    return None if value is None else keys().open(value, field)


# Answers: JSON values of personal fields are sealed as their JSON text, so numbers stay numbers.


def seal_answers(personal: dict[str, str], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with every personal field (``personal``: spec.personal_fields) sealed."""
    return _walk(personal, answers, lambda path, v: keys().seal(json.dumps(v, ensure_ascii=False), f"answers.{path}"))


def open_answers(personal: dict[str, str], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with sealed values opened (for the applicant, rules, and authorised staff)."""

    def opened(path: str, v: Any) -> Any:
        return json.loads(keys().open(v, f"answers.{path}")) if is_sealed(v) else v

    return _walk(personal, answers, opened, every=True)


def _walk(personal: dict[str, str], answers: dict[str, Any], change, every: bool = False) -> dict[str, Any]:
    def one(path: str, value: Any) -> Any:
        if value is None:
            return value
        if path in personal and not is_sealed(value):
            return change(path, value)
        if every and is_sealed(value):
            return change(path, value)
        return value

    result: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
            result[key] = [{k: one(f"{key}.{k}", v) for k, v in item.items()} for item in value]
        else:
            result[key] = one(key, value)
    return result
