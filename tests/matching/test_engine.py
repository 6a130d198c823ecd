"""The matching engine: retrieval through the embedded backend, re-ranking, reasons, both directions."""

from __future__ import annotations

import json
from datetime import date

import pytest

from market.search.embedded import EmbeddedSearch
from matching.engine import WEIGHTS_PATH, DemandProfile, Weights, load_weights, match_patents, rank_demands
from matching.terms import yuan_zh

TODAY = date(2026, 1, 1)
WEIGHTS = Weights()


def listing(i: int, title: str, abstract: str = "", **kw) -> dict:
    doc = {"id": i, "application_number": f"20201{i:07d}.X", "title": title, "abstract": abstract, "body": abstract,
           "codes": [], "patent_type": "INVENTION", "ipc": ["H01M 50/449"], "ipc_sections": ["H"],
           "ipc_classes": ["H01"], "industries": [], "modes": ["TRANSFER"], "owner_types": ["UNIVERSITY"],
           "owners": ["沪北理工大学"], "organisation": "沪北理工大学", "point": "一号店", "legal_status": "VALID",
           "last_protected_day": "2040-06-30", "price_fen": 20_000_000, "price_negotiable": False,
           "price_band": "100K_500K", "sort_newest": float(i)}
    doc.update(kw)
    return doc


SEPARATOR = "锂离子电池隔膜"
SEPARATOR_TEXT = "陶瓷涂覆隔膜提高锂离子电池的耐高温性能和安全性"


@pytest.fixture
def backend(tmp_path):
    b = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    b.index([
        listing(1, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, industries=["NEV"]),
        listing(2, "耐高温锂离子电池隔膜及其制备方法", "聚酰亚胺隔膜耐高温，锂离子电池安全", industries=["NEV"],
                ipc=["H01M 50/403"]),
        listing(3, "锂离子电池正极材料", "高镍正极材料提高锂离子电池能量密度", ipc=["H01M 4/525"],
                industries=["NEV", "NEN"]),
        listing(4, "一种水稻种植方法", "提高水稻产量的种植方法", ipc=["A01G 22/22"], ipc_sections=["A"],
                ipc_classes=["A01"]),
        listing(5, "聚乙烯隔膜的拉伸装置", "锂离子电池隔膜生产设备", ipc=["B29C 55/12"], ipc_sections=["B"],
                ipc_classes=["B29"]),
    ])
    return b


def demand(text: str = "需要耐高温的锂离子电池隔膜，提高电池安全性", **kw) -> DemandProfile:
    return DemandProfile(text=text, **kw)


def test_a_match_explains_itself_in_chinese_and_english(backend):
    matches = match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)
    assert matches and all(r.zh and r.en for m in matches for r in m.reasons)
    first = matches[0].reasons[0]
    assert first.code == "shared_terms" and "隔膜" in first.zh and first.zh.startswith("共同关键词")
    assert first.en.startswith("Shared key terms") and "隔膜" in first.en


def test_shared_terms_show_at_most_five_words_without_repeating_a_part_of_a_longer_one(backend):
    reasons = match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)[0].reasons
    words = reasons[0].zh.removeprefix("共同关键词：").split("、")
    assert 1 <= len(words) <= 5
    assert not any(a != b and a in b for a in words for b in words)


def test_generic_words_and_single_characters_are_not_offered_as_reasons(backend):
    matches = match_patents(backend, demand("提高水稻的产量，解决技术问题"), weights=WEIGHTS, today=TODAY)
    rice = next(m for m in matches if m.listing_id == 4)
    words = rice.reasons[0].zh.removeprefix("共同关键词：").split("、")
    assert "水稻" in words and not {"提高", "技术", "问题"} & set(words)
    assert all(len(w) > 1 for w in words)


def test_a_word_jieba_cuts_into_characters_still_counts_as_shared(backend):
    backend.index([listing(6, "打草机", "割草用的打草机", ipc=["A01D 34/00"])])
    matches = match_patents(backend, demand("求购打草机"), weights=WEIGHTS, today=TODAY)
    assert matches[0].listing_id == 6 and matches[0].reasons[0].zh == "共同关键词：打草机"


def test_the_field_is_inferred_from_the_retrieved_listings_and_named_in_the_reasons(backend):
    matches = match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)
    top = matches[0]
    assert top.features["field"] > 0.5
    assert any(r.code in ("same_group", "same_field") and "H01M" in r.zh for r in top.reasons)


def test_a_demand_with_its_own_ipc_is_matched_on_its_group(backend):
    matches = match_patents(backend, demand("锂离子电池 材料", ipc=["H01M 4/131"]), weights=WEIGHTS, today=TODAY)
    assert matches[0].listing_id == 3
    assert any(r.code == "same_group" and "H01M 4" in r.zh for r in matches[0].reasons)


