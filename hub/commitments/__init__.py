"""Approval on commitment (告知承诺制): a commitment signed in place of proofs when a request is
filed (``signing``), the post-check that follows the approval and what a broken commitment undoes
(``post_check``)."""

from .post_check import PiccoloCommitmentChecks
from .signing import (
    POST_CHECK_TITLE,
    broken_on,
    check_may_commit,
    commitment_terms,
    holder_key,
    record_signature,
    signature_of,
)

__all__ = [
    "POST_CHECK_TITLE",
    "PiccoloCommitmentChecks",
    "broken_on",
    "check_may_commit",
    "commitment_terms",
    "holder_key",
    "record_signature",
    "signature_of",
]
