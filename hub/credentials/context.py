"""What issuing and verifying credentials needs from the process: the catalog, the signing keys and
the hub's public address. The composition root installs them; a process that did not (a CLI
command, a test) gets them from its settings on first use."""

from __future__ import annotations

from dataclasses import dataclass

from forms.catalog import Catalog
from hub.credentials.jose import SigningKeys


@dataclass(frozen=True)
class CredentialContext:
    catalog: Catalog
    keys: SigningKeys
    base_url: str


_installed: CredentialContext | None = None


def install(catalog: Catalog, keys: SigningKeys, base_url: str) -> CredentialContext:
    global _installed
    _installed = CredentialContext(catalog, keys, base_url.rstrip("/"))
    return _installed


def context() -> CredentialContext:
    if _installed is None:
        from forms.catalog import load_catalog
        from hub.credentials.jose import key_files
        from hub.settings import load_settings

        settings = load_settings()
        return install(load_catalog(settings.catalog_path), key_files(settings), settings.base_url)
    return _installed