def test_a_price_above_the_budget_is_penalised_and_the_reason_says_so(backend):
    backend.index([listing(6, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, price_fen=80_000_000)])
    matches = {m.listing_id: m for m in match_patents(backend, demand(budget_max_fen=30_000_000),
                                                      weights=WEIGHTS, today=TODAY)}
    assert matches[1].score > matches[6].score
    over = next(r for r in matches[6].reasons if r.code == "over_budget")
    assert "80万元" in over.zh and "30万元" in over.zh and "超出" in over.zh
    assert "¥800,000" in over.en
    assert any(r.code == "budget_fit" and "20万元" in r.zh for r in matches[1].reasons)


def test_an_open_licence_fee_within_budget_is_a_reason(backend):
    backend.index([listing(6, SEPARATOR, SEPARATOR_TEXT, modes=["OPEN_LICENSE"], price_fen=3_000_000)])
    match = next(m for m in match_patents(backend, demand(modes=["OPEN_LICENSE"], budget_max_fen=5_000_000),
                                          weights=WEIGHTS, today=TODAY) if m.listing_id == 6)
    assert any(r.zh == "开放许可费 3万元 在您的预算内" for r in match.reasons)
    assert any(r.en == "Open licence at ¥30,000 fits your budget" for r in match.reasons)


def test_a_negotiable_price_is_neither_a_fit_nor_a_miss(backend):
    backend.index([listing(6, SEPARATOR, SEPARATOR_TEXT, price_fen=None, price_negotiable=True)])
    match = next(m for m in match_patents(backend, demand(budget_max_fen=1_000), weights=WEIGHTS, today=TODAY)
                 if m.listing_id == 6)
    assert match.features["budget"] == 0.0


def test_excluded_listings_never_come_back(backend):
    matches = match_patents(backend, demand(exclude_listing_ids={1, 2}), weights=WEIGHTS, today=TODAY)
    assert matches and not {1, 2} & {m.listing_id for m in matches}


def test_a_listing_offered_in_the_wished_mode_ranks_above_an_equal_one_that_is_not(backend):
    backend.index([listing(6, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, modes=["OPEN_LICENSE"])])
    matches = match_patents(backend, demand(modes=["LICENSE_ORDINARY"]), weights=WEIGHTS, today=TODAY)
    ids = [m.listing_id for m in matches]
    assert ids.index(6) < ids.index(1)
    assert any(r.code == "mode_fit" and "开放许可" in r.zh for r in matches[ids.index(6)].reasons)
    assert matches[ids.index(1)].features["mode"] == -1.0


def test_a_patent_near_expiry_is_penalised_and_says_how_long_is_left(backend):
    backend.index([listing(6, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, last_protected_day="2028-03-01")])
    matches = {m.listing_id: m for m in match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)}
    assert matches[1].score > matches[6].score
    assert any(r.zh == "还有 2 年到期" and r.en == "Expires in 2 years" for r in matches[6].reasons)


def test_a_patent_in_the_fee_grace_period_ranks_below_one_in_force(backend):
    backend.index([listing(6, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, legal_status="FEE_GRACE")])
    matches = {m.listing_id: m for m in match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)}
    assert matches[1].score > matches[6].score
    assert any(r.code == "fee_grace" for r in matches[6].reasons)


def test_an_industry_filter_keeps_only_listings_of_that_industry(backend):
    matches = match_patents(backend, demand(filters={"industry": ["NEN"]}), weights=WEIGHTS, today=TODAY)
    assert [m.listing_id for m in matches] == [3]


def test_a_followed_industry_is_a_reason(backend):
    matches = match_patents(backend, demand(industries=["NEV"]), weights=WEIGHTS, today=TODAY)
    assert any(r.code == "industry" for r in matches[0].reasons)


def test_the_listing_at_the_demands_own_point_is_named(backend):
    backend.index([listing(6, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, point="二号店")])
    match = next(m for m in match_patents(backend, demand(point="二号店"), weights=WEIGHTS, today=TODAY)
                 if m.listing_id == 6)
    assert any(r.code == "same_point" for r in match.reasons)


def test_equal_listings_are_ordered_by_id(backend):
    backend.index([listing(9, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, industries=["NEV"]),
                   listing(7, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, industries=["NEV"])])
    ids = [m.listing_id for m in match_patents(backend, demand(), weights=WEIGHTS, today=TODAY)]
    assert ids[:3] == [1, 7, 9]


def test_weights_from_a_configuration_file_change_the_order(backend, tmp_path):
    backend.index([listing(6, "一种电池外壳", "用于电池", ipc=["B65D 81/00"], modes=["OPEN_LICENSE"],
                           price_fen=1_000_000)])
    wish = demand(modes=["OPEN_LICENSE"], budget_max_fen=2_000_000)
    default = match_patents(backend, wish, weights=load_weights(), today=TODAY)
    config = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    # A configuration that values the deal terms over relevance and field.
    config["features"].update(text=0.0, field=0.0, group=0.0, coverage=0.0)
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    no_text = match_patents(backend, wish, weights=load_weights(path), today=TODAY)
    assert default[0].listing_id == 1
    assert no_text[0].listing_id == 6


