"""Topics and stance of a statement, each with the cue that decided it.

Stance is towards the measure the statement is about: ``support`` for imposing, extending or
enforcing it, ``oppose`` for lifting, easing or condemning it, ``neutral`` when no cue speaks
to it. The cue nearest to the topic's own words wins; a negation just before a cue flips it
("will not support"); reported opposition ("resistance from Western colleagues") is
``oppose`` with the resisting party as target. The target is the party the measure hits
("sanctions on Russia"), else the measure itself.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from spacy.tokens import Span, Token

from processors.nlp.entities import ArticleEntities, Field, Resolved
from processors.nlp.resources import Lexicons, word_starts
from wirewatch.schema import EntityRef, Mention, Stance

_WINDOW = 90  # characters: a cue further than this from the topic's words does not count
_NOT_ONLY = re.compile(r"\bnot\s+(only|just|least)\b", re.IGNORECASE)
_NP_NEGATIONS = frozenset({"no", "without", "neither", "nor"})
_TARGET_TYPES = frozenset({"GPE", "ORG", "PERSON", "NORP", "LOC", "FAC"})
_OWNERS = frozenset({"PERSON", "ORG"})
_NAME_DEPS = frozenset({"compound", "amod", "det", "nmod"})


@dataclass
class Labels:
    topics: list[str]
    stance: Stance
    target: EntityRef | None
    target_role: Literal["party", "measure"] | None
    evidence: list[Mention]


@dataclass(frozen=True)
class Hit:
    """A lexicon match, shaped like ``re.Match`` for the few methods used here."""

    s: int
    e: int
    text: str

    def start(self) -> int:
        return self.s

    def end(self) -> int:
        return self.e

    def group(self) -> str:
        return self.text

    def shift(self, base: int) -> Hit:
        return Hit(self.s - base, self.e - base, self.text)


def topic_hits(
    lex: Lexicons, text: str, words: list[tuple[int, str]] | None = None
) -> dict[str, list[Hit]]:
    words = word_starts(text) if words is None else words
    hits: dict[str, list[Hit]] = {}
    for name in lex.topic_order:
        found = [Hit(m.start(), m.end(), m.group()) for m in lex.topics[name].scan(text, words)]
        if found:
            hits[name] = found
    return hits


class DocCues:
    """Every lexicon match of one text, found once and sliced per statement (the regexes
    are the costly part of the rules)."""

    def __init__(self, lex: Lexicons, text: str) -> None:
        words = word_starts(text)
        self.topics = topic_hits(lex, text, words)
        self.cues: list[tuple[str, int, Hit]] = [
            (stance, weak, Hit(m.start(), m.end(), m.group()))
            for stance, pattern, weak in (
                ("oppose", lex.oppose, 0),
                ("support", lex.support, 0),
                ("support", lex.weak_support, 1),
            )
            for m in pattern.scan(text, words)
        ]

    def topics_in(self, start: int, end: int) -> dict[str, list[Hit]]:
        result: dict[str, list[Hit]] = {}
        for name, hits in self.topics.items():
            inside = [h.shift(start) for h in hits if start <= h.s and h.e <= end]
            if inside:
                result[name] = inside
        return result

    def cues_in(self, start: int, end: int) -> list[tuple[str, int, Hit]]:
        return [(st, w, h.shift(start)) for st, w, h in self.cues if start <= h.s and h.e <= end]


def _mention(span_text: str, start: int, end: int, fld: Field, cue: str) -> Mention:
    return Mention(text=span_text, start=start, end=end, field=fld, cue=cue)


def _ref(r: Resolved) -> EntityRef:
    return EntityRef(name=r.name, type=r.type, canonical_id=r.canonical_id)


class StanceLabeller:
    def __init__(self, lex: Lexicons) -> None:
        self.lex = lex

    def label(
        self,
        sent: Span,
        fld: Field,
        ents: ArticleEntities,
        speaker_key: str | None,
        inherited: list[str] | None = None,
        verb: Token | None = None,
        cues: DocCues | None = None,
        parties: list[Resolved] | None = None,
    ) -> Labels:
        """``verb`` is the statement's own reporting or action word: when it is itself a cue
        and governs the topic's words ("rejected calls for sanctions", "did not adopt the
        sanctions"), it decides the stance."""
        text, base = sent.text, sent.start_char
        cues = cues or DocCues(self.lex, sent.doc.text)
        hits = cues.topics_in(sent.start_char, sent.end_char)
        evidence = [
            _mention(m.group(), base + m.start(), base + m.end(), fld, f"topic:{name}")
            for name, ms in hits.items()
            for m in ms[:3]
        ]
        topics = list(hits)
        if not topics and inherited:
            topics = list(inherited)  # "our initiative" right after the embargo proposal
        if not topics:
            return Labels([], "neutral", None, None, evidence)
        primary = topics[0]
        anchors = [(m.start(), m.end()) for m in hits.get(primary, [])] or [(0, len(text))]
        stance, cue, negation = self._stance(
            text, anchors, cues.cues_in(sent.start_char, sent.end_char)
        )
        governing = self._verb_stance(verb, sent, anchors) if verb is not None else None
        if governing is not None:
            stance, cue, negation = governing
        if stance == "support" and cue is not None and negation is None:
            possible = self._hypothetical(sent, base + cue.start())
            if possible is not None:
                # "Belgrade could impose sanctions": spoken of as possible, no side taken.
                stance, cue = "neutral", None
                evidence.append(
                    _mention(
                        possible.text,
                        possible.idx,
                        possible.idx + len(possible.text),
                        fld,
                        f"stance:neutral:hypothetical:{possible.lower_}",
                    )
                )
        target: Resolved | None = None
        target_role: Literal["party", "measure"] | None = None
        reported = self.lex.reported_opposition.search(text)
        if reported is not None:
            stance, cue, negation = "oppose", reported, None
            target_ref = self._after(sent, fld, ents, base + reported.end(), phrase=True)
            if target_ref is not None:
                if isinstance(target_ref, Resolved):
                    target_ref = _ref(target_ref)
                evidence.append(
                    _mention(
                        reported.group(),
                        base + reported.start(),
                        base + reported.end(),
                        fld,
                        "stance:oppose:reported-opposition",
                    )
                )
                return Labels(topics, stance, target_ref, "party", evidence)
        if cue is not None:
            evidence.append(
                _mention(
                    cue.group(),
                    base + cue.start(),
                    base + cue.end(),
                    fld,
                    f"stance:{stance}:{cue.group().lower()}",
                )
            )
        if negation is not None:
            evidence.append(
                _mention(
                    negation.group(),
                    base + negation.start(),
                    base + negation.end(),
                    fld,
                    "stance:negation",
                )
            )
        if primary in hits:
            target = self._party(
                sent, fld, ents, hits[primary], speaker_key, primary == "sanctions"
            )
        if target is not None:
            target_role = "party"
            evidence.append(
                _mention(target.text, target.start_char, target.end_char, fld, "target:party")
            )
        elif stance != "neutral":
            target_role = "measure"
        if target is None and primary == "sanctions":
            # A state named after the measure ("a ban on gas imports from Russia"), else the
            # state the article is most about; never the speaker itself.
            first_term = hits[primary][0].start() + base if primary in hits else base
            after = [
                r
                for r in ents.mentions.get(fld, [])
                if r.type in ("GPE", "NORP")
                and first_term <= r.start_char < sent.end_char
                and ents.as_actor(r).type == "GPE"
                and ents.as_actor(r).key != speaker_key
                and not self._not_hit(_token_at(sent, r.start_char), where=True)
            ]
            target = ents.as_actor(after[0]) if after else None
            if target is None:
                target = next((p for p in (parties or []) if p.key != speaker_key), None)
            if target is not None:
                target_role = "party"
                evidence.append(
                    _mention(
                        target.text,
                        target.start_char,
                        target.end_char,
                        target.field,
                        "target:party-of-the-article",
                    )
                )
        return Labels(topics, stance, _ref(target) if target else None, target_role, evidence)

    def _stance(
        self, text: str, anchors: list[tuple[int, int]], found: list[tuple[str, int, Hit]]
    ) -> tuple[Stance, Hit | re.Match[str] | None, re.Match[str] | None]:
        best: tuple[int, int, int, Stance, Hit, re.Match[str] | None] | None = None
        for stance, weak, m in found:
            dist = min(_distance((m.start(), m.end()), a) for a in anchors)
            if dist > _WINDOW:
                continue
            if stance == "support" and any(0 < m.start() - a[1] <= 2 for a in anchors):
                continue  # "sanctions imposed by London" describes the measure, takes no side
            neg = self._negation(text, m.start())
            final: Stance = stance  # type: ignore[assignment]
            if neg is not None:
                final = "support" if stance == "oppose" else "oppose"
            rank = (weak, dist, 0 if stance == "oppose" else 1)
            if best is None or rank < best[:3]:
                best = (weak, dist, rank[2], final, m, neg)
        if best is None:
            return "neutral", None, None
        return best[3], best[4], best[5]

    def _verb_stance(
        self, verb: Token, sent: Span, anchors: list[tuple[int, int]]
    ) -> tuple[Stance, re.Match[str], re.Match[str] | None] | None:
        if verb.lemma_.lower() in self.lex.directive_verbs:
            return None  # "urged leaders to change the sanctions policy": the content decides
        subtree = list(verb.subtree)
        lo, hi = subtree[0].idx - sent.start_char, subtree[-1].idx - sent.start_char
        if not any(lo <= a[0] <= hi + 1 for a in anchors):
            return None
        rel = verb.idx - sent.start_char
        for stance, pattern in (("oppose", self.lex.oppose), ("support", self.lex.support)):
            m = pattern.match(sent.text, rel)
            if m is None:
                continue
            neg = self._negation(sent.text, rel)
            if neg is None and not any(c.dep_ == "neg" for c in verb.children):
                return stance, m, None  # type: ignore[return-value]
            flipped: Stance = "support" if stance == "oppose" else "oppose"
            return flipped, m, neg or m
        return None

    def _hypothetical(self, sent: Span, char: int) -> Token | None:
        """The modal or condition word that makes the cue's verb only a possibility: "could
        impose", "may adopt", "would enforce" in a sentence with "if" or an opening "Were X
        to", the verb of an "if" clause itself."""
        tok = _token_at(sent, char)
        if tok is None or tok.pos_ != "VERB":
            return None
        lex = self.lex
        first = next((t for t in sent if t.is_alpha), None)
        condition: Token | None = next(
            (t for t in sent if t.dep_ == "mark" and t.lower_ in lex.conditional_marks), None
        )
        if condition is None and first is not None and first.lower_ in lex.conditional_inversions:
            condition = first
        for _ in range(4):
            for child in tok.children:
                if child.dep_ not in ("aux", "mark"):
                    continue
                if child.lower_ in lex.hypothetical_modals:
                    return child
                if condition is not None and child.lower_ in lex.conditional_modals:
                    return child
                if child.lower_ in lex.conditional_marks:
                    return child
            if tok.lemma_.lower() in lex.reporting_verbs:
                break  # "could say" makes no cue it reports a possibility
            if tok.dep_ not in ("conj", "xcomp", "ccomp") or tok.head is tok:
                break
            tok = tok.head
        return None

    def _negation(self, text: str, cue_start: int) -> re.Match[str] | None:
        window_start = max(0, cue_start - 40)
        before = text[window_start:cue_start]
        # Only within the cue's clause, and "not only" is no negation.
        before = re.split(r"[,;:]|\bbut\b", before)[-1]
        offset = cue_start - len(before)
        last = None
        for m in self.lex.negations.finditer(before):
            if _NOT_ONLY.match(before, m.start()):
                continue
            # "no" and "without" negate their own noun phrase only: "no place for such
            # neocolonial practices" does not flip "neocolonial"; "not" negates the clause.
            if m.group().lower() in _NP_NEGATIONS and len(before[m.end() :].split()) > 1:
                continue
            last = m
        if last is None:
            return None
        return re.compile(re.escape(last.group())).search(text, offset + last.start())

    def _party(
        self,
        sent: Span,
        fld: Field,
        ents: ArticleEntities,
        terms: list[Hit],
        speaker_key: str | None,
        measure: bool = False,
    ) -> Resolved | None:
        # "sanctions on/against Russia", "embargo on ... territories seized by Islamic State".
        # In "not only against X, but also against Y" the focus is Y.
        focus = re.search(r"\bnot\s+only\b.*?\bbut(\s+also)?\b", sent.text)
        if focus is not None:
            for tok in sent:
                if tok.idx >= sent.start_char + focus.end():
                    r = ents.at(fld, tok.i)
                    if r is not None and r.type in _TARGET_TYPES and r.key != speaker_key:
                        return ents.as_actor(r)
        for m in terms:
            after = self._after(
                sent, fld, ents, sent.start_char + m.end(), phrase=False, measure=measure
            )
            if isinstance(after, Resolved):
                return after
        # "X was sanctioned", "sanctioned by the UK" -> the passive subject is the party.
        # "The superyacht, linked to X, was seized": the one whose asset it is.
        for tok in sent:
            if tok.dep_ != "nsubjpass" or not self._measure_verb(tok.head):
                continue
            r = ents.at(fld, tok.i)
            if r is None:
                owners = (ents.at(fld, t.i) for t in tok.subtree)
                r = next((o for o in owners if o is not None and o.type in _OWNERS), None)
            if r is not None and r.key != speaker_key:
                return ents.as_actor(r)
        return None

    def _measure_verb(self, verb: Token) -> bool:
        """ "sanctioned", or an action on a measure that is a support cue ("seized")."""
        if self.lex.topics["sanctions"].match(verb.text):
            return True
        return verb.lemma_.lower() in self.lex.action_verbs and bool(
            self.lex.support.match(verb.text)
        )

    def _after(
        self,
        sent: Span,
        fld: Field,
        ents: ArticleEntities,
        char: int,
        phrase: bool,
        measure: bool = False,
    ) -> Resolved | EntityRef | None:
        toks = [t for t in sent if t.idx >= char][:10]
        if not toks:
            return None
        if not phrase and toks[0].lower_ not in self.lex.target_prepositions:
            return None
        for t in toks:
            r = ents.at(fld, t.i)
            if r is not None and r.type in _TARGET_TYPES and not (measure and self._not_hit(t)):
                actor = ents.as_actor(r)
                # "from Western colleagues": an adjective that names no state is only part
                # of the phrase that names the party.
                if not (phrase and actor.type == "NORP" and t.head.pos_ == "NOUN"):
                    return actor
                break
            if t.is_punct and t.text not in ("-", "’", "'"):
                break
        if phrase:
            # "resistance from Western colleagues": the noun phrase when no entity is named.
            for t in toks:
                if t.pos_ in ("NOUN", "PROPN"):
                    words = [w.text for w in t.subtree if w.dep_ not in ("det", "prep", "punct")]
                    words = [w for w in words if w][:6]
                    return EntityRef(name=" ".join(words)) if words else None
        return None

    def _not_hit(self, tok: Token | None, where: bool = False) -> bool:
        """A state named as the place or victim of the cause ("sanctions over the annexation
        of Crimea", "because of the invasion of Ukraine"), as the agent that imposed the
        measure ("sanctions imposed by London") or, with ``where``, as the place something
        happened ("impounded in Trieste") is not the party the measure hits."""
        if tok is None:
            return False
        head = tok
        for _ in range(4):  # up to the name's own head word: "the United States"
            if head.head is head or head.head.pos_ != "PROPN" or head.dep_ not in _NAME_DEPS:
                break
            head = head.head
        prep = head.head
        if head.dep_ != "pobj" or prep.pos_ != "ADP":
            return False
        if prep.head.lemma_.lower() in self.lex.cause_nouns:
            return True
        verb = prep.head
        if prep.dep_ == "agent" and verb.dep_ == "acl" and self._is_measure(verb.head):
            return True
        return where and prep.lower_ in self.lex.place_prepositions

    def _is_measure(self, tok: Token) -> bool:
        return bool(
            self.lex.measure_words.match(tok.text) or self.lex.topics["sanctions"].match(tok.text)
        )

    @staticmethod
    def parties(
        doc_sents: list[Span], fld: Field, ents: ArticleEntities, cues: DocCues
    ) -> list[Resolved]:
        """States the article's sanctions sentences name, most often first: the party a
        sanctions statement is about when it names none ("Orbán urged leaders to change the
        sanctions policy" in an article about sanctions on Russia)."""
        starts = [h.s for h in cues.topics.get("sanctions", [])]
        counts: Counter[str] = Counter()
        first: dict[str, Resolved] = {}
        for sent in doc_sents:
            if not any(sent.start_char <= c < sent.end_char for c in starts):
                continue
            for r in ents.mentions.get(fld, []):
                if sent.start_char <= r.start_char < sent.end_char:
                    state = ents.as_actor(r)
                    if state.type == "GPE":
                        counts[state.key] += 1
                        first.setdefault(state.key, state)
        return [first[key] for key, _ in counts.most_common()]


def _token_at(sent: Span, char: int) -> Token | None:
    return next((t for t in sent if t.idx <= char < t.idx + len(t.text)), None)


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    if a[1] <= b[0]:
        return b[0] - a[1]
    if b[1] <= a[0]:
        return a[0] - b[1]
    return 0
