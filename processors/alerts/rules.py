"""Alert rules: a tree of conditions over one statement of one article.

Leaves test one field; ``all``/``any``/``not`` combine them. Rules are plain frozen data and
:meth:`Rule.matches` is a pure function, so the Faust agent and ``wirewatch alerts test``
evaluate them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property

from wirewatch.schema import Article, EntityRef, Statement

# Words a desk uses for entity types, mapped to the labels the enrichment may put on them
# (spaCy's NER labels and the gazetteer's own types). A type not listed matches itself.
TYPE_SYNONYMS: dict[str, frozenset[str]] = {
    "person": frozenset({"person", "per", "state_official", "official"}),
    "state_official": frozenset({"state_official", "official", "politician", "diplomat"}),
    "official": frozenset({"state_official", "official", "politician", "diplomat"}),
    "body": frozenset({"body", "org", "organisation", "organization", "international_body"}),
    "organisation": frozenset({"org", "organisation", "organization", "body"}),
    "state": frozenset({"state", "gpe", "country"}),
    "group": frozenset({"group", "norp", "armed_group", "terrorist_group"}),
}


def _norm_type(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


class Condition:
    """A test of one statement in its article."""

    def matches(self, article: Article, statement: Statement) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class AllOf(Condition):
    parts: tuple[Condition, ...]

    def matches(self, article: Article, statement: Statement) -> bool:
        return all(p.matches(article, statement) for p in self.parts)


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def matches(self, article: Article, statement: Statement) -> bool:
        return any(p.matches(article, statement) for p in self.parts)


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def matches(self, article: Article, statement: Statement) -> bool:
        return not self.part.matches(article, statement)


def _name_matches(patterns: tuple[str, ...], ref: EntityRef | None) -> bool:
    """A pattern matches the entity's name or canonical id, case-insensitively; ``*`` globs."""
    if ref is None:
        return False
    names = [ref.name.casefold()] + ([ref.canonical_id.casefold()] if ref.canonical_id else [])
    return any(fnmatchcase(name, p) for p in patterns for name in names)


def _type_matches(wanted: tuple[str, ...], ref: EntityRef | None) -> bool:
    if ref is None or not ref.type:
        return False
    actual = _norm_type(ref.type)
    return any(actual in TYPE_SYNONYMS.get(w, frozenset({w})) for w in wanted)


@dataclass(frozen=True)
class FieldTest(Condition):
    """``field: value`` or ``field: [value, ...]`` (any of the values)."""

    field: str
    values: tuple[str, ...]

    @cached_property
    def _terms(self) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(v) for v in self.values)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def matches(self, article: Article, statement: Statement) -> bool:
        test = _FIELD_TESTS[self.field]
        return test(self, article, statement)


def _topics(t: FieldTest, a: Article, s: Statement) -> bool:
    return any(topic.casefold() in t.values for topic in s.topics)


def _article_topics(t: FieldTest, a: Article, s: Statement) -> bool:
    return any(topic.name.casefold() in t.values for topic in a.topics)


def _feed(t: FieldTest, a: Article, s: Statement) -> bool:
    return any(fnmatchcase(v.casefold(), p) for p in t.values for v in (a.feed, a.source))


def _language(t: FieldTest, a: Article, s: Statement) -> bool:
    lang = (a.language or "").casefold()
    return any(lang == v or lang.startswith(v + "-") for v in t.values)


_FIELD_TESTS: dict[str, Callable[[FieldTest, Article, Statement], bool]] = {
    "topic": _topics,
    "article_topic": _article_topics,
    "stance": lambda t, a, s: s.stance in t.values,
    "speaker": lambda t, a, s: _name_matches(t.values, s.speaker),
    "speaker_type": lambda t, a, s: _type_matches(t.values, s.speaker),
    "target": lambda t, a, s: _name_matches(t.values, s.target),
    "target_type": lambda t, a, s: _type_matches(t.values, s.target),
    "feed": _feed,
    "language": _language,
    "kind": lambda t, a, s: s.kind in t.values,
    "terms": lambda t, a, s: bool(t._terms.search(s.text)),
    "article_terms": lambda t, a, s: bool(
        t._terms.search(a.title) or t._terms.search(a.text or a.summary)
    ),
}
FIELDS = tuple(_FIELD_TESTS)
STANCES = ("support", "oppose", "neutral")


@dataclass(frozen=True)
class MinConfidence(Condition):
    threshold: float

    def matches(self, article: Article, statement: Statement) -> bool:
        return statement.confidence >= self.threshold


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    throttle_seconds: float
    description: str = ""
    channels: tuple[str, ...] = ()  # empty: every configured channel
    line: int = 0  # where the rule starts in its file, for messages

    def matches(self, article: Article, statement: Statement) -> bool:
        return self.condition.matches(article, statement)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str = "<rules>"
    names: frozenset[str] = field(default=frozenset())

    def matching(self, article: Article, statement: Statement) -> Iterable[Rule]:
        return (rule for rule in self.rules if rule.matches(article, statement))
