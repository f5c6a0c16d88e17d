"""The national higher-education records (学信网, kept by the Ministry of Education's centre for
student information): the degrees a person holds, read by resident identity number.

``DegreeRegistry`` is the port; ``DemoEducationRecords`` the embedded stand-in, with the degrees of
the demo citizens, for a hub that is not connected to the national records. Every read is audited
with its purpose.
"""

from __future__ import annotations

from typing import Any, Protocol

from hub.audit import record

# What a degree record states.
DEGREE_FIELDS = ("record_id", "institution", "degree", "major", "graduated_on")


class DegreeRegistry(Protocol):
    """Degrees and diplomas held by people, from the higher-education records."""

    async def degrees(self, resident_id: str, purpose: str) -> list[dict[str, Any]]:
        """The degrees of the person with this identity number (``DEGREE_FIELDS``), oldest first."""
        ...


# The demo citizens' degrees, by resident identity number (as the national records state them).
DEMO_DEGREES: dict[str, list[dict[str, Any]]] = {
    "330106199205200024": [
        {
            "record_id": "1033512014000123",
            "institution": "浙江大学",
            "degree": "工学学士",
            "major": "计算机科学与技术",
            "graduated_on": "2014-06-30",
        },
        {
            "record_id": "1033532017000456",
            "institution": "浙江大学",
            "degree": "工学硕士",
            "major": "软件工程",
            "graduated_on": "2017-06-30",
        },
    ],
    "420106198507120035": [
        {
            "record_id": "1048612007000789",
            "institution": "武汉大学",
            "degree": "经济学学士",
            "major": "金融学",
            "graduated_on": "2007-06-30",
        }
    ],
    "330106196606180016": [
        {
            "record_id": "1033711988000321",
            "institution": "浙江工业大学",
            "degree": "工学学士",
            "major": "机械制造工艺与设备",
            "graduated_on": "1988-07-01",
        }
    ],
}


class DemoEducationRecords:
    """``DegreeRegistry`` answering from ``DEMO_DEGREES``."""

    def __init__(self, records: dict[str, list[dict[str, Any]]] | None = None):
        self.records = DEMO_DEGREES if records is None else records

    async def degrees(self, resident_id: str, purpose: str) -> list[dict[str, Any]]:
        found = [dict(d) for d in self.records.get(resident_id.strip().upper(), [])]
        await record(None, None, "registry.read", "education", str(len(found)), purpose=purpose)
        return found


_degrees: DegreeRegistry = DemoEducationRecords()


def install_degree_registry(registry: DegreeRegistry) -> None:
    """Read degrees from this registry from now on (the national records' own interface)."""
    global _degrees
    _degrees = registry


def degree_registry() -> DegreeRegistry:
    """The degree registry this hub reads."""
    return _degrees
