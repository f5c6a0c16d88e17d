"""Babel extraction of the human-readable strings in catalog files.

Registered as the ``qinqing_forms`` extractor, so ``pybabel extract`` collects labels, help texts,
rule messages and titles from the TOML specs along with the Python and template strings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO

# Keys whose values are shown to people; everything else (ids, expressions) is not translated.
TRANSLATABLE = {
    "title",
    "summary",
    "label",
    "help",
    "message",
    "name",
    "short_name",
    "legal_basis",
    "fee",
    "purpose",
    "materials",
    "topics_labels",
    # a commitment signed in place of proofs, and what its post-check checks
    "statement",
    "post_check",
}


def _strings(node: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            # A field's (or a life event's shared answer's) "name" is an identifier; a department's
            # "name" is a display name.
            if k == "name" and ("type" in node or "into" in node):
                continue
            yield from _strings(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, key)
    elif isinstance(node, str) and key in TRANSLATABLE and node.strip():
        yield node


def extract_service_specs(
    fileobj: BinaryIO, keywords, comment_tags, options
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor: yields (line, function, message, comments) for each display string."""
    raw = fileobj.read().decode("utf-8")
    data = tomllib.loads(raw)
    lines = raw.splitlines()
    for text in dict.fromkeys(_strings(data)):
        needle = text.replace("\\", "\\\\").replace('"', '\\"')
        lineno = next((i + 1 for i, line in enumerate(lines) if needle in line), 0)
        yield lineno, "_", text, []


def catalog_strings(data: dict[str, Any]) -> list[str]:
    """Every display string in one parsed catalog file (used by the translation completeness test)."""
    return list(dict.fromkeys(_strings(data)))
