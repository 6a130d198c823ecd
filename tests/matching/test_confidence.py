"""Honest matching: a confidence per match, weak results labelled, a no-match state, true reasons."""

from __future__ import annotations

from datetime import date

import pytest

from market.search.embedded import EmbeddedSearch
from matching.advice import next_steps
from matching.confidence import STATE_MATCH, STATE_NONE, STATE_WEAK, Confidence, load_confidence
from matching.engine import DemandProfile, Match, classify, match_demand, match_patents
from matching.field_model import train_field_model
from matching.reading import is_generic
from tests.matching.test_engine import listing

TODAY = date(2026, 1, 1)
SURE = Confidence(bias=0.0, key_coverage=0.0, object_coverage=0.0, title_hit=0.0, field=0.0, domain=0.0,
                  text=0.0, match_above=0.5, weak_above=0.2, weak_shown=3)


def test_the_default_confidence_is_the_versioned_file():
    assert load_confidence() == Confidence()


def _match(i: int, confidence: float) -> Match:
    return Match(listing_id=i, application_number=str(i), title=str(i), score=1.0 - i / 100, reasons=[], doc={},
                 features={}, confidence=confidence, grade=STATE_MATCH if confidence >= 0.5 else STATE_WEAK)


def test_confidence_grows_with_what_the_listing_covers():
    model = Confidence()
    low = model.of({"key_coverage": 0.1, "object_coverage": 0.0, "domain": 0.1})
    high = model.of({"key_coverage": 0.9, "object_coverage": 1.0, "domain": 0.1})
    assert 0 < low < high < 1


@pytest.mark.parametrize("confidences, state, shown", [
    ([0.9, 0.7, 0.4, 0.3, 0.25, 0.22, 0.1], STATE_MATCH, 6),  # two matches, then the weak ones above the floor
    ([0.4, 0.3, 0.25, 0.22, 0.21], STATE_WEAK, 3),        # no match: at most three weak ones
    ([0.19, 0.1], STATE_NONE, 0),                         # nothing above the weak floor
    ([], STATE_NONE, 0),
])
def test_results_are_classed_match_weak_or_none(confidences, state, shown):
    outcome = classify([_match(i, c) for i, c in enumerate(confidences)], confidence=SURE)
    assert outcome.state == state and len(outcome.matches) == shown
    grades = [m.grade for m in outcome.matches]
    assert grades == sorted(grades)  # "match" before "weak"


def test_only_a_no_match_state_comes_with_next_steps():
    weak = classify([_match(1, 0.3)], confidence=SURE)
    sure = classify([_match(1, 0.9)], confidence=SURE)
    assert next_steps(sure, watched=True) == []
    assert [s.code for s in next_steps(weak, watched=True)][0] == "watched"
    assert [s.code for s in next_steps(weak, watched=False)][0] == "post_demand"


@pytest.fixture
def shelf(tmp_path):
    b = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    b.index([
        listing(1, "一种锂离子电池用陶瓷涂覆隔膜", "陶瓷涂覆隔膜提高锂离子电池的耐高温性能和安全性"),
        listing(2, "一种渔线轮", "渔线轮的线杯采用铝合金压铸工艺，结构简单，方法可靠", ipc=["A01K 89/01"]),
        listing(3, "一种钓鱼竿", "钓鱼竿采用碳纤维复合材料，装置轻便，系统稳定", ipc=["A01K 87/00"]),
        listing(4, "水稻育秧方法", "一种水稻育秧的工艺和方法，提高秧苗素质", ipc=["A01C 1/00"]),
    ])
    return b


def test_a_shared_generic_word_alone_is_no_match(shelf):
    # 工艺, 结构, 方法, 装置, 系统 are in the fishing abstracts too; they connect nothing.
    profile = DemandProfile(text="需要一种新的生产工艺和结构设计方法\n提高装置和系统的效率")
    assert match_patents(shelf, profile, today=TODAY) == []
    assert match_demand(shelf, profile, today=TODAY).state == STATE_NONE


