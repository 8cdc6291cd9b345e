"""The enrichment of one article: the code path shared by the Faust agent and the CLI.

spaCy's full small English pipeline (tagger and parser feed statement attribution) runs
once per field through ``nlp.pipe``; the gazetteer, the entity resolution, statements, topics
and stance are rules over its output and cost a few per cent on top.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from processors.nlp.entities import ArticleEntities, EntityResolver, Field, Resolved
from processors.nlp.gazetteer import Gazetteer
from processors.nlp.resources import lexicons
from processors.nlp.stance import DocCues, StanceLabeller, topic_hits
from processors.nlp.statements import Found, StatementFinder
from wirewatch.errors import ProcessingError
from wirewatch.schema import Article, Enrichment, EntityRef, Mention, Statement, Topic, utcnow

log = logging.getLogger(__name__)

ENRICHMENT_VERSION = 3
MAX_STATEMENTS = 200
MAX_MENTIONS = 50
MAX_ENTITIES = 300
# Every component of the small model is used: the parser and lemmas for statements, NER for
# entities. A larger model may carry more (e.g. "senter"); those stay disabled.
_UNUSED: tuple[str, ...] = ()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "on",
        "with",
        "as",
        "was",
        "said",
        "by",
        "it",
        "from",
        "at",
        "be",
        "has",
        "have",
        "are",
    ]
)
_REFERS_BACK = re.compile(
    r"\b(our|this|the|that|such|its|their)\s+(initiative|proposal|idea|plan|measure|measures|"
    r"move|step|decision|demand)\b",
    re.IGNORECASE,
)


@Language.component("wirewatch_paragraphs")
def paragraphs(doc: Doc) -> Doc:
    """A blank line ends a sentence: headlines, datelines and page chrome ("All news") are
    not glued to the first sentence. The parser keeps starts that are already set."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if (prev.is_space and prev.text.count("\n") >= 1) or "\n\n" in prev.whitespace_:
            tok.is_sent_start = True
    return doc


def load_model(name: str) -> Language:
    try:
        nlp = spacy.load(name, exclude=list(_UNUSED))
    except OSError as exc:
        raise ProcessingError(f"spaCy model {name!r} is not installed: {exc}") from exc
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("wirewatch_paragraphs", before="parser")
    return nlp


def _clean(value: str) -> tuple[str, bool]:
    """Control characters out (offsets kept: replaced by spaces); True if it looked binary."""
    bad = len(_CONTROL.findall(value))
    return _CONTROL.sub(" ", value), bool(value) and bad / max(len(value), 1) > 0.05


