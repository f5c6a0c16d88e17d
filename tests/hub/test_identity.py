"""OpenID Connect: an ID token is trusted only when its signature (against the provider's published
keys), issuer, audience, times and nonce all check out. The provider here is a small local one:
its discovery document, key set and token endpoint, with keys generated for the test."""

from __future__ import annotations

import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from hub.identity import IdentityError, LocalPasswordProvider, OidcProvider, identity_provider, new_login
from hub.settings import load_settings

ISSUER = "https://id.city.example"
CLIENT = "qinqing-hub"


class LocalIdP:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.codes: dict[str, str] = {}

    def token(self, **overrides) -> str:
        claims = {
            "iss": ISSUER,
            "aud": CLIENT,
            "sub": "user-1",
            "preferred_username": "zhangsan",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "nonce": "n-1",
            **overrides,
        }
        return jwt.encode(
            {"alg": "RS256", "kid": self.key.kid}, {k: v for k, v in claims.items() if v is not None}, self.key
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        if path == "/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            if form.get("code") in self.codes and request.headers.get("authorization", "").startswith("Basic "):
                return httpx.Response(200, json={"id_token": self.codes.pop(form["code"]), "token_type": "Bearer"})
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(404)


@pytest.fixture
def idp():
    return LocalIdP()


@pytest.fixture
def provider(idp):
    settings = load_settings(
        {"QINQING_OIDC_ISSUER": ISSUER, "QINQING_OIDC_CLIENT_ID": CLIENT, "QINQING_OIDC_CLIENT_SECRET": "s3cret"}
    )
    return OidcProvider(settings, http=httpx.AsyncClient(transport=httpx.MockTransport(idp.handler)))


def test_the_provider_follows_the_settings():
    assert isinstance(identity_provider(load_settings({})), LocalPasswordProvider)
    assert isinstance(identity_provider(load_settings({"QINQING_OIDC_ISSUER": ISSUER})), OidcProvider)


async def test_a_good_id_token_is_accepted(idp, provider):
    claims = await provider.verify_id_token(idp.token(), nonce="n-1")
    assert claims["preferred_username"] == "zhangsan"


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.example"},
        {"aud": "another-client"},
        {"exp": int(time.time()) - 3600},
        {"nonce": "replayed"},
        {"nonce": None},
    ],
    ids=["issuer", "audience", "expired", "nonce", "no-nonce"],
)
async def test_a_wrong_id_token_is_refused(idp, provider, overrides):
    with pytest.raises(IdentityError):
        await provider.verify_id_token(idp.token(**overrides), nonce="n-1")


async def test_a_token_signed_by_another_key_is_refused(idp, provider):
    forger = LocalIdP()  # same kid, different key
    with pytest.raises(IdentityError):
        await provider.verify_id_token(forger.token(), nonce="n-1")


async def test_the_authorization_url_carries_pkce_state_and_nonce(provider):
    login = new_login()
    url = httpx.URL(await provider.authorization_url("https://hub.example/callback", login))
    assert url.host == "id.city.example" and url.path == "/authorize"
    params = dict(url.params)
    assert params["code_challenge_method"] == "S256" and params["code_challenge"] != login["code_verifier"]
    assert params["state"] == login["state"] and params["nonce"] == login["nonce"] and params["client_id"] == CLIENT


async def test_a_code_is_exchanged_and_a_refused_code_fails(idp, provider):
    idp.codes["c-1"] = idp.token()
    token = await provider.exchange_code("c-1", "https://hub.example/callback", "v" * 64)
    assert (await provider.verify_id_token(token, "n-1"))["sub"] == "user-1"
    with pytest.raises(IdentityError):
        await provider.exchange_code("c-1", "https://hub.example/callback", "v" * 64)  # used once only
