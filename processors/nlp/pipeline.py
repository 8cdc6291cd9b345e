"""The enrichment of one article: the code path shared by the Faust agent and the CLI."""

from __future__ import annotations

import logging
from itertools import chain

import spacy
from spacy.language import Language

from processors.nlp.entities import Field, group_entities, mentions_of
from wirewatch.errors import ProcessingError
from wirewatch.schema import Article, Enrichment, utcnow

log = logging.getLogger(__name__)

ENRICHMENT_VERSION = 1
# The entity step needs only the named-entity recogniser (which carries its own tok2vec in
# the small English model): about twice as fast as the full pipeline, with the same entities.
_NER_ONLY = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


def load_model(name: str) -> Language:
    try:
        return spacy.load(name, exclude=list(_NER_ONLY))
    except OSError as exc:
        raise ProcessingError(f"spaCy model {name!r} is not installed: {exc}") from exc


class Enricher:
    """Turns a raw article into an enriched one. Never raises on odd text: what cannot be
    done is said in ``enrichment.notes``."""

    def __init__(self, model_name: str, max_chars: int = 200_000) -> None:
        self.model_name = model_name
        self.max_chars = max_chars
        self.nlp = load_model(model_name)

    def enrich(self, article: Article) -> Article:
        notes: list[str] = []
        fields: dict[Field, str] = {
            "title": article.title,
            "summary": article.summary,
            "text": article.text,
        }
        # The summary is usually the lead of the text; read it only when there is no text.
        if article.text:
            fields.pop("summary")
        if not any(v.strip() for v in fields.values()):
            notes.append("no text to enrich")
        if article.language and article.language != "en":
            notes.append(f"language {article.language!r}: entities from the English model")
        for name, value in fields.items():
            if len(value) > self.max_chars:
                notes.append(f"{name} cut to the first {self.max_chars} of {len(value)} characters")
                fields[name] = value[: self.max_chars]
        docs = self.nlp.pipe(list(fields.values()))
        found = chain.from_iterable(
            mentions_of(doc, field) for field, doc in zip(fields, docs, strict=True)
        )
        return article.model_copy(
            update={
                "entities": group_entities(found),
                "enrichment": Enrichment(
                    version=ENRICHMENT_VERSION,
                    model=self.model_name,
                    enriched_at=utcnow(),
                    notes=notes,
                ),
            }
        )
