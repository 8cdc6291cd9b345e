"""Entities of an article: gazetteer matches first, spaCy's NER for the rest, one entity each.

Within an article a surname, a role ("the Russian top diplomat") or a bare institution
("the Foreign Ministry") resolves to the full entity the article names; a demonym before an
institutional noun ("Russian aerospace group") links to its state. Entities the gazetteer
does not know keep spaCy's label and a normalised name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from spacy.tokens import Doc, Span

from processors.nlp.gazetteer import Candidate, Gazetteer
from processors.nlp.resources import GazetteerEntry, lexicons
from wirewatch.schema import Entity, Mention

# Labels a desk watches; dates, numbers and amounts are not entities to search by.
ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)

_LEADING_THE = re.compile(r"^(the)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"[’']s?$")
_SPACES = re.compile(r"\s+")

Field = Literal["title", "summary", "text"]


def normalise_name(text: str) -> str:
    """'the Foreign Ministry’s' -> 'Foreign Ministry'."""
    name = _SPACES.sub(" ", text).strip(' \t\n"“”‘’,.;:')
    name = _LEADING_THE.sub("", name)
    return _POSSESSIVE.sub("", name).strip()


def strip_honorifics(name: str) -> str:
    """'Mr Biden' -> 'Biden', 'President Joe Biden' -> 'Joe Biden'."""
    changed = True
    while changed:
        changed = False
        for title in lexicons().honorifics:
            if name.startswith(title + " ") and len(name) > len(title) + 1:
                name = name[len(title) + 1 :].strip()
                changed = True
    return name


@dataclass(frozen=True)
class Resolved:
    """One mention resolved to an entity key, with where it is and what found it."""

    key: str
    name: str
    type: str
    canonical_id: str | None
    source: str
    field: Field
    start: int  # token offsets in the field's doc
    end: int
    start_char: int
    end_char: int
    text: str
    cue: str

    def mention(self) -> Mention:
        return Mention(
            text=self.text,
            start=self.start_char,
            end=self.end_char,
            field=self.field,
            cue=self.cue,
        )


class ArticleEntities:
    """The resolved mentions of one article, with lookups for statement attribution."""

    def __init__(
        self,
        mentions: dict[Field, list[Resolved]],
        capitals: dict[str, GazetteerEntry],
        demonyms: dict[str, GazetteerEntry] | None = None,
    ) -> None:
        self.mentions = mentions
        self.capitals = capitals  # entity key of a capital -> its state
        self.demonyms = demonyms or {}  # "russian" -> Russia
        self._by_token: dict[Field, dict[int, Resolved]] = {}
        for field, found in mentions.items():
            index: dict[int, Resolved] = {}
            for r in found:
                for i in range(r.start, r.end):
                    index.setdefault(i, r)  # a role owns its words, not the state inside it
            self._by_token[field] = index
        self.counts: Counter[str] = Counter(r.key for f in mentions.values() for r in f)

    def at(self, field: Field, token: int) -> Resolved | None:
        return self._by_token.get(field, {}).get(token)

    def as_actor(self, r: Resolved) -> Resolved:
        """A capital speaking or acting stands for its state ("Moscow is confident"), and so
        does a demonym ("sanctions on Russian banks" hit Russia)."""
        state = self.capitals.get(r.key)
        if state is None and r.type == "NORP":
            state = self.demonyms.get(r.name.lower())
        if state is None:
            return r
        return Resolved(
            key=state.key,
            name=state.name,
            type=state.type,
            canonical_id=state.wikidata,
            source="gazetteer",
            field=r.field,
            start=r.start,
            end=r.end,
            start_char=r.start_char,
            end_char=r.end_char,
            text=r.text,
            cue=r.cue + ":state",
        )

    def most_mentioned(self, types: frozenset[str]) -> Resolved | None:
        best: Resolved | None = None
        for found in self.mentions.values():
            for r in found:
                if r.type in types and (best is None or self.counts[r.key] > self.counts[best.key]):
                    best = r
        return best

    def entities(self, version: int) -> list[Entity]:
        grouped: dict[str, list[Resolved]] = defaultdict(list)
        for found in self.mentions.values():
            for r in found:
                grouped[r.key].append(r)
        result = []
        for rs in grouped.values():
            first = rs[0]
            types = Counter(r.type for r in rs)
            result.append(
                Entity(
                    name=first.name,
                    type=first.type if first.source == "gazetteer" else types.most_common(1)[0][0],
                    canonical_id=first.canonical_id,
                    source=first.source,
                    mentions=[r.mention() for r in rs],
                    version=version,
                )
            )
        return sorted(result, key=lambda e: (-len(e.mentions), e.name))


def _acts(span: Span) -> bool:
    """Is this place name the doer: a subject, a possessor or a passive agent?"""
    head = span.root
    if head.dep_ in ("nsubj", "nsubjpass", "poss"):
        return True
    return head.dep_ == "pobj" and head.head.dep_ == "agent"


def _replace_key(r: Resolved, other: Resolved) -> Resolved:
    """``r``'s place in the text, ``other``'s identity."""
    return replace(
        r,
        key=other.key,
        name=other.name,
        type=other.type,
        canonical_id=other.canonical_id,
        source=other.source,
    )


class EntityResolver:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gaz = gazetteer
        self.demonyms = {
            d.lower(): e for e in gazetteer.entries.values() if e.type == "GPE" for d in e.demonyms
        }
        self.capitals = {
            e.key: self.gaz.by_name[e.capital_of]
            for e in gazetteer.entries.values()
            if e.capital_of and e.capital_of in self.gaz.by_name
        }

    def resolve(self, docs: dict[Field, Doc]) -> ArticleEntities:
        cands = {field: self.gaz.candidates(doc) for field, doc in docs.items()}
        named = {c.keys[0] for cs in cands.values() for c in cs if c.kind == "alias"}
        state_counts: Counter[str] = Counter()
        for cs in cands.values():
            for c in cs:
                if c.kind in ("alias", "demonym"):
                    entry = self.gaz.entries[c.keys[0]]
                    state = self.capitals.get(entry.key)
                    state_counts[state.key if state else entry.key] += 1
        mentions: dict[Field, list[Resolved]] = {}
        for field, doc in docs.items():
            found = [
                r for c in cands[field] if (r := self._accept(doc, field, c, named, state_counts))
            ]
            # A demonym inside a longer organisation name is part of that name ("the
            # Ukrainian State Bureau of Investigations"), not a mention of its state.
            names = [e for e in doc.ents if e.label_ in ("ORG", "FAC", "LAW", "EVENT")]
            inside = {
                id(r)
                for r in found
                if r.cue == "gazetteer:demonym"
                and any(e.start <= r.start and r.end <= e.end and len(e) > 2 for e in names)
            }
            found = [r for r in found if id(r) not in inside]
            taken = {i for r in found for i in range(r.start, r.end)}
            found.extend(self._ner(doc, field, taken))
            mentions[field] = found
        self._link_surnames(mentions)
        for found in mentions.values():
            found.sort(key=lambda r: (r.start, r.start - r.end))
        return ArticleEntities(mentions, self.capitals, self.demonyms)

    def _accept(
        self,
        doc: Doc,
        field: Field,
        c: Candidate,
        named: set[str],
        state_counts: Counter[str],
    ) -> Resolved | None:
        key: str | None = None
        if c.kind in ("surname", "role"):
            # Only for a person the article names in full: "Lavrov" after "Sergey Lavrov".
            options = [k for k in c.keys if k in named]
            key = options[0] if len(options) == 1 else None
        generic = self.gaz.generic_of.get(doc[c.start : c.end].text.lower())
        if generic is None and c.kind == "alias":
            # "Ministry of Defence" is an alias; so is "defence ministry" after "the".
            generic = self.gaz.generic_of.get(
                doc[c.start : c.end].text.lower().removeprefix("the ")
            )
        if generic is not None and c.kind in ("alias", "generic"):
            state = self._state_before(doc, c.start)
            if state is not None:
                # "Russia's ministry of defence", "the Serbian foreign ministry".
                key = self.gaz.generic_homes.get(generic, {}).get(state)
                if key is None:
                    return None
                c = Candidate(c.start, c.end, "generic", (generic,))
                return self._resolved(doc, field, c, key)
        if c.kind in ("alias", "demonym"):
            key = c.keys[0]
        elif c.kind == "generic":
            homes = self.gaz.generic_homes.get(c.keys[0], {})
            ranked = [
                (state_counts[self.gaz.by_name[s].key], k)
                for s, k in homes.items()
                if s in self.gaz.by_name and state_counts[self.gaz.by_name[s].key]
            ]
            key = max(ranked)[1] if ranked else None
        if key is None:
            return None
        return self._resolved(doc, field, c, key)

    def _state_before(self, doc: Doc, start: int) -> str | None:
        i = start - 1
        if i >= 0 and doc[i].lower_ == "the":
            i -= 1
        if i >= 0 and doc[i].lower_ in ("'s", "’s", "'"):
            i -= 1
        if i < 0:
            return None
        if doc[i].lower_ == "its":
            # "Its defence ministry": the state named last before it, within a few sentences.
            for tok in reversed(doc[max(0, i - 80) : i]):
                state = self.gaz.state_words.get(tok.lower_)
                if state is not None and tok.ent_type_ in ("GPE", "NORP", ""):
                    return state
            return None
        # One or two words: "Russia", "United States".
        for first in (i - 1, i):
            if first >= 0:
                state = self.gaz.state_words.get(doc[first : i + 1].text.lower())
                if state is not None:
                    return state
        return None

    def _resolved(self, doc: Doc, field: Field, c: Candidate, key: str) -> Resolved:
        entry = self.gaz.entries[key]
        span = doc[c.start : c.end]
        cue = f"gazetteer:{c.kind}"
        state = self.capitals.get(key)
        if state is not None and _acts(span):
            # "Moscow is confident", "London's drive", "by Washington": the capital stands
            # for its state; "strikes on Kyiv" and datelines stay the city.
            entry, key, cue = state, state.key, cue + ":metonymy"
        return Resolved(
            key=key,
            name=entry.name,
            type=entry.type,
            canonical_id=entry.wikidata,
            source="gazetteer",
            field=field,
            start=c.start,
            end=c.end,
            start_char=span.start_char,
            end_char=span.end_char,
            text=span.text,
            cue=cue,
        )

    def _ner(self, doc: Doc, field: Field, taken: set[int]) -> list[Resolved]:
        stop = lexicons().stop_names
        found = []
        for ent in doc.ents:
            if ent.label_ not in ENTITY_LABELS:
                continue
            if any(i in taken for i in range(ent.start, ent.end)):
                continue
            name = normalise_name(ent.text)
            if ent.label_ == "PERSON":
                name = strip_honorifics(name)
            if not name or name.casefold() in stop or not any(ch.isalpha() for ch in name):
                continue
            found.append(
                Resolved(
                    key="ner:" + name.casefold(),
                    name=name,
                    type=ent.label_,
                    canonical_id=None,
                    source="ner",
                    field=field,
                    start=ent.start,
                    end=ent.end,
                    start_char=ent.start_char,
                    end_char=ent.end_char,
                    text=ent.text,
                    cue=f"ner:{ent.label_}",
                )
            )
        return found

    @staticmethod
    def _link_surnames(mentions: dict[Field, list[Resolved]]) -> None:
        # "Luzin" after "Pavel Luzin": a one-word name that is the last word (else, for
        # family-name-first names such as "Wang Yi", the first word) of exactly one person
        # the article names in full is that person, whatever label NER gave it. A longer
        # name ending in a known one ("England Dan Norris") is that person too.
        last: dict[str, set[str]] = defaultdict(set)
        first: dict[str, set[str]] = defaultdict(set)
        people: dict[str, Resolved] = {}
        for found in mentions.values():
            for r in found:
                words = r.name.split()
                if r.type == "PERSON" and len(words) > 1:
                    last[words[-1].casefold()].add(r.key)
                    first[words[0].casefold()].add(r.key)
                    people.setdefault(r.key, r)
        alias: dict[str, str] = {}
        for keys in last.values():
            names = {k: people[k].name for k in keys}
            for k, name in names.items():
                shorter = [o for o, n in names.items() if o != k and name.endswith(" " + n)]
                if shorter and people[k].source == "ner":
                    alias[k] = min(shorter, key=lambda o: len(names[o]))
        for keys in last.values():
            keys -= set(alias)
        for found in mentions.values():
            for i, r in enumerate(found):
                if r.key in alias:
                    found[i] = _replace_key(r, people[alias[r.key]])
                    continue
                if r.source != "ner" or " " in r.name:
                    continue
                keys = last.get(r.name.casefold(), set()) or {
                    k for k in first.get(r.name.casefold(), set()) if k not in alias
                }
                if len(keys) == 1:
                    person = people[next(iter(keys))]
                    found[i] = _replace_key(r, person)
