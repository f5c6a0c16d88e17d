"""Signing the facts of issued documents (Ed25519), with key rotation by key id.

The issuer signs a canonical JSON of what the document states (number, kind, issuer, applicant,
outcome, dates, amount). Anyone holding the code printed on the document can have the hub check
that signature; any change to a signed fact makes it fail. Keys live as PEM files named
``<key id>.pem`` in one directory, or are given in ``QINQING_SIGNING_KEYS`` (``signing_keys``); the
newest signs, all of them verify, so old documents stay verifiable after a rotation.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub import clock
from hub.settings import Settings, signing_keys_from


def canonical(facts: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@dataclass(frozen=True)
class Signature:
    key_id: str
    value: str  # base64url


class KeyRing:
    """Ed25519 keys in a directory: ``<key id>.pem`` (private, 0600); or, when ``given`` (PEM by key
    id, from ``QINQING_SIGNING_KEYS``), those keys and no directory: nothing is ever generated."""

    def __init__(self, directory: Path, given: Mapping[str, bytes] | None = None):
        self.directory = directory
        self.given = dict(given) if given else None

    def _paths(self) -> list[Path]:
        return sorted(self.directory.glob("*.pem")) if self.directory.exists() else []

    def ensure_key(self) -> str:
        """The signing key's id, generating a first key when there is none (embedded default)."""
        if self.given is not None:
            return max(self.given)
        paths = self._paths()
        return paths[-1].stem if paths else self.rotate()

    def rotate(self) -> str:
        """Make a new key the signing key; earlier keys keep verifying what they signed."""
        if self.given is not None:
            raise RuntimeError("the signing keys come from QINQING_SIGNING_KEYS: rotate by adding a key there")
        self.directory.mkdir(parents=True, exist_ok=True)
        key_id = clock.now().strftime("k%Y%m%d%H%M%S%f")
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.directory / f"{key_id}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        # The public half beside it: a verifier needs only the .pub files.
        public = serialization.load_pem_private_key(pem, password=None).public_key()
        (self.directory / f"{key_id}.pub").write_bytes(
            public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return key_id

    def _private(self, key_id: str) -> Ed25519PrivateKey:
        pem = self.given[key_id] if self.given is not None else (self.directory / f"{key_id}.pem").read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"key {key_id} is not an Ed25519 key")
        return key

    def public(self, key_id: str) -> Ed25519PublicKey | None:
        """The verifying key of ``key_id``, from its .pub file (or its private key); None if unknown."""
        if not key_id.isalnum():
            return None
        if self.given is not None:
            return self._private(key_id).public_key() if key_id in self.given else None
        public_path, private_path = self.directory / f"{key_id}.pub", self.directory / f"{key_id}.pem"
        if public_path.exists():
            key = serialization.load_pem_public_key(public_path.read_bytes())
            return key if isinstance(key, Ed25519PublicKey) else None
        return self._private(key_id).public_key() if private_path.exists() else None

    def sign(self, facts: dict[str, Any]) -> Signature:
        key_id = self.ensure_key()
        value = self._private(key_id).sign(canonical(facts))
        return Signature(key_id=key_id, value=base64.urlsafe_b64encode(value).decode())

    def verify(self, facts: dict[str, Any], signature: Signature) -> bool:
        key = self.public(signature.key_id)
        if key is None:
            return False
        try:
            key.verify(base64.urlsafe_b64decode(signature.value.encode()), canonical(facts))
        except (InvalidSignature, ValueError):
            return False
        return True


def signing_key_ring(settings: Settings) -> KeyRing:
    """The signing keys the settings name: ``QINQING_SIGNING_KEYS`` when set, else the directory."""
    given = signing_keys_from(settings.signing_keys) if settings.signing_keys else None
    return KeyRing(settings.signing_keys_path, given)