def test_an_unknown_weight_in_the_configuration_is_refused(tmp_path):
    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"features": {"txet": 1.0}}), encoding="utf-8")
    with pytest.raises(ValueError, match="txet"):
        load_weights(path)


def test_the_default_weights_are_the_versioned_files():
    assert load_weights() == Weights()


def test_candidate_scores_are_fts5s_bm25(backend):
    # The default similar() scores in numpy; the plain query lets FTS5 score the same words.
    text = "隔膜 正极 水稻"
    numpy_scores = {h.id: h.score for h in backend.similar(text, limit=10)}
    fts5_scores = {h.id: h.score for h in backend.similar(text, limit=10, max_terms=None)}
    assert numpy_scores.keys() == fts5_scores.keys()
    assert all(numpy_scores[i] == pytest.approx(fts5_scores[i], rel=1e-9) for i in numpy_scores)


def test_a_listing_sharing_only_boilerplate_with_the_demand_is_not_proposed(backend):
    assert match_patents(backend, demand("提高性能，解决技术问题"), weights=WEIGHTS, today=TODAY) == []


def test_nothing_in_common_means_no_matches(backend):
    assert match_patents(backend, demand("区块链 金融 结算"), weights=WEIGHTS, today=TODAY) == []


DEMANDS = [
    {"id": 11, "title": "锂电池隔膜耐高温改性", "text": "寻求陶瓷涂覆隔膜技术，提高锂离子电池安全性",
     "modes": ["LICENSE_ORDINARY"], "budget_min_fen": None, "budget_max_fen": 50_000_000, "industries": ["NEV"]},
    {"id": 12, "title": "水稻高产栽培", "text": "提高水稻产量的种植技术", "modes": ["TRANSFER"],
     "budget_min_fen": None, "budget_max_fen": None, "industries": []},
    {"id": 13, "title": "正极材料", "text": "高镍正极材料的量产工艺", "modes": [], "budget_min_fen": None,
     "budget_max_fen": None, "industries": []},
    {"id": 14, "title": "区块链结算", "text": "金融结算系统", "modes": [], "budget_min_fen": None,
     "budget_max_fen": None, "industries": []},
]


def test_rank_demands_finds_the_demand_a_patent_answers():
    doc = listing(1, "一种锂离子电池用陶瓷涂覆隔膜", SEPARATOR_TEXT, industries=["NEV"],
                  modes=["OPEN_LICENSE", "LICENSE_ORDINARY"])
    ranked = rank_demands(doc, DEMANDS, weights=WEIGHTS)
    assert ranked[0][0] == 11
    codes = {r.code for r in ranked[0][2]}
    assert {"shared_terms", "mode_fit", "budget_fit", "industry"} <= codes
    assert 14 not in {demand_id for demand_id, _, _ in ranked}


def test_rank_demands_without_demands_is_empty():
    assert rank_demands(listing(1, "隔膜"), [], weights=WEIGHTS) == []


@pytest.mark.parametrize("fen, text", [(800_000, "8,000元"), (3_000_000, "3万元"), (12_500_000, "12.5万元"),
                                       (1_000_000_000, "1,000万元"), (12_345, "123.45元")])
def test_amounts_read_in_yuan_or_wan_yuan(fen, text):
    assert yuan_zh(fen) == text



def test_a_listing_that_never_names_the_demands_object_is_at_most_weak(tmp_path):
    """Sharing the problem's words (通信, 安全) is not a match: the object (胰岛素泵) must be named,
    however confident the other signals are."""
    from matching.confidence import STATE_MATCH, STATE_WEAK, Confidence

    b = EmbeddedSearch(str(tmp_path / "s.sqlite3"))
    b.index([listing(1, "一种工业网关的安全认证方法", "网关设备的通信加密，防止数据被劫持篡改", ipc=["H04L 9/40"]),
             listing(2, "一种胰岛素泵的蓝牙通信安全认证方法", "胰岛素泵与手机通信安全，防止剂量被篡改",
                     ipc=["A61M 5/172"]),
             listing(3, "一种水稻种植方法", "提高水稻产量", ipc=["A01B 79/02"])], bulk=True)
    eager = Confidence(bias=5.0, match_above=0.15)  # everything it is asked about is "sure"
    matches = match_patents(b, DemandProfile(text="胰岛素泵通信安全\n胰岛素泵与手机蓝牙通信存在被劫持篡改剂量的风险。"),
                            weights=WEIGHTS, today=TODAY, confidence=eager)
    grades = {m.listing_id: m.grade for m in matches}
    assert grades[2] == STATE_MATCH
    assert grades[1] == STATE_WEAK
