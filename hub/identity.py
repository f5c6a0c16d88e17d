"""Who a person is: identity providers behind one small interface.

The hub's own passwords are the default provider. A city that runs its own identity provider
configures OpenID Connect (``QINQING_OIDC_ISSUER``, ``QINQING_OIDC_CLIENT_ID``,
``QINQING_OIDC_CLIENT_SECRET``): the sign-in page sends the person to the provider with
``authorization_url`` (authorization code flow with PKCE and a nonce), and the code that comes
back is exchanged and its ID token verified (signature against the provider's published keys,
issuer, audience, expiry, nonce) before the hub account named by ``QINQING_OIDC_USERNAME_CLAIM``
is signed in. Accounts are not created from the provider: a person needs a hub account (and role).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.accounts import authenticate as password_authenticate
from hub.db.tables import Account
from hub.settings import Settings

# Clock difference tolerated between the provider and the hub.
LEEWAY_S = 60


class IdentityError(Exception):
    """The provider's answer cannot be trusted (bad signature, wrong audience, expired, replayed)."""


class IdentityProvider(Protocol):
    """Turns what a person presents into a hub account, or None."""

    name: str

    async def authenticate(self, credentials: Mapping[str, str]) -> Account | None: ...


class LocalPasswordProvider:
    """Usernames and Argon2-hashed passwords kept by the hub (callers add lockout: hub/signin.py)."""

    name = "local"

    async def authenticate(self, credentials: Mapping[str, str]) -> Account | None:
        return await password_authenticate(credentials.get("username", ""), credentials.get("password", ""))


def new_login() -> dict[str, str]:
    """Values a sign-in page keeps (in its session) between the redirect and the callback."""
    return {"state": generate_token(32), "nonce": generate_token(32), "code_verifier": generate_token(64)}


class OidcProvider:
    name = "oidc"

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None):
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.username_claim = settings.oidc_username_claim
        self.http = http or httpx.AsyncClient(timeout=10)
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once)."""
        if self._metadata is None:
            r = await self.http.get(f"{self.issuer}/.well-known/openid-configuration")
            r.raise_for_status()
            data = r.json()
            if data.get("issuer", "").rstrip("/") != self.issuer:
                raise IdentityError("the discovery document names another issuer")
            self._metadata = data
        return self._metadata

    async def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            r = await self.http.get((await self.metadata())["jwks_uri"])
            r.raise_for_status()
            self._keys = KeySet.import_key_set(r.json())
        return self._keys

    async def authorization_url(self, redirect_uri: str, login: Mapping[str, str]) -> str:
        """Where to send the person to sign in (``login`` from ``new_login``)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": login["state"],
            "nonce": login["nonce"],
            "code_challenge": create_s256_code_challenge(login["code_verifier"]),
            "code_challenge_method": "S256",
        }
        return f"{(await self.metadata())['authorization_endpoint']}?{urlencode(query)}"

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, times and nonce check out."""
        try:
            try:
                token = jwt.decode(id_token, await self.keys(), algorithms=["RS256", "ES256", "EdDSA"])
            except (JoseError, ValueError):
                # The provider may have rotated its keys since we fetched them.
                token = jwt.decode(id_token, await self.keys(refresh=True), algorithms=["RS256", "ES256", "EdDSA"])
        except (JoseError, ValueError) as exc:
            raise IdentityError(f"ID token signature: {exc}") from None
        claims = token.claims
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        now = time.time()
        if str(claims.get("iss", "")).rstrip("/") != self.issuer:
            raise IdentityError("ID token from another issuer")
        if self.client_id not in audiences:
            raise IdentityError("ID token for another client")
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now - LEEWAY_S:
            raise IdentityError("ID token expired")
        if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > now + LEEWAY_S:
            raise IdentityError("ID token issued in the future")
        if claims.get("nonce") != nonce:
            raise IdentityError("ID token nonce does not match this sign-in")
        return claims

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> str:
        """The ID token for an authorization code (client_secret_basic, PKCE)."""
        r = await self.http.post(
            (await self.metadata())["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            auth=(self.client_id, self.client_secret),
        )
        if r.status_code != 200 or "id_token" not in r.json():
            raise IdentityError(f"the provider refused the code ({r.status_code})")
        return r.json()["id_token"]

    async def authenticate(self, credentials: Mapping[str, str]) -> Account | None:
        """``code``, ``redirect_uri``, ``code_verifier`` and ``nonce`` from the callback and the login."""
        id_token = await self.exchange_code(
            credentials["code"], credentials["redirect_uri"], credentials["code_verifier"]
        )
        claims = await self.verify_id_token(id_token, credentials["nonce"])
        username = claims.get(self.username_claim)
        if not isinstance(username, str) or not username:
            return None
        account = await Account.objects().where(Account.username == username).first()
        # Service accounts of department systems never sign in as people.
        return account if account is not None and account.role != "system" else None


def identity_provider(settings: Settings) -> IdentityProvider:
    """The configured provider: OpenID Connect when an issuer is set, else local passwords."""
    return OidcProvider(settings) if settings.oidc_issuer else LocalPasswordProvider()
