"""Signing and verifying credentials as JWTs (EdDSA over Ed25519) with the hub's signing keys.

The keys are those that sign documents (``hub.documents.signing.KeyRing``): the newest signs, every
key verifies, and their key ids are the JWTs' ``kid``. Their public halves are published as a JWKS,
rotated-out keys included, so a credential signed before a rotation keeps verifying.
"""

from __future__ import annotations

import warnings
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from hub.documents.signing import KeyRing

ALGORITHM = "EdDSA"


# joserfc notes that RFC 9864 names the algorithm "Ed25519" now; "EdDSA" is what verifiers read.
QUIET = ".*EdDSA is deprecated.*"


def key_ids(keys: KeyRing) -> list[str]:
    """Every key id of the ring, oldest first."""
    if keys.given is not None:
        return sorted(keys.given)
    if not keys.directory.exists():
        return []
    ids = {p.stem for p in keys.directory.glob("*.pub")} | {p.stem for p in keys.directory.glob("*.pem")}
    return sorted(ids)


def jwks(keys: KeyRing) -> dict[str, Any]:
    """The public keys as a JSON Web Key Set, rotated-out keys included."""
    out = []
    for key_id in key_ids(keys):
        public = keys.public(key_id)
        if public is None:
            continue
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        jwk = OKPKey.import_key(pem).as_dict(private=False)
        out.append({**jwk, "kid": key_id, "use": "sig", "alg": ALGORITHM})
    return {"keys": out}


def sign(keys: KeyRing, claims: dict[str, Any], typ: str = "vc+jwt") -> tuple[str, str]:
    """The claims signed as a compact JWT by the newest key; returns (jwt, key id)."""
    key_id = keys.ensure_key()
    pem = keys._private(key_id).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        header = {"alg": ALGORITHM, "kid": key_id, "typ": typ}
        token = jwt.encode(header, claims, OKPKey.import_key(pem), algorithms=[ALGORITHM])
    return token, key_id


def verify(keys: KeyRing, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (header, claims) of a JWT the hub's keys signed; None if the signature does not hold."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        try:
            key_set = KeySet.import_key_set(jwks(keys))  # type: ignore[arg-type]
            decoded = jwt.decode(token.strip(), key_set, algorithms=[ALGORITHM])
        except (JoseError, ValueError, KeyError, TypeError):
            return None
    return dict(decoded.header), dict(decoded.claims)
