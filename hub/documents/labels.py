"""The words for a document's status, shown by the public verification and on a request's page."""

from __future__ import annotations

from hub.i18n import N_

STATUS_LABELS = {
    "valid": N_("Valid"),
    "revoked": N_("Revoked"),
    "superseded": N_("Superseded by a newer document"),
    "unknown": N_("No document has this code"),
}
