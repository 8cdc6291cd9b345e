"""The rules file: YAML read with line numbers, so a bad rule is refused with where and why.

::

    rules:
      - name: statements about sanctions      # required, unique
        description: ...                       # optional, shown in the alert
        match:                                 # required: a condition
          all:
            - topic: sanctions                 # a field test: a value or a list (any of)
            - not: {stance: neutral}
        throttle: 1h                           # optional: fold repeats (default from settings)
        channels: [log, webhook]               # optional: default every configured channel
        enabled: true                          # optional

A condition is a mapping: ``all: [...]``, ``any: [...]``, ``not: {...}``, field tests
(several in one mapping must all hold) and ``min_confidence: 0.6``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from processors.alerts.rules import (
    FIELDS,
    STANCES,
    AllOf,
    AnyOf,
    Condition,
    FieldTest,
    MinConfidence,
    Not,
    Rule,
    RuleSet,
)
from wirewatch.errors import ConfigError

CHANNELS = ("log", "webhook", "slack", "email")
_RULE_KEYS = ("name", "description", "match", "throttle", "channels", "enabled")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def default_rules_path() -> Path:
    return Path(str(resources.files("processors") / "data" / "alert_rules.yaml"))


class _Map(dict[Any, Any]):
    line = 0
    key_lines: dict[Any, int]


class _Seq(list[Any]):
    line = 0


class _LineLoader(yaml.SafeLoader):
    """Safe YAML whose mappings and sequences remember the line they start on."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


class _Reader:
    def __init__(self, source: str, default_throttle: float) -> None:
        self.source = source
        self.default_throttle = default_throttle

    def fail(self, line: int, reason: str) -> ConfigError:
        return ConfigError(f"{self.source}:{line}: {reason}")

    def rules(self, doc: Any) -> RuleSet:
        if doc is None:
            doc = _Map()
        if not isinstance(doc, _Map) or "rules" not in doc:
            raise self.fail(getattr(doc, "line", 1), "expected a mapping with a 'rules' list")
        rules_node = doc["rules"]
        if not isinstance(rules_node, _Seq):
            raise self.fail(doc.key_lines["rules"], "'rules' must be a list of rules")
        rules: list[Rule] = []
        names: set[str] = set()
        for node in rules_node:
            rule = self.rule(node, rules_node.line)
            if rule is None:
                continue
            if rule.name in names:
                raise self.fail(rule.line, f"rule {rule.name!r} is defined twice")
            names.add(rule.name)
            rules.append(rule)
        return RuleSet(tuple(rules), self.source, frozenset(names))

    def rule(self, node: Any, near: int) -> Rule | None:
        if not isinstance(node, _Map):
            raise self.fail(near, f"a rule must be a mapping, not {node!r}")
        line = node.line
        unknown = [k for k in node if k not in _RULE_KEYS]
        if unknown:
            raise self.fail(
                node.key_lines[unknown[0]],
                f"unknown rule key {unknown[0]!r} (expected one of {', '.join(_RULE_KEYS)})",
            )
        name = node.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(line, "a rule needs a non-empty 'name'")
        where = f"rule {name!r}: "
        enabled = node.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail(node.key_lines["enabled"], where + "'enabled' must be true or false")
        if "match" not in node:
            raise self.fail(line, where + "a rule needs a 'match' condition")
        condition = self.condition(node["match"], node.key_lines["match"], where)
        throttle = self.default_throttle
        if "throttle" in node:
            throttle = self.duration(node["throttle"], node.key_lines["throttle"], where)
        channels = node.get("channels", [])
        if isinstance(channels, str):
            channels = [channels]
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise self.fail(node.key_lines["channels"], where + "'channels' must be a list")
        for channel in channels:
            if channel not in CHANNELS:
                raise self.fail(
                    node.key_lines["channels"],
                    where + f"unknown channel {channel!r} (expected {', '.join(CHANNELS)})",
                )
        description = node.get("description", "")
        if not isinstance(description, str):
            raise self.fail(node.key_lines["description"], where + "'description' must be text")
        if not enabled:
            return None
        return Rule(name.strip(), condition, throttle, description.strip(), tuple(channels), line)

    def duration(self, value: Any, line: int, where: str) -> float:
        match = _DURATION.match(str(value)) if not isinstance(value, bool) else None
        if match is None:
            raise self.fail(line, where + f"bad throttle {value!r} (e.g. 90s, 30m, 1h, 1d)")
        return float(match.group(1)) * _UNITS[match.group(2)]

    def condition(self, node: Any, line: int, where: str) -> Condition:
        if not isinstance(node, _Map) or not node:
            raise self.fail(line, where + f"a condition must be a non-empty mapping, not {node!r}")
        parts: list[Condition] = []
        for key, value in node.items():
            at = node.key_lines[key]
            if key in ("all", "any"):
                if not isinstance(value, _Seq) or not value:
                    raise self.fail(at, where + f"'{key}' needs a non-empty list of conditions")
                subs = tuple(self.condition(v, value.line, where) for v in value)
                parts.append(AllOf(subs) if key == "all" else AnyOf(subs))
            elif key == "not":
                parts.append(Not(self.condition(value, at, where)))
            elif key == "min_confidence":
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise self.fail(at, where + "'min_confidence' must be a number")
                if not 0 <= value <= 1:
                    raise self.fail(at, where + "'min_confidence' must be between 0 and 1")
                parts.append(MinConfidence(float(value)))
            elif key in FIELDS:
                parts.append(FieldTest(key, self.values(key, value, at, where)))
            else:
                raise self.fail(
                    at,
                    where + f"unknown condition {key!r} (expected all, any, not, "
                    f"min_confidence or one of {', '.join(FIELDS)})",
                )
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def values(self, key: str, value: Any, line: int, where: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        if not items or not all(isinstance(v, str | int | float) for v in items):
            raise self.fail(line, where + f"'{key}' needs a value or a list of values")
        values = tuple(str(v).strip().casefold() for v in items if str(v).strip())
        if not values:
            raise self.fail(line, where + f"'{key}' needs a non-empty value")
        if key == "stance":
            bad = [v for v in values if v not in STANCES]
            if bad:
                raise self.fail(
                    line, where + f"unknown stance {bad[0]!r} (expected {', '.join(STANCES)})"
                )
        if key in ("speaker_type", "target_type"):
            values = tuple(re.sub(r"[\s\-]+", "_", v) for v in values)
        return values


def parse_rules(text: str, source: str = "<rules>", default_throttle: float = 3600.0) -> RuleSet:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}:{line}: not valid YAML: {problem}") from exc
    return _Reader(source, default_throttle).rules(doc)


def load_rules(path: Path | None = None, default_throttle: float = 3600.0) -> RuleSet:
    """Read and check a rules file (the shipped default when ``path`` is None)."""
    path = path or default_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"rules file {path}: {exc.strerror or exc}") from exc
    return parse_rules(text, str(path), default_throttle)
