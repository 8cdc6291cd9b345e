"""Alert rules: the shipped file, every kind of condition, and bad files refused with where."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.alerts import load_rules, parse_rules
from tests.alert_builders import BORRELL, IRAN, LAVROV, article, statement
from wirewatch.errors import ConfigError


def fired(rules_yaml: str, *arts: object) -> list[str]:
    rules = parse_rules(rules_yaml)
    return [
        rule.name
        for a in arts
        for s in a.statements  # type: ignore[attr-defined]
        for rule in rules.matching(a, s)  # type: ignore[arg-type]
    ]


def test_the_shipped_rules_load_and_include_statements_about_sanctions() -> None:
    rules = load_rules()
    assert "statements about sanctions" in rules.names
    sanctions = next(r for r in rules.rules if r.name == "statements about sanctions")
    assert sanctions.throttle_seconds == 3600
    embargo = article(statement())
    assert sanctions.matches(embargo, embargo.statements[0])
    off_topic = article(statement(topics=("economy",)))
    assert not sanctions.matches(off_topic, off_topic.statements[0])


@pytest.mark.parametrize(
    ("condition", "fires"),
    [
        ("topic: Sanctions", True),
        ("topic: [trade, sanctions]", True),
        ("topic: economy", False),
        ("stance: support", True),
        ("stance: [oppose, neutral]", False),
        ("speaker: sergey lavrov", True),
        ("speaker: Q131742", True),
        ("speaker: '*lavrov'", True),
        ("speaker: Vladimir Putin", False),
        ("speaker_type: person", True),
        ("speaker_type: state official", False),
        ("speaker_type: body", False),
        ("target: Islamic State", True),
        ("target_type: body", True),
        ("feed: '*tass.com*'", True),
        ("feed: TASS", True),
        ("feed: Reuters", False),
        ("language: en", True),
        ("language: ru", False),
        ("terms: [embargo]", True),
        ("terms: [embar]", False),
        ("terms: [security council]", True),
        ("article_terms: [islamic state]", True),
        ("min_confidence: 0.95", False),
        ("all: [{topic: sanctions}, {stance: support}]", True),
        ("all: [{topic: sanctions}, {stance: oppose}]", False),
        ("any: [{stance: oppose}, {speaker: sergey lavrov}]", True),
        ("not: {stance: support}", False),
        ("{topic: sanctions, not: {target: iran}}", True),
    ],
)
def test_each_condition_tests_its_field(condition: str, fires: bool) -> None:
    flow = condition if condition.startswith("{") else "{" + condition + "}"
    rules = f"rules:\n  - name: r\n    match: {flow}\n"
    assert (fired(rules, article(statement())) == ["r"]) is fires


def test_a_rule_fires_once_per_matching_statement_and_only_on_those() -> None:
    rules = "rules:\n  - name: opposing sanctions\n    match: {topic: sanctions, stance: oppose}\n"
    mixed = article(
        statement(),
        statement("The EU must lift its sanctions on Iran", BORRELL, IRAN, stance="oppose"),
        statement("The weather is fine", BORRELL, None, topics=()),
    )
    assert fired(rules, mixed) == ["opposing sanctions"]


def test_disabled_rules_are_skipped_and_channels_and_throttle_are_read() -> None:
    rules = parse_rules(
        "rules:\n"
        "  - name: a\n    match: {topic: sanctions}\n    throttle: 30m\n    channels: [slack]\n"
        "  - name: b\n    match: {topic: sanctions}\n    enabled: false\n"
    )
    assert [r.name for r in rules.rules] == ["a"]
    assert rules.rules[0].throttle_seconds == 1800
    assert rules.rules[0].channels == ("slack",)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("rules:\n  - name: a\n    match: {topic: x}\n    colour: red\n", 4, "unknown rule key"),
        ("rules:\n  - name: a\n    match:\n      topicz: sanctions\n", 4, "unknown condition"),
        ("rules:\n  - name: a\n    match:\n      stance: angry\n", 4, "unknown stance 'angry'"),
        ("rules:\n  - name: a\n    match: {topic: x}\n    throttle: soon\n", 4, "bad throttle"),
        ("rules:\n  - name: a\n    match: {topic: x}\n    channels: [pager]\n", 4, "channel"),
        ("rules:\n  - name: a\n    throttle: 1h\n", 2, "needs a 'match'"),
        ("rules:\n  - match: {topic: x}\n", 2, "non-empty 'name'"),
        (
            "rules:\n  - name: a\n    match: {topic: x}\n  - name: a\n    match: {topic: y}\n",
            4,
            "defined twice",
        ),
        ("rules:\n  - name: a\n    match:\n      all: []\n", 4, "non-empty list"),
        ("rules:\n  - name: a\n    match: {topic: [x, y}\n", 3, "not valid YAML"),
        ("feeds: []\n", 1, "'rules' list"),
    ],
)
def test_a_bad_rules_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert reason in message


def test_a_missing_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules file .*nope\.yaml"):
        load_rules(tmp_path / "nope.yaml")


def test_speaker_types_match_the_desk_words() -> None:
    official = statement(speaker=LAVROV.model_copy(update={"type": "STATE_OFFICIAL"}))
    rules = "rules:\n  - name: r\n    match: {speaker_type: [state official]}\n"
    assert fired(rules, article(official)) == ["r"]
    body = statement(speaker=IRAN.model_copy(update={"name": "UN Security Council", "type": "ORG"}))
    assert fired("rules:\n  - name: r\n    match: {speaker_type: body}\n", article(body)) == ["r"]
