"""Verifiable credentials and the wallet (免证办): every certificate and status-granting decision
the hub issues is also a W3C verifiable credential (a JWT signed EdDSA with the hub's keys, its
status a bit in a public status list); the registries' credentials are signed for their holders on
the fly; holders share them field by field (SD-JWT) for a limited time, and see who looked.

No HTTP types: ``hub.web.api.credentials`` and ``hub.web.pages.wallet`` call in here.
"""

from __future__ import annotations

from hub.credentials import issuing
from hub.credentials.context import CredentialContext, install
from hub.credentials.wallet import HeldCredential, credential_status, held_credentials

# ``issuing``: the document issuer's hooks (a credential issued, revoked or superseded with its document).
__all__ = ["CredentialContext", "HeldCredential", "credential_status", "held_credentials", "install", "issuing"]
