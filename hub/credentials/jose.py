"""Signing and verifying credentials as JWTs (EdDSA over Ed25519) with the hub's signing keys.

The keys are those that sign documents (the hub's key ring: PEM files named ``<key id>.pem`` in
one directory, with their public halves as ``.pub``, or the keys given in ``QINQING_SIGNING_KEYS``):
the newest signs, every key verifies, and their key ids are the JWTs' ``kid``. Their public halves are published as a JWKS,
rotated-out keys included, so a credential signed before a rotation keeps verifying.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from hub.settings import Settings, signing_keys_from

ALGORITHM = "EdDSA"


class SigningKeys(Protocol):
    """The hub's key ring as the document issuer holds it: a directory of key files, or given keys."""

    directory: Path
    given: dict[str, bytes] | None

    def ensure_key(self) -> str:
        """The newest key's id (the key that signs)."""
        ...


@dataclass
class KeyFiles:
    """The key ring read from the settings, for a process that was handed none: it signs with the
    newest key there is and never makes one (the hub's start makes the first)."""

    directory: Path
    given: dict[str, bytes] | None = None

    def ensure_key(self) -> str:
        ids = key_ids(self)
        if not ids:
            raise RuntimeError("no signing key: start the hub once to make one")
        return ids[-1] if self.given is not None else max(p.stem for p in self.directory.glob("*.pem"))


def key_files(settings: Settings) -> KeyFiles:
    given = signing_keys_from(settings.signing_keys) if settings.signing_keys else None
    return KeyFiles(settings.signing_keys_path, given)


# joserfc notes that RFC 9864 names the algorithm "Ed25519" now; "EdDSA" is what verifiers read.
QUIET = ".*EdDSA is deprecated.*"


def key_ids(keys: SigningKeys) -> list[str]:
    """Every key id of the ring, oldest first."""
    if keys.given is not None:
        return sorted(keys.given)
    if not keys.directory.exists():
        return []
    ids = {p.stem for p in keys.directory.glob("*.pub")} | {p.stem for p in keys.directory.glob("*.pem")}
    return sorted(ids)


def public_key(keys: SigningKeys, key_id: str) -> Ed25519PublicKey | None:
    """A key's public half: its .pub file, else derived from its private key."""
    if not key_id.isalnum():
        return None
    if keys.given is None and (keys.directory / f"{key_id}.pub").exists():
        loaded = serialization.load_pem_public_key((keys.directory / f"{key_id}.pub").read_bytes())
        return loaded if isinstance(loaded, Ed25519PublicKey) else None
    private = private_key(keys, key_id)
    return private.public_key() if private is not None else None


def private_key(keys: SigningKeys, key_id: str) -> Ed25519PrivateKey | None:
    if keys.given is not None:
        pem = keys.given.get(key_id)
    else:
        path = keys.directory / f"{key_id}.pem"
        pem = path.read_bytes() if path.exists() else None
    if pem is None:
        return None
    loaded = serialization.load_pem_private_key(pem, password=None)
    return loaded if isinstance(loaded, Ed25519PrivateKey) else None


def jwks(keys: SigningKeys) -> dict[str, Any]:
    """The public keys as a JSON Web Key Set, rotated-out keys included."""
    out = []
    for key_id in key_ids(keys):
        public = public_key(keys, key_id)
        if public is None:
            continue
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        jwk = OKPKey.import_key(pem).as_dict(private=False)
        out.append({**jwk, "kid": key_id, "use": "sig", "alg": ALGORITHM})
    return {"keys": out}


def sign(keys: SigningKeys, claims: dict[str, Any], typ: str = "vc+jwt") -> tuple[str, str]:
    """The claims signed as a compact JWT by the newest key; returns (jwt, key id)."""
    key_id = keys.ensure_key()
    private = private_key(keys, key_id)
    if private is None:
        raise RuntimeError(f"signing key {key_id} cannot be read")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        header = {"alg": ALGORITHM, "kid": key_id, "typ": typ}
        token = jwt.encode(header, claims, OKPKey.import_key(pem), algorithms=[ALGORITHM])
    return token, key_id


def verify(keys: SigningKeys, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (header, claims) of a JWT the hub's keys signed; None if the signature does not hold."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        try:
            key_set = KeySet.import_key_set(jwks(keys))  # type: ignore[arg-type]
            decoded = jwt.decode(token.strip(), key_set, algorithms=[ALGORITHM])
        except (JoseError, ValueError, KeyError, TypeError):
            return None
    return dict(decoded.header), dict(decoded.claims)
