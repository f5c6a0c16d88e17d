"""Searching the catalog: services and life events by the words people type, in either language.

People search in Chinese whatever their interface language, and with everyday names (低保, 生孩子)
more than official titles: a service's or life event's search words (``search_words`` in its spec)
are matched as its title is. What matches a name (a title or a search word) ranks above what
matches only a summary, a topic or an id."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from forms.life_events import LifeEventSpec
from forms.spec import ServiceSpec
from hub.i18n import SUPPORTED, gettext

Searched = TypeVar("Searched", ServiceSpec, LifeEventSpec)

# A word found in a name counts more than one found only in the other text; the whole search equal
# to a name (an exact everyday name, 低保) counts more than any number of words.
IN_NAME, IN_TEXT, WHOLE_NAME = 2, 1, 100


def folded(text: str) -> str:
    """Text as compared: full-width letters and digits (typed with a Chinese input method) as
    half-width, and without case."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Haystack:
    """What a search reads of one service or life event: its names, and the rest of its text."""

    names: tuple[str, ...]
    text: str


def haystack(spec: ServiceSpec | LifeEventSpec) -> Haystack:
    """The titles in every language and the search words (names); id, topics and summaries (text)."""
    names = [gettext(locale, spec.title) for locale in SUPPORTED] + spec.search_words.listed()
    text = [spec.id, *(spec.topics if isinstance(spec, ServiceSpec) else [])]
    text += [gettext(locale, spec.summary) for locale in SUPPORTED]
    return Haystack(names=tuple(folded(n) for n in names), text=folded(" ".join(text)))


def score(found: Haystack, q: str) -> int:
    """How well ``q`` matches: 0 unless every word of it is found somewhere."""
    words = folded(q).split()
    if not words:
        return 0
    total = 0
    for word in words:
        if any(word in name for name in found.names):
            total += IN_NAME
        elif word in found.text:
            total += IN_TEXT
        else:
            return 0
    if " ".join(words) in found.names:
        total += WHOLE_NAME
    return total


def search(specs: Sequence[Searched], q: str) -> list[Searched]:
    """Those of ``specs`` that have every word of ``q``, best first (a match on a name before one
    in a summary); equal ones keep their order. An empty search finds everything."""
    if not q.strip():
        return list(specs)
    scored = [(score(haystack(s), q), i, s) for i, s in enumerate(specs)]
    return [s for points, _, s in sorted(scored, key=lambda t: (-t[0], t[1])) if points]
