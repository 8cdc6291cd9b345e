"""Reported statements and who made them.

A sentence is a statement when a reporting verb ("said", "stressed", "went on", "urged") has
a subject we can resolve to a speaker, when it says "according to X", when it is a quotation
continued from or attributed in a neighbouring sentence, or when an actor acts on a measure
("Switzerland has decided to adopt the EU sanctions"). Pronouns and descriptions ("he", "the
diplomat", "the ministry") resolve to the last speaker of that kind, else the last entity of
that kind mentioned before.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

from spacy.tokens import Doc, Span, Token

from processors.nlp.entities import ArticleEntities, Field, Resolved
from processors.nlp.resources import Lexicons

_OPEN = frozenset("“«")
_CLOSE = frozenset("”»")
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_GROUP_PRONOUNS = frozenset({"it", "they"})
_FIRST_PERSON = frozenset({"i", "we", "me", "us", "you"})
_ACTOR_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP"})
_GROUPS = frozenset({"ORG", "GPE"})
_CALLER_ORDER = {"PERSON": 0, "ORG": 1}
_VOICES = frozenset({"spokesman", "spokeswoman", "spokesperson", "official", "representative"})
_COUNTRY = frozenset({"country", "nation", "state", "kingdom", "republic"})
_SKIP_DEPS = frozenset({"relcl", "acl", "advcl", "ccomp", "punct"})
_MAX_CONTINUATION_GAP = 2  # sentences between a quote and the statement it continues

Kind = Literal["quote", "paraphrase", "action"]


@dataclass
class Speaker:
    name: str
    type: str | None = None
    canonical_id: str | None = None
    mention: Resolved | None = None  # where the speaker is named or referred to
    key: str | None = None


@dataclass
class Found:
    sent: Span
    speaker: Speaker | None
    kind: Kind
    cue: Token | None  # the reporting (or action) word
    how: str  # which rule attributed it
    negated_action: bool = False
    extra: list[Token] = field(default_factory=list)


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Quoted stretches, paired within each paragraph: curly quotes open and close, a
    straight one toggles (feeds mix them: "conflict freeze”), and a quotation still open at
    the end of its paragraph ends there (news reopens it in the next one)."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, ch in enumerate(text):
        if ch == "\n" and start is not None and text.startswith("\n\n", i):
            spans.append((start, i))
            start = None
        elif ch in _OPEN and start is None:
            start = i
        elif ch in _CLOSE and start is not None:
            spans.append((start, i + 1))
            start = None
        elif ch == '"':
            if start is None:
                start = i
            else:
                spans.append((start, i + 1))
                start = None
    if start is not None:
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b - a > 2]


class StatementFinder:
    def __init__(self, lex: Lexicons) -> None:
        self.lex = lex

    def find(self, doc: Doc, fld: Field, ents: ArticleEntities, topical: set[int]) -> list[Found]:
        """Statements of one field; ``topical`` holds the indexes of sentences about a measure
        (only those can be actions)."""
        quotes = quote_spans(doc.text)
        qstarts = [q[0] for q in quotes]
        mentions = ents.mentions.get(fld, [])
        starts = [m.start for m in mentions]
        sents = list(doc.sents)
        found: list[Found | None] = [None] * len(sents)
        last: dict[str, Speaker] = {}

        def in_quote(char: int) -> bool:
            i = bisect.bisect_right(qstarts, char) - 1
            return i >= 0 and quotes[i][0] <= char < quotes[i][1]

        def subject_person(tok: Token) -> Speaker | None:
            start = tok.sent.start
            window = [s for s in sents if s.end <= start][-2:]
            lo = window[0].start if window else start
            for t in reversed(doc[lo : tok.i]):
                if t.dep_ in ("nsubj", "nsubjpass") and t.lower_ not in _PERSON_PRONOUNS:
                    r = ents.at(fld, t.i)
                    if r is not None and r.type == "PERSON":
                        return _speaker(r)
            return None

        def recent_named(noun: str, before: int) -> Speaker | None:
            # "the ministry" -> the last ministry named, within the last few mentions.
            i = bisect.bisect_left(starts, before) - 1
            while i >= 0:
                if mentions[i].type == "ORG" and noun in mentions[i].name.lower():
                    return _speaker(mentions[i])
                i -= 1
            return None

        def recent(kinds: frozenset[str], before: int) -> Speaker | None:
            i = bisect.bisect_left(starts, before) - 1
            while i >= 0:
                r = ents.as_actor(mentions[i])
                if r.type in kinds:
                    return _speaker(r)
                i -= 1
            return None

        def refer(tok: Token, s: Speaker | None) -> Speaker | None:
            # "he", "the diplomat": the evidence is the word itself, pointing at the speaker.
            if s is None or s.mention is None:
                return s
            m = s.mention
            here = Resolved(
                key=m.key, name=m.name, type=m.type, canonical_id=m.canonical_id,
                source=m.source, field=fld, start=tok.i, end=tok.i + 1, start_char=tok.idx,
                end_char=tok.idx + len(tok.text), text=tok.text, cue=f"anaphor:{tok.lower_}",
            )  # fmt: skip
            return Speaker(s.name, s.type, s.canonical_id, here, s.key)

        def resolve(tok: Token) -> Speaker | None:
            low = tok.lower_
            if low in _FIRST_PERSON and (tok.pos_ == "PRON" or tok.text != "US"):
                return None  # "we", "us" -- but "the US" is a state
            if low in _PERSON_PRONOUNS:
                # "he"/"she" is the person who was last the subject of a sentence (within the
                # last two), else the last person speaking, else the last person named.
                subject = subject_person(tok)
                return refer(
                    tok, subject or last.get("person") or recent(frozenset({"PERSON"}), tok.i)
                )
            if low in _GROUP_PRONOUNS:
                return refer(tok, last.get("group") or recent(frozenset({"ORG", "GPE"}), tok.i))
            r = ents.at(fld, tok.i)
            if r is not None and r.type in _ACTOR_TYPES | {"LOC"}:
                return _speaker(ents.as_actor(r))
            lemma = tok.lemma_.lower()
            person_head = tok.tag_ not in ("NNS", "NNPS") and lemma in self.lex.person_anaphors
            # A person inside the subject beats a body, which beats a state: "Russia's deputy
            # prime minister Dmitry Rogozin", "the head of Roscosmos, Yury Borisov".
            inside = _subtree_mentions(tok, ents, fld)
            voice = lemma in _VOICES  # "a Gazprom spokesman": the body speaks
            for kinds in (
                ("PERSON",),
                ("ORG",) if voice or not person_head else (),
                () if person_head else ("GPE", "NORP", "LOC"),
            ):
                for m in inside:
                    if m.type in kinds:
                        return _speaker(m)
            if any(c.dep_ == "poss" and c.lower_ in _COUNTRY for c in tok.children):
                # "Finland has decided ..., the country's government announced": the state
                # that is a subject in this sentence, else the state last named.
                at_subjects = (ents.at(fld, t.i) for t in tok.sent if t.dep_ == "nsubj")
                subjects = [x for x in at_subjects if x is not None and x.type == "GPE"]
                if subjects:
                    return refer(tok, _speaker(ents.as_actor(subjects[0])))
                return refer(tok, recent(frozenset({"GPE"}), tok.i))
            if person_head:
                return refer(tok, last.get("person") or recent(frozenset({"PERSON"}), tok.i))
            if lemma in self.lex.org_anaphors:
                named = recent_named(lemma, tok.i)
                return refer(tok, named or last.get("group") or recent(_GROUPS, tok.i))
            if tok.tag_ in ("NNS", "NNPS") and tok.lemma_.lower() in self.lex.person_anaphors:
                # "officials said", "analysts say": a speaker the article does not name.
                words = [t for t in tok.subtree if t.dep_ not in _SKIP_DEPS and t.i <= tok.i]
                name = " ".join(t.text for t in words if t.dep_ != "det")
                return Speaker(name=name) if name else None
            return None

        for i, sent in enumerate(sents):
            f = self._reported(sent, in_quote, resolve)
            if i in topical and (f is None or (f.cue is not None and f.cue.dep_ != "ROOT")):
                # "Moscow banned ... in what the ministry said was a response": the main
                # clause's actor, not a speaker in a subordinate clause, owns the sentence.
                act = self._action(sent, resolve)
                if act is not None and (
                    f is None or (act.cue is not None and act.cue.dep_ == "ROOT")
                ):
                    f = act
            if f is not None and f.speaker is not None:
                found[i] = f
                _remember(last, f.speaker)
        # Quoted sentences without their own cue: the speaker of the quote's next attributed
        # sentence ('"A. B," he said': read backwards so a run of them all reach the
        # attribution), else of the statement just before ('"A," he said. "B."').
        for i in range(len(sents) - 2, -1, -1):
            nxt = found[i + 1]
            if (
                found[i] is None
                and nxt is not None
                and nxt.kind == "quote"
                and nxt.speaker is not None
                and self._quoted(sents[i], in_quote)
                and in_quote(sents[i + 1].start_char + 1)
            ):
                found[i] = Found(sents[i], nxt.speaker, "quote", None, "quote-continuation")
        for i, sent in enumerate(sents):
            if found[i] is not None or not self._quoted(sent, in_quote):
                continue
            back = range(i - 1, max(i - 2 - _MAX_CONTINUATION_GAP, -1), -1)
            prev = next((found[j] for j in back if found[j]), None)
            if prev is not None and prev.speaker is not None and prev.kind != "action":
                found[i] = Found(sent, prev.speaker, "quote", None, "quote-continuation")
        return _merge_quotes(doc, [f for f in found if f is not None])

    def _reported(self, sent: Span, in_quote: object, resolve: object) -> Found | None:
        assert callable(in_quote) and callable(resolve)
        has_quote = any(in_quote(t.idx) for t in sent if not t.is_punct)
        kind: Kind = "quote" if has_quote else "paraphrase"
        if not any(t.is_alpha for t in sent):
            return None
        verbs = [t for t in sent if self._is_reporting(t) and not in_quote(t.idx)]
        # A trailing attribution ("..., he went on.") frames the whole sentence; otherwise the
        # reporting verb highest in the parse does.
        verbs.sort(key=lambda v: (not _trailing(v, sent), _depth(v)))
        by_verb: Found | None = None
        for verb in verbs:
            subj = _subject(verb)
            if subj is not None and subj.dep_ == "nsubjpass":
                subj = _agent(verb)  # "was announced by the department"
            if subj is None:
                continue
            speaker = resolve(subj)
            if speaker is not None:
                by_verb = Found(sent, speaker, kind, verb, f"subject of {verb.lemma_}")
                break
        if by_verb is not None and (by_verb.cue is None or by_verb.cue.dep_ == "ROOT"):
            return by_verb
        # "According to him, Germany ... will continue to ...": a reporting verb below the
        # main clause is part of what "according to" attributes.
        return self._according_to(sent, kind, resolve) or by_verb

    def _according_to(self, sent: Span, kind: Kind, resolve: object) -> Found | None:
        assert callable(resolve)
        for m in self.lex.according_to.finditer(sent.text):
            start = sent.start_char + m.end()
            toks = [t for t in sent if t.idx >= start][:8]
            # A name after "according to" wins over the description before it
            # ("according to ex-President of Poland Aleksander Kwaśniewski").
            named = [t for t in toks if t.ent_type_ in ("PERSON", "ORG", "GPE")]
            if toks and toks[0].pos_ == "PRON":
                named = toks[:1]  # "according to him, Germany ...": him
            for t in [*named, *toks]:
                if t.pos_ in ("PROPN", "NOUN", "PRON"):
                    speaker = resolve(t)
                    if speaker is not None:
                        cue = next(t for t in sent if t.idx >= sent.start_char + m.start())
                        return Found(sent, speaker, kind, cue, "according to")
        return None

    def _action(self, sent: Span, resolve: object) -> Found | None:
        assert callable(resolve)
        for verb in sorted(sent, key=_depth):
            if verb.pos_ not in ("VERB", "AUX") or verb.lemma_.lower() not in self.lex.action_verbs:
                continue
            subj = _subject(verb)
            agent = _agent(verb)
            tok = agent if agent is not None else subj
            # A pronoun acting is usually the sanctioned party ("He was sanctioned").
            if agent is None and (tok is None or tok.lower_ in _PERSON_PRONOUNS | _GROUP_PRONOUNS):
                continue
            speaker = resolve(tok) if tok is not None else None
            if speaker is None or speaker.mention is None:
                continue
            if agent is None and subj is not None and subj.dep_ == "nsubjpass":
                continue  # "X was sanctioned": X is the target, not the actor
            negated = any(c.dep_ == "neg" for c in verb.children)
            return Found(sent, speaker, "action", verb, f"actor of {verb.lemma_}", negated)
        return None

    def callers(self, found: Found, fld: Field, ents: ArticleEntities) -> list[Found]:
        """Those whose calls the statement answers ("rejected calls from the chancellor,
        Olaf Scholz, for Serbia to impose sanctions"): each asked for something, a statement of
        their own with the call as its cue."""
        if found.cue is None:
            return []
        result: list[Found] = []
        for noun in found.cue.subtree:
            if noun.pos_ != "NOUN" or noun.lemma_.lower() not in self.lex.call_nouns:
                continue
            for prep in noun.children:
                if prep.dep_ != "prep" or prep.lower_ != "from":
                    continue
                named = [
                    r
                    for t in prep.subtree
                    if (r := ents.at(fld, t.i)) is not None and r.type in _ACTOR_TYPES
                ]
                # "from the Polish prime minister, Donald Tusk": the person, not the adjective.
                named.sort(key=lambda r: _CALLER_ORDER.get(r.type or "", 2))
                if not named:
                    continue
                caller = named[0]
                caller = ents.as_actor(caller) if caller.type == "NORP" else caller
                if found.speaker is not None and caller.key == found.speaker.key:
                    continue
                # From the call on is the statement: "calls from Y for sanctions on Z" (what
                # is asked often hangs on the verb, not on the noun).
                end = found.sent.end
                while end > noun.i + 1 and noun.doc[end - 1].is_punct:
                    end -= 1
                span = noun.doc[noun.left_edge.i : end]
                result.append(Found(span, _speaker(caller), "paraphrase", noun, "call from"))
        return result

    def _is_reporting(self, tok: Token) -> bool:
        lemma = tok.lemma_.lower()
        if tok.pos_ not in ("VERB", "AUX") or lemma not in self.lex.reporting_verbs:
            return False
        parts = self.lex.particle_verbs.get(lemma)
        if parts:
            return any(c.lower_ in parts for c in tok.children)
        return True

    @staticmethod
    def _quoted(sent: Span, in_quote: object) -> bool:
        assert callable(in_quote)
        words = [t for t in sent if not t.is_punct and not t.is_space]
        inside = sum(1 for t in words if in_quote(t.idx))
        return bool(words) and inside / len(words) >= 0.5


_MAX_MERGED = 4  # sentences in one statement


def _merge_quotes(doc: Doc, found: list[Found]) -> list[Found]:
    """A quotation running over several sentences is one statement: "A," he said. "B." """
    merged: list[Found] = []
    size = 0
    for f in found:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and "quote-continuation" in (f.how, prev.how)
            and f.sent.start == prev.sent.end
            and prev.speaker is not None
            and f.speaker is not None
            and prev.speaker.name == f.speaker.name
            and size < _MAX_MERGED
        ):
            lead = prev if prev.cue is not None else f
            merged[-1] = Found(
                doc[prev.sent.start : f.sent.end],
                lead.speaker,
                "quote",
                lead.cue,
                lead.how if lead.cue is not None else "quote-continuation",
            )
            size += 1
            continue
        merged.append(f)
        size = 1
    return merged


def _speaker(r: Resolved) -> Speaker:
    return Speaker(name=r.name, type=r.type, canonical_id=r.canonical_id, mention=r, key=r.key)


def _remember(last: dict[str, Speaker], s: Speaker) -> None:
    if s.type == "PERSON":
        last["person"] = s
    elif s.type in ("ORG", "GPE", "NORP"):
        last["group"] = s


def _trailing(verb: Token, sent: Span) -> bool:
    """'..., he went on.' or '"...," the chancellor said at the presentation.' A clause of
    its own ('... is resolute" while announcing aid') frames nothing."""
    if any(c.dep_ == "mark" for c in verb.children):
        return False
    before = verb.doc[max(sent.start, verb.i - 4) : verb.i]
    if any(t.text in ("”", '"', "»") for t in before):
        return True
    return sent.end - verb.i <= 4 and any(t.text == "," for t in before)


def _depth(tok: Token) -> int:
    depth = 0
    while tok.head is not tok and depth < 50:
        tok = tok.head
        depth += 1
    return depth


def _subject(verb: Token) -> Token | None:
    # With two subjects (a parse error on "Russia's then minister X said") the nearer wins.
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if subjects:
        return min(subjects, key=lambda c: abs(verb.i - c.i))
    # "..., adding that": a participle or conjunct shares its head verb's subject.
    if verb.dep_ in ("advcl", "conj", "xcomp") and verb.head is not verb:
        for child in verb.head.children:
            if child.dep_ in ("nsubj",):
                return child
    return None


def _agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            for grand in child.children:
                if grand.dep_ == "pobj":
                    return grand
    # "was seized on behalf of the US": the one on whose behalf it was done acts.
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ == "on":
            for noun in child.children:
                if noun.dep_ == "pobj" and noun.lower_ == "behalf":
                    for of in noun.children:
                        if of.dep_ == "prep" and of.lower_ == "of":
                            pobj = [g for g in of.children if g.dep_ == "pobj"]
                            if pobj:
                                return pobj[0]
    return None


# Where a speaker hides in a subject: "the Hungarian prime minister, Viktor Orbán" (appos),
# "US officials" (compound/amod), "the text of Lavrov's speech" (prep, poss).
_CHILD_ORDER = {"appos": 0, "compound": 1, "amod": 1, "poss": 2, "nmod": 2, "prep": 3}


def _subtree_mentions(tok: Token, ents: ArticleEntities, fld: Field) -> list[Resolved]:
    """Entity mentions in a subject phrase, nearest first, not inside its relative clauses.
    A place only counts as a modifier of the subject ("US officials", "Russia's ministry"),
    not behind a preposition ("the report on reparations for Ukraine")."""
    found: list[Resolved] = []
    stack = sorted(
        ((c, c.dep_ == "prep") for c in tok.children if c.dep_ not in _SKIP_DEPS),
        key=lambda pair: _CHILD_ORDER.get(pair[0].dep_, 9),
    )
    while stack:
        t, deep = stack.pop(0)
        r = ents.at(fld, t.i)
        if r is not None and r.type in _ACTOR_TYPES | {"LOC"}:
            actor = ents.as_actor(r)
            if not deep or actor.type in ("PERSON", "ORG"):
                found.append(actor)
        stack.extend((c, deep or c.dep_ == "prep") for c in t.children if c.dep_ not in _SKIP_DEPS)
    return found
