"""The gazetteer and lexicons are data an analyst edits: they must stay loadable and
unambiguous, or entities silently merge."""

from __future__ import annotations

import re
from collections import defaultdict

from processors.nlp.resources import compile_terms, gazetteer_entries, lexicons

_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "LAW", "EVENT"}


def test_every_gazetteer_entry_is_typed_and_no_alias_names_two_entities() -> None:
    entries = gazetteer_entries()
    assert len(entries) > 300
    owners: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        assert e.type in _LABELS, e
        assert e.wikidata is None or re.fullmatch(r"Q\d+", e.wikidata), e
        for alias in (e.name, *e.aliases, *e.exact):
            owners[alias.lower() if " " in alias else alias].add(e.name)
    clashes = {alias: names for alias, names in owners.items() if len(names) > 1}
    assert not clashes


def test_sanctions_lexicon_covers_the_measures_a_desk_watches() -> None:
    sanctions = lexicons().topics["sanctions"]
    for text in [
        "a full trade embargo",
        "new restrictive measures",
        "an asset freeze",
        "export controls on chips",
        "the oil price cap",
        "added to the blacklist",
        "designated by OFAC",
        "on the SDN list",
        "under Chapter VII of the UN Charter",
    ]:
        assert sanctions.search(text) is not None, text
    assert sanctions.search("non-sanctions talks") is None


def test_terms_match_whole_words_and_starred_endings() -> None:
    terms = compile_terms(["ban* the export*", "cap", "n't"])
    assert [m.group() for m in terms.finditer("They banned the exports; a cap.")] == [
        "banned the exports",
        "cap",
    ]
    assert terms.search("capital") is None
