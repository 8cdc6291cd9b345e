"""The knowledge files the enrichment reads: the gazetteer and the lexicons.

They live in ``processors/data`` as YAML so that an analyst can extend them without touching
code; this module loads and validates them once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from wirewatch.errors import ProcessingError

_DATA = "processors.data"


def _load(name: str) -> Any:
    try:
        text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ProcessingError(f"cannot read knowledge file {name}: {exc}") from exc


def term_pattern(term: str) -> str:
    """Regex source for a lexicon term: whole words, any whitespace, trailing ``*`` = any
    word ending ("sanction*" matches "sanctions", "sanctioned")."""
    words = term.split()

    def word(w: str) -> str:
        # A star ends any word of the term: "ban* the export*" matches "bans the exports".
        body = re.sub("['’]", "['’]", re.escape(w.rstrip("*")))
        return body + (r"[\w-]*" if w.endswith("*") else "")

    body = r"\s+".join(word(w) for w in words)
    start = r"(?<![\w-])" if words and words[0][0].isalnum() else ""
    end = "" if term.endswith("*") else r"(?![\w])"
    return start + body + end


_WORD = re.compile(r"[^\W_][\w'’-]*")


class TermMatcher:
    """Whole-word, case-insensitive matching of many lexicon terms.

    One alternation regex with a look-behind per term costs ~10 ms per article; here each
    word start is looked up by its first letters and only the few terms that begin so are
    tried, which is linear in the text."""

    def __init__(self, terms: list[str]) -> None:
        ordered = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
        self._buckets: dict[str, list[re.Pattern[str]]] = {}
        for term in ordered:
            key = term.split()[0].rstrip("*")[:3].lower()
            self._buckets.setdefault(key, []).append(re.compile(term_pattern(term), re.IGNORECASE))

    def _at(self, text: str, pos: int, word: str) -> re.Match[str] | None:
        low = word[:3].lower()
        for key in (low, low[:2], low[:1]):
            for pattern in self._buckets.get(key, ()):
                m = pattern.match(text, pos)
                if m is not None:
                    return m
        return None

    def finditer(self, text: str) -> list[re.Match[str]]:
        return self.scan(text, word_starts(text))

    def scan(self, text: str, words: list[tuple[int, str]]) -> list[re.Match[str]]:
        """Matches at the given word starts (see :func:`word_starts`), left to right."""
        found: list[re.Match[str]] = []
        end = 0
        buckets = self._buckets
        for start, word in words:
            if start < end:
                continue
            low = word[:3].lower()
            if low not in buckets and low[:2] not in buckets and low[:1] not in buckets:
                continue
            m = self._at(text, start, word)
            if m is not None:
                found.append(m)
                end = m.end()
        return found

    def search(self, text: str) -> re.Match[str] | None:
        found = self.finditer(text)
        return found[0] if found else None

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        w = _WORD.match(text, pos)
        return self._at(text, pos, w.group()) if w is not None else None


def word_starts(text: str) -> list[tuple[int, str]]:
    """Where words start (not after a hyphen: "non-sanctions" has no "sanctions")."""
    return [
        (w.start(), w.group())
        for w in _WORD.finditer(text)
        if w.start() == 0 or text[w.start() - 1] != "-"
    ]


def compile_terms(terms: list[str]) -> TermMatcher:
    return TermMatcher(terms)


@dataclass(frozen=True)
class GazetteerEntry:
    key: str
    name: str
    type: str
    wikidata: str | None = None
    aliases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()  # aliases matched case-sensitively ("Ministry of Defence")
    roles: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()
    home: str | None = None  # the state an institution belongs to
    generic: str | None = None  # bare name ("foreign ministry") that stands for it at home
    capital_of: str | None = None


def _entry(item: dict[str, Any], default_type: str, prefix: str) -> GazetteerEntry:
    name = str(item["name"]).strip()
    return GazetteerEntry(
        key=f"{prefix}:{name}",
        name=name,
        type=str(item.get("type", default_type)),
        wikidata=item.get("wikidata"),
        aliases=tuple(str(a) for a in item.get("aliases") or ()),
        exact=tuple(str(a) for a in item.get("exact") or ()),
        roles=tuple(str(r) for r in item.get("roles") or ()),
        demonyms=tuple(str(d) for d in item.get("demonyms") or ()),
        home=item.get("home"),
        generic=item.get("generic"),
    )


@cache
def gazetteer_entries() -> tuple[GazetteerEntry, ...]:
    data = _load("gazetteer.yaml")
    entries: list[GazetteerEntry] = []
    try:
        for item in data.get("states", []):
            entries.append(_entry(item, "GPE", "gpe"))
            if item.get("capital"):
                entries.append(
                    GazetteerEntry(
                        key=f"gpe:{item['capital']}",
                        name=str(item["capital"]),
                        type="GPE",
                        aliases=tuple(item.get("capital_aliases") or ()),
                        capital_of=str(item["name"]),
                    )
                )
        for item in data.get("places", []):
            entries.append(_entry(item, "LOC", "place"))
        for item in data.get("organisations", []):
            entries.append(_entry(item, "ORG", "org"))
        for item in data.get("people", []):
            entries.append(_entry(item, "PERSON", "person"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProcessingError(f"gazetteer.yaml: malformed entry: {exc}") from exc
    return tuple(entries)


@dataclass(frozen=True)
class Lexicons:
    topics: dict[str, TermMatcher]
    support: TermMatcher
    weak_support: TermMatcher
    oppose: TermMatcher
    negations: TermMatcher
    reported_opposition: TermMatcher
    measure_words: TermMatcher
    target_prepositions: frozenset[str]
    reporting_verbs: frozenset[str]
    particle_verbs: dict[str, frozenset[str]]
    reporting_nouns: frozenset[str]
    call_nouns: frozenset[str]
    according_to: TermMatcher
    person_anaphors: frozenset[str]
    org_anaphors: frozenset[str]
    honorifics: tuple[str, ...]
    demonym_heads: frozenset[str]
    stop_names: frozenset[str]
    generic_names: dict[str, tuple[str, ...]]
    action_verbs: frozenset[str]
    directive_verbs: frozenset[str]
    hypothetical_modals: frozenset[str]
    conditional_modals: frozenset[str]
    conditional_marks: frozenset[str]
    conditional_inversions: frozenset[str]
    cause_nouns: frozenset[str]
    place_prepositions: frozenset[str]
    topic_order: tuple[str, ...] = field(default=())


@cache
def lexicons() -> Lexicons:
    topics = _load("lexicons/topics.yaml")
    stance = _load("lexicons/stance.yaml")
    reporting = _load("lexicons/reporting.yaml")
    ents = _load("lexicons/entities.yaml")
    try:
        honorifics = sorted((str(h) for h in ents["honorifics"]), key=len, reverse=True)
        return Lexicons(
            topics={name: compile_terms(terms) for name, terms in topics.items()},
            topic_order=tuple(topics),
            support=compile_terms(stance["support"]),
            weak_support=compile_terms(stance["weak_support"]),
            oppose=compile_terms(stance["oppose"]),
            negations=compile_terms(stance["negations"]),
            reported_opposition=compile_terms(stance["reported_opposition"]),
            measure_words=compile_terms(stance["measure_words"]),
            target_prepositions=frozenset(stance["target_prepositions"]),
            reporting_verbs=frozenset(reporting["verbs"]),
            particle_verbs={
                verb: frozenset(parts) for verb, parts in reporting["particle_verbs"].items()
            },
            reporting_nouns=frozenset(reporting["nouns"]),
            call_nouns=frozenset(reporting["call_nouns"]),
            according_to=compile_terms(reporting["according_to"]),
            person_anaphors=frozenset(reporting["anaphors"]["person"]),
            org_anaphors=frozenset(reporting["anaphors"]["organisation"]),
            honorifics=tuple(honorifics),
            demonym_heads=frozenset(ents["demonym_heads"]),
            stop_names=frozenset(n.casefold() for n in ents["stop_names"]),
            generic_names={k: tuple(v) for k, v in ents["generic_names"].items()},
            action_verbs=frozenset(stance["action_verbs"]),
            directive_verbs=frozenset(stance["directive_verbs"]),
            hypothetical_modals=frozenset(stance["hypothetical"]["modals"]),
            conditional_modals=frozenset(stance["hypothetical"]["conditional_modals"]),
            conditional_marks=frozenset(stance["hypothetical"]["conditional_marks"]),
            conditional_inversions=frozenset(stance["hypothetical"]["conditional_inversions"]),
            cause_nouns=frozenset(stance["cause_nouns"]),
            place_prepositions=frozenset(stance["place_prepositions"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProcessingError(f"lexicon files: malformed: {exc}") from exc
