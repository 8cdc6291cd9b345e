"""Named entities with spaCy: spans grouped into one entity per name in an article."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Literal

from spacy.tokens import Doc

from wirewatch.schema import Entity, Mention

# Labels a desk watches; dates, numbers and amounts are not entities to search by.
ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)

_LEADING_THE = re.compile(r"^(the)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"[’']s?$")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """'the Foreign Ministry’s' -> 'Foreign Ministry'."""
    name = _SPACES.sub(" ", text).strip(' \t\n"“”‘’,.;:')
    name = _LEADING_THE.sub("", name)
    return _POSSESSIVE.sub("", name).strip()


Field = Literal["title", "summary", "text"]


def mentions_of(doc: Doc, field: Field) -> Iterable[tuple[str, str, Mention]]:
    """(normalised name, label, mention) for every named-entity span of ``doc``."""
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        name = normalise_name(ent.text)
        if not name:
            continue
        yield (
            name,
            ent.label_,
            Mention(
                text=ent.text,
                start=ent.start_char,
                end=ent.end_char,
                field=field,
                cue=f"ner:{ent.label_}",
            ),
        )


def group_entities(found: Iterable[tuple[str, str, Mention]]) -> list[Entity]:
    """One entity per name (case-insensitive); its type is the label given most often."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    mentions: dict[str, list[Mention]] = defaultdict(list)
    names: dict[str, str] = {}
    for name, label, mention in found:
        key = name.casefold()
        names.setdefault(key, name)
        labels[key][label] += 1
        mentions[key].append(mention)
    entities = [
        Entity(
            name=names[key],
            type=labels[key].most_common(1)[0][0],
            source="ner",
            mentions=mentions[key],
        )
        for key in names
    ]
    return sorted(entities, key=lambda e: (-len(e.mentions), e.name))