def _looks_english(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 30:
        return True
    return sum(1 for w in words if w in _ENGLISH_WORDS) / len(words) > 0.08


class Enricher:
    """Turns a raw article into an enriched one. Never raises on odd text: what cannot be
    done is said in ``enrichment.notes``."""

    def __init__(self, model_name: str, max_chars: int = 200_000, batch_size: int = 16) -> None:
        self.model_name = model_name
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.nlp = load_model(model_name)
        self.nlp.max_length = max(self.nlp.max_length, max_chars + 1)
        self.lex = lexicons()
        self.gazetteer = Gazetteer(self.nlp)
        self.resolver = EntityResolver(self.gazetteer)
        self.finder = StatementFinder(self.lex)
        self.labeller = StanceLabeller(self.lex)

    def enrich(self, article: Article) -> Article:
        result = self.enrich_many([article])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def enrich_many(self, articles: Sequence[Article]) -> list[Article | Exception]:
        """Enrich a batch through one ``nlp.pipe`` run; a failure is returned in its
        article's place so one bad article does not take the batch down."""
        prepared = [self._prepare(a) for a in articles]
        texts = [text for fields, _ in prepared for text in fields.values()]
        doc_iter: Iterator[Doc] = iter(self.nlp.pipe(texts, batch_size=self.batch_size))
        results: list[Article | Exception] = []
        for article, (fields, notes) in zip(articles, prepared, strict=True):
            field_docs = {name: next(doc_iter) for name in fields}
            try:
                results.append(self._label(article, field_docs, notes))
            except Exception as exc:  # a rule bug must cost one article, not the batch
                log.exception("enrichment failed", extra={"article_id": article.id})
                results.append(exc)
        return results

    def _prepare(self, article: Article) -> tuple[dict[Field, str], list[str]]:
        notes: list[str] = []
        fields: dict[Field, str] = {"title": article.title, "text": article.body}
        target: Field = "text" if article.text else "summary"
        if target == "summary":
            fields = {"title": article.title, "summary": article.summary}
        for name, value in list(fields.items()):
            if len(value) > self.max_chars:
                notes.append(f"{name} cut to the first {self.max_chars} of {len(value)} characters")
                value = value[: self.max_chars]
            value, binary = _clean(value)
            if binary:
                notes.append(f"{name} looks like binary data: not analysed")
                value = ""
            fields[name] = value
        if not any(v.strip() for v in fields.values()):
            notes.append("no text to enrich")
        if article.language and not article.language.lower().startswith("en"):
            notes.append(f"language {article.language!r}: analysed with the English model")
        elif not _looks_english(fields.get(target, "")):
            notes.append("text does not look like English: entities and statements may be missing")
        return fields, notes

    def _label(self, article: Article, docs: dict[Field, Doc], notes: list[str]) -> Article:
        ents = self.resolver.resolve(docs)
        statements: list[Statement] = []
        topic_evidence: dict[str, list[Mention]] = {}
        for fld, doc in docs.items():
            if fld == "title":
                continue
            cues = DocCues(self.lex, doc.text)
            statements.extend(self._statements(doc, fld, ents, cues))
            for name, hits in cues.topics.items():
                if len(hits) >= 2 or any(name in s.topics for s in statements):
                    topic_evidence.setdefault(name, []).extend(
                        Mention(
                            text=m.group(),
                            start=m.start(),
                            end=m.end(),
                            field=fld,
                            cue=f"topic:{name}",
                        )
                        for m in hits[:5]
                    )
        for name, hits in topic_hits(self.lex, docs["title"].text).items():
            topic_evidence.setdefault(name, []).extend(
                Mention(
                    text=m.group(), start=m.start(), end=m.end(), field="title", cue=f"topic:{name}"
                )
                for m in hits[:2]
            )
        order = {name: i for i, name in enumerate(self.lex.topic_order)}
        topics = [
            Topic(name=name, evidence=ev[:6], version=ENRICHMENT_VERSION)
            for name, ev in sorted(topic_evidence.items(), key=lambda kv: order[kv[0]])
        ]
        entities = ents.entities(ENRICHMENT_VERSION)
        # A record must fit a Kafka message: very long texts keep the first labels only.
        if len(statements) > MAX_STATEMENTS:
            notes.append(f"{len(statements)} statements, the first {MAX_STATEMENTS} kept")
            statements = statements[:MAX_STATEMENTS]
        if any(len(e.mentions) > MAX_MENTIONS for e in entities):
            notes.append(f"entities keep their first {MAX_MENTIONS} mentions")
            entities = [
                e.model_copy(update={"mentions": e.mentions[:MAX_MENTIONS]}) for e in entities
            ]
        if len(entities) > MAX_ENTITIES:
            notes.append(f"{len(entities)} entities, the {MAX_ENTITIES} most mentioned kept")
            entities = entities[:MAX_ENTITIES]
        return article.model_copy(
            update={
                "entities": entities,
                "statements": statements,
                "topics": topics,
                "enrichment": Enrichment(
                    version=ENRICHMENT_VERSION,
                    model=self.model_name,
                    enriched_at=utcnow(),
                    notes=notes,
                ),
            }
        )

    def _statements(
        self, doc: Doc, fld: Field, ents: ArticleEntities, cues: DocCues
    ) -> list[Statement]:
        starts = [h.s for h in cues.topics.get("sanctions", [])]
        topical = {
            i
            for i, s in enumerate(doc.sents)
            if any(s.start_char <= c < s.end_char for c in starts)
        }
        parties = StanceLabeller.parties(list(doc.sents), fld, ents, cues)
        result: list[Statement] = []
        previous: Statement | None = None
        for found in self.finder.find(doc, fld, ents, topical):
            inherited = None
            if (
                previous is not None
                and found.speaker is not None
                and previous.speaker is not None
                and previous.speaker.name == found.speaker.name
                and _REFERS_BACK.search(found.sent.text)
            ):
                inherited = previous.topics
            statement = self._statement(found, fld, ents, inherited, cues, parties)
            if found.kind == "action" and "sanctions" not in statement.topics:
                continue
            result.append(statement)
            previous = statement
            for call in self.finder.callers(found, fld, ents):
                # "X rejected calls from Y for sanctions": Y asked for them.
                asked = self._statement(call, fld, ents, None, cues, parties)
                if asked.topics:
                    result.append(asked)
        return result

    def _statement(
        self,
        found: Found,
        fld: Field,
        ents: ArticleEntities,
        inherited: list[str] | None,
        cues: DocCues,
        parties: list[Resolved],
    ) -> Statement:
        sent = found.sent
        speaker = found.speaker
        labels = self.labeller.label(
            sent, fld, ents, speaker.key if speaker else None, inherited, found.cue, cues, parties
        )
        stance = labels.stance
        evidence = list(labels.evidence)
        if found.cue is not None:
            evidence.insert(0, _token_mention(found, fld, f"statement:{found.how}"))
        if speaker is not None and speaker.mention is not None:
            m = speaker.mention
            evidence.insert(
                0,
                Mention(
                    text=m.text,
                    start=m.start_char,
                    end=m.end_char,
                    field=m.field,
                    cue=f"speaker:{m.cue}",
                ),
            )
        text = sent.text.strip()
        start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        confidence = 0.8 if found.kind != "action" and found.cue is not None else 0.6
        if speaker is None or speaker.key is None:
            confidence -= 0.2
        return Statement(
            speaker=EntityRef(
                name=speaker.name, type=speaker.type, canonical_id=speaker.canonical_id
            )
            if speaker
            else None,
            text=text,
            start=start,
            end=start + len(text),
            kind=found.kind,
            field=fld,
            topics=labels.topics,
            stance=stance,
            target=labels.target,
            target_role=labels.target_role,
            evidence=evidence,
            confidence=round(confidence, 2),
            version=ENRICHMENT_VERSION,
        )


def _token_mention(found: Found, fld: Field, cue: str) -> Mention:
    tok = found.cue
    assert tok is not None
    return Mention(text=tok.text, start=tok.idx, end=tok.idx + len(tok.text), field=fld, cue=cue)
