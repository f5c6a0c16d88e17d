"""The disabled persons' register (the Disabled Persons' Federation's system of the second-generation
disability certificate, 第二代残疾人证): the certificate a person holds, read by resident identity
number.

``DisabilityRegistry`` is the port; ``DemoDisabilityRecords`` the embedded stand-in, with the
certificate of a demo citizen. Every read is audited with its purpose.
"""

from __future__ import annotations

from typing import Any, Protocol

from hub.audit import record

# What a certificate record states (the grade as the certificate prints it, 一级 to 四级; the date
# the federation issued it, ISO 8601, when the register keeps it).
CERTIFICATE_FIELDS = ("certificate_number", "disability_category", "disability_grade", "issued_on")


class DisabilityRegistry(Protocol):
    async def certificates(self, resident_id: str, purpose: str) -> list[dict[str, Any]]:
        """The disability certificates of the person with this identity number (``CERTIFICATE_FIELDS``)."""
        ...


# The demo citizens' certificates: the number is the holder's identity number and two digits
# (category, then grade), as the second-generation certificate numbers them.
DEMO_CERTIFICATES: dict[str, list[dict[str, Any]]] = {
    "330106195809080029": [
        {
            "certificate_number": "33010619580908002942",
            "disability_category": "肢体残疾",
            "disability_grade": "二级",
            "issued_on": "2019-04-12",
        }
    ],
}


class DemoDisabilityRecords:
    """``DisabilityRegistry`` answering from ``DEMO_CERTIFICATES``."""

    def __init__(self, records: dict[str, list[dict[str, Any]]] | None = None):
        self.records = DEMO_CERTIFICATES if records is None else records

    async def certificates(self, resident_id: str, purpose: str) -> list[dict[str, Any]]:
        found = [dict(c) for c in self.records.get(resident_id.strip().upper(), [])]
        await record(None, None, "registry.read", "disability", str(len(found)), purpose=purpose)
        return found


_certificates: DisabilityRegistry = DemoDisabilityRecords()


def install_disability_registry(registry: DisabilityRegistry) -> None:
    """Read disability certificates from this registry from now on (the federation's own interface)."""
    global _certificates
    _certificates = registry


def disability_registry() -> DisabilityRegistry:
    """The disability registry this hub reads."""
    return _certificates
