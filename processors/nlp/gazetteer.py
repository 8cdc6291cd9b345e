"""Gazetteer matching: aliases, surnames, roles, bare institution names and demonyms.

One pass of two spaCy PhraseMatchers (case-sensitive for one-word names and acronyms such as
"US" or "IS", case-insensitive for longer names and roles) finds every candidate; which of
them count is decided per article in :mod:`processors.nlp.entities` (a surname or a role only
stands for a person the article also names in full).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from processors.nlp.resources import GazetteerEntry, gazetteer_entries, lexicons

Kind = Literal["alias", "surname", "role", "generic", "demonym"]
# Priority when two candidates cover the same words: a full alias beats a role or a surname.
_RANK: dict[str, int] = {"alias": 4, "role": 3, "generic": 2, "surname": 1, "demonym": 0}
_UPPER_WORDS = frozenset({"IS"})  # acronyms that are also common words in all-caps headlines


@dataclass(frozen=True)
class Candidate:
    start: int  # token offsets in the doc
    end: int
    kind: Kind
    keys: tuple[str, ...]  # gazetteer keys it may stand for (several for a shared surname)
    nested: bool = False  # inside a role: an extra mention, never the owner of its words


def _is_case_sensitive(alias: str) -> bool:
    return " " not in alias.strip() or alias.isupper()


class Gazetteer:
    """The compiled gazetteer for one spaCy vocabulary."""

    def __init__(self, nlp: Language) -> None:
        self.entries: dict[str, GazetteerEntry] = {e.key: e for e in gazetteer_entries()}
        self.by_name: dict[str, GazetteerEntry] = {e.name: e for e in self.entries.values()}
        self._exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.surnames: dict[str, set[str]] = {}
        self.generic_homes: dict[str, dict[str, str]] = {}  # "foreign ministry" -> state -> key
        exact: dict[str, list[str]] = {}
        lower: dict[str, list[str]] = {}

        def add(label: str, phrase: str) -> None:
            phrase = phrase.strip()
            if not phrase:
                return
            target = exact if _is_case_sensitive(phrase) else lower
            target.setdefault(label, []).append(phrase if target is exact else phrase.lower())
            if target is exact and len(phrase) > 3 and not phrase.isupper():
                exact[label].append(phrase.upper())  # datelines: "MOSCOW, October 4"

        for entry in self.entries.values():
            for name in (entry.name, *entry.aliases):
                add(f"alias|{entry.key}", name)
                if entry.type == "PERSON":
                    last = name.split()[-1]
                    if len(name.split()) > 1 and last[:1].isupper() and len(last) > 2:
                        self.surnames.setdefault(last, set()).add(entry.key)
            for name in entry.exact:
                exact.setdefault(f"alias|{entry.key}", []).append(name)
            for role in entry.roles:
                add(f"role|{entry.key}", role)
                if not role.lower().startswith("the "):
                    add(f"role|{entry.key}", "the " + role)
            if entry.generic and entry.home:
                self.generic_homes.setdefault(entry.generic, {})[entry.home] = entry.key
            if entry.demonyms:
                for demonym in entry.demonyms:
                    exact.setdefault(f"demonym|{entry.key}", []).append(demonym)
        for surname, keys in self.surnames.items():
            exact.setdefault("surname|" + ",".join(sorted(keys)), []).append(surname)
        self.generic_of: dict[str, str] = {}  # "ministry of defence" -> "defence ministry"
        for generic, phrasings in lexicons().generic_names.items():
            for phrase in (generic, *phrasings):
                self.generic_of[phrase.lower()] = generic
        for phrase, generic in self.generic_of.items():
            if generic in self.generic_homes:
                lower.setdefault(f"generic|{generic}", []).append(phrase)
        # The state a word names ("Russia", "Russian", "Moscow"), for "Russia's ministry".
        self.state_words: dict[str, str] = {}
        for entry in self.entries.values():
            if entry.type == "GPE" and (entry.demonyms or entry.capital_of):
                state = entry.capital_of or entry.name
                for word in (entry.name, *entry.aliases, *entry.demonyms):
                    self.state_words.setdefault(word.lower(), state)
        # Possessive and plural surface forms come from the tokenizer, so plain texts suffice.
        for label, phrases in exact.items():
            self._exact.add(label, [nlp.make_doc(p) for p in dict.fromkeys(phrases)])
        for label, phrases in lower.items():
            self._lower.add(label, [nlp.make_doc(p) for p in dict.fromkeys(phrases)])
        self._demonym_heads = lexicons().demonym_heads

    def candidates(self, doc: Doc) -> list[Candidate]:
        """Non-overlapping candidates, longest first, better kinds winning ties."""
        found: list[tuple[Span, Candidate]] = []
        inner: list[Candidate] = []  # demonyms and names inside a role, kept apart
        strings = doc.vocab.strings
        for matcher in (self._exact, self._lower):
            for match_id, start, end in matcher(doc):
                kind, _, rest = strings[match_id].partition("|")
                if kind in ("demonym", "alias"):
                    inner.append(Candidate(start, end, kind, (rest,), nested=True))  # type: ignore[arg-type]
                if kind == "demonym":
                    if not self._demonym_stands_for_state(doc, start, end):
                        continue
                elif (
                    kind == "alias"
                    and doc[start:end].text in _UPPER_WORDS
                    and not self._acronym_in_running_text(doc, start, end)
                ):
                    continue
                keys = tuple(rest.split(",")) if kind == "surname" else (rest,)
                found.append((Span(doc, start, end), Candidate(start, end, kind, keys)))  # type: ignore[arg-type]
        # filter_spans prefers longer spans; equal lengths: rank via sort order first.
        found.sort(key=lambda pair: -_RANK[pair[1].kind])
        kept = {(s.start, s.end) for s in filter_spans([s for s, _ in found])}
        seen: set[tuple[int, int]] = set()
        result: list[Candidate] = []
        for span, cand in found:
            where = (span.start, span.end)
            if where in kept and where not in seen:
                seen.add(where)
                result.append(cand)
        # "the Belarusian president", "the European Commission president": the role stands
        # for the person, and the state or body inside it is mentioned too.
        roles = [c for c in result if c.kind == "role"]
        for c in inner:
            if any(
                r.start <= c.start and c.end <= r.end and (r.start, r.end) != (c.start, c.end)
                for r in roles
            ) and self.entries[c.keys[0]].type in ("GPE", "ORG"):
                result.append(c)
        return sorted(result, key=lambda c: (c.start, c.start - c.end))

    def _demonym_stands_for_state(self, doc: Doc, start: int, end: int) -> bool:
        # "Russian aerospace group", "the British government": a demonym before an
        # institutional noun stands for the state; "Russian journalists" does not.
        nxt = doc[end] if end < len(doc) else None
        return nxt is not None and nxt.lower_ in self._demonym_heads

    @staticmethod
    def _acronym_in_running_text(doc: Doc, start: int, end: int) -> bool:
        # "IS" in "under the IS control" is the group; in an all-caps headline it is a verb.
        neighbours = [t for t in (doc[start - 1 : start].text, doc[end : end + 1].text) if t]
        return not any(n.isupper() and len(n) > 1 for n in neighbours)