@pytest.mark.parametrize("text", [
    "铝合金动力电池壳的生产技术\n需要3003铝合金电池壳深冲工艺，解决壳体开裂问题",
    "汽车碳纤维复合材料部件\n新能源汽车用碳纤维复合材料的结构设计和成型工艺",
    "需要耐高温的锂离子电池隔膜，提高电池安全性",
    "水稻育秧工艺\n提高水稻秧苗的素质",
])
def test_reasons_never_rest_on_a_generic_word_alone(shelf, text):
    for match in match_patents(shelf, DemandProfile(text=text), today=TODAY):
        shared = match.reasons[0]
        assert shared.code == "shared_terms"
        words = shared.zh.removeprefix("共同关键词：").split("、")
        assert words and not any(is_generic(w) for w in words)


def test_a_fishing_reel_is_no_confident_match_for_an_aluminium_demand(shelf):
    profile = DemandProfile(text="铝合金动力电池壳的生产技术\n需要3003铝合金电池壳深冲工艺，解决壳体开裂问题")
    outcome = match_demand(shelf, profile, today=TODAY)
    assert all(m.grade == STATE_WEAK for m in outcome.matches)
    reel = next((m for m in outcome.matches if m.listing_id == 2), None)
    if reel is not None:  # shown at most as weak, saying what it lacks
        assert any(r.code == "lacks" and "电池" in r.zh for r in reel.reasons)


def test_the_demand_that_fits_is_a_confident_match(shelf):
    outcome = match_demand(shelf, DemandProfile(text="需要耐高温的锂离子电池隔膜，提高电池安全性"), today=TODAY)
    assert outcome.state == STATE_MATCH and outcome.matches[0].listing_id == 1
    assert outcome.matches[0].grade == STATE_MATCH


def test_the_field_model_learns_subclasses_from_the_catalogue():
    examples = [("水稻育秧方法，提高秧苗素质", ["A01C 1/00"]), ("水稻播种机，育秧盘播种", ["A01C 7/00"]),
                ("秧苗移栽与水稻育秧", ["A01C 11/00"]), ("渔线轮线杯", ["A01K 89/01"]),
                ("钓鱼竿碳纤维竿体", ["A01K 87/00"]), ("渔线轮刹车与钓鱼竿", ["A01K 89/00"]),
                ("锂离子电池隔膜", [])]
    model = train_field_model(examples)
    shares, closeness = model.predict("水稻秧苗")
    assert model.labels == ["A01C", "A01K"] and shares["A01C"] > 0.9 and closeness > 0
    assert model.predict("区块链")[0] == {}
    assert model.idf("隔膜") > 0


@pytest.mark.parametrize("confidences, most", [
    ([0.16] * 10, 2),            # ten results at 16 % hold 1.6 relevant ones expected: two matches at most
    ([0.9, 0.8, 0.7], 3),
    ([0.16] * 10 + [0.9] * 5, 2),  # only the first ten count
    ([], 0),
])
def test_a_ranking_shows_no_more_matches_than_it_is_expected_to_hold(confidences, most):
    assert Confidence().most_matches(confidences) == most


def test_results_sharing_the_same_few_words_are_not_all_matches(tmp_path):
    """Ten pepper pickers for a demand about the pepper's bitterness: each names 花椒 and passes the
    threshold alone, but together they are expected to hold about two relevant results."""
    b = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    b.index([listing(i, f"一种花椒采摘器{i}号", "花椒采摘省力") for i in range(1, 11)])
    eager = Confidence(bias=-1.6, key_coverage=0.0, object_coverage=0.0, title_hit=0.0, field=0.0, domain=0.0,
                       text=0.0, match_above=0.15, weak_above=0.05)
    matches = match_patents(b, DemandProfile(text="花椒去苦味\n花椒苦味重，需要去除苦味的方法"), today=TODAY,
                            confidence=eager)
    assert len(matches) == 10 and all(0.16 < m.confidence < 0.17 for m in matches)
    assert sum(m.grade == STATE_MATCH for m in matches) == 2
    assert all(m.reasons[-1].code == "lacks" for m in matches if m.grade == STATE_WEAK)
