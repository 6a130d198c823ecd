"""Contracts for every deal kind, the written notice, the filing package and its pre-checks (R-LC-6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from listings.vocabulary import DealMode
from market.core.extensions import db
from market.core.time import add_months, today_local
from market.deals import documents
from market.deals.models import Deal
from market.deals.open_licence import acquisition
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb
from tests.deals.test_open_licence import pay


@pytest.mark.parametrize("fen, words", [
    (5_000_000, "人民币伍万元整"), (1_234_567, "人民币壹万贰仟叁佰肆拾伍元陆角柒分"), (100_500, "人民币壹仟零伍元整"),
    (10_000_000, "人民币壹拾万元整"), (10_000_100_000, "人民币壹亿零壹仟元整"), (50, "人民币伍角"),
    (10_001, "人民币壹佰元零壹分"), (0, "人民币零元整"), (2_000_000_000, "人民币贰仟万元整"),
])
def test_amounts_are_written_in_chinese_capitals(fen, words):
    assert documents.rmb_upper(fen) == words


def _deal(w, kind: str, **kw) -> Deal:
    today = today_local()
    values = {"status": "SIGNED", "patent_id": w.patent.id, "seller_org_id": w.uni.id, "buyer_org_id": w.buyer.id,
              "point_id": w.point.id, "start_date": today, "end_date": today + timedelta(days=3 * 365),
              "effective_date": today, "signed_date": today, **kw}
    if kind in ("LICENSE_ORDINARY", "LICENSE_SOLE", "LICENSE_EXCLUSIVE"):
        values.setdefault("fee_terms", {"mode": "LUMP_SUM", "lump_fen": 12_000_000})
    if kind in ("TRANSFER", "EQUITY"):
        values.setdefault("price_fen", 80_000_000)
    deal = Deal(kind=kind, **values)
    db.session.add(deal)
    db.session.flush()
    documents.assign_reference(deal)
    return deal


def _text(doc: documents.Document) -> str:
    parts = [doc.title, doc.number, *doc.intro, *doc.notes]
    for s in doc.sections:
        parts += [s.heading, *s.paragraphs, *(f"{k}：{v}" for k, v in s.rows), *("|".join(r) for r in s.table)]
    parts += [f"{r}：{n}" for r, n in doc.signatures]
    return "\n".join(parts)


@pytest.mark.parametrize("kind, title, roles", [
    ("LICENSE_ORDINARY", "专利实施许可合同（普通许可）", ("许可方（甲方）", "被许可方（乙方）")),
    ("LICENSE_SOLE", "专利实施许可合同（排他许可）", ("许可方（甲方）", "被许可方（乙方）")),
    ("LICENSE_EXCLUSIVE", "专利实施许可合同（独占许可）", ("许可方（甲方）", "被许可方（乙方）")),
    ("TRANSFER", "专利权转让合同", ("转让方（甲方）", "受让方（乙方）")),
    ("EQUITY", "专利权作价投资协议", ("出资方（甲方）", "被投资企业（乙方）")),
])
def test_every_kind_of_contract_has_what_cc_845_and_rec_9_require(session, kind, title, roles):
    w = wb.world()
    deal = _deal(w, kind)
    doc = documents.contract(deal)
    text = _text(doc)
    p = w.patent
    assert doc.title == title and doc.number == deal.reference == f"PSM-{today_local().year}-" \
        f"{documents.KIND_LETTERS[kind]}-{deal.id:06d}"
    for needed in (f"{roles[0]}：{w.uni.name}", f"{roles[1]}：{w.buyer.name}", w.uni.address, w.buyer.address,
                   w.uni.uscc, w.buyer.uscc, p.title, p.application_number, p.patent_no,
                   f"申请日：{p.filing_date.isoformat()}", f"授权公告日：{p.grant_date.isoformat()}",
                   f"专利权人：{w.uni.name}"):
        assert needed in text, needed
    if kind.startswith("LICENSE"):
        assert f"许可种类：{DealMode(kind).zh}" in text
        assert f"许可期限：{deal.start_date.isoformat()} — {deal.end_date.isoformat()}" in text
        assert "一次总算、一次总付120,000.00元" in text and "人民币壹拾贰万元整" in text
        assert "无权允许合同规定以外" in text  # PL 12: no sublicensing by default
        assert f"备案期限：{add_months(today_local(), 3).isoformat()}" in text
    if kind == "TRANSFER":
        assert "自登记之日起生效" in text and "人民币捌拾万元整" in text


def test_an_application_is_assigned_under_its_own_title(session):
    w = wb.world(status="PENDING")
    deal = _deal(w, "TRANSFER")
    assert documents.contract(deal).title == "专利申请权转让合同"


def test_the_open_licence_contract_names_the_declaration_and_r_ol_13_disputes(session):
    w = wb.world(co_owners=("张某某",))
    decl = wb.draft(w)
    from market.deals.open_licence import declarations as ol

    ol.record_consent(w.uni_user, decl, owner_name="张某某", document_ref="同意书")
    ol.confirm_eligible(w.uni_user, decl)
    ol.record_filing(w.uni_user, decl, today_local() - timedelta(days=20))
    ol.record_announcement(w.uni_user, decl, today_local(), wb.GAZETTE)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user)
    text = _text(documents.contract(deal))
    assert documents.contract(deal).title == "专利实施许可合同（开放许可）"
    assert f"许可方（甲方）：{w.uni.name}、张某某" in text
    assert f"OL-{decl.id:06d}" in text and f"公告卷期：{wb.GAZETTE}" in text
    assert f"声明公告日：{today_local().isoformat()}" in text and "专利法第51条第1款" in text
    assert "专利法第52条" in text  # disputes: CNIPA mediation (R-OL-13)
    assert "专利法实施细则第87条" in text


def test_the_contract_reads_in_english_too(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_EXCLUSIVE")
    doc = documents.contract(deal, "en")
    assert doc.title == "Patent Licence Contract (Exclusive licence)"
    assert "the Chinese text prevails" in doc.notes[-1]
    assert "a lump sum of ¥120,000.00, paid at once" in _text(doc)


def test_pdfs_are_drawn_for_every_document(session):
    w = wb.world()
    deal = acquisition.take_open_licence(wb.announced(w).id, w.buyer, w.buyer_user)
    for doc in (documents.contract(deal), documents.notice(deal), documents.filing_package(deal),
                documents.contract(deal, "en")):
        pdf = documents.render_pdf(doc)
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 2000
        assert b"STSong-Light" in pdf


def test_the_notice_shows_the_text_and_hash_delivered(session):
    w = wb.world()
    deal = acquisition.take_open_licence(wb.announced(w).id, w.buyer, w.buyer_user)
    doc = documents.notice(deal)
    evidence = deal.events[0].evidence
    assert doc.title == "开放许可书面通知"
    assert f"致：{w.uni.name}" in doc.sections[0].paragraphs
    assert ("通知文本的数字指纹（SHA-256）", evidence["notice_sha256"]) in doc.sections[1].rows


def _checks(deal, today=None) -> dict[str, str]:
    return {c.rule: c.status for c in documents.filing_prechecks(deal, today)}


def test_a_clean_licence_passes_every_filing_pre_check(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    assert set(_checks(deal).values()) == {"ok"}
    assert len(_checks(deal)) == 12  # REC 12's ten grounds, R-OL-7 (an open licence in force), IR 15(2)


@pytest.mark.parametrize("spoil, rule", [
    (lambda w, d: setattr(w.patent, "legal_status", "LAPSED"), "REC 12(1)"),
    (lambda w, d: setattr(d, "seller_org_id", f.organisation("另一家公司", address="上海市").id), "REC 12(2)"),
    (lambda w, d: setattr(w.buyer, "address", ""), "REC 12(3)"),
    (lambda w, d: setattr(d, "end_date", date(2040, 3, 1)), "REC 12(4)"),
    (lambda w, d: setattr(w.patent, "legal_status", "FEE_GRACE"), "REC 12(6)"),
    (lambda w, d: wb.flag(w.patent, "SUSPENDED"), "REC 12(7)"),
    (lambda w, d: wb.flag(w.patent, "PRESERVED"), "REC 12(7)"),
    (lambda w, d: setattr(d, "filing_record_no", "2026310000123"), "REC 12(8)"),
    (lambda w, d: wb.flag(w.patent, "PLEDGED", pledgee="上海银行"), "REC 12(9)"),
])
def test_r_lc_6_each_refusal_ground_is_pre_checked(session, spoil, rule):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY")
    spoil(w, deal)
    db.session.flush()
    db.session.expire(deal, ["seller"])
    checks = _checks(deal)
    assert checks[rule] == "blocked"
    assert [r for r, s in checks.items() if s != "ok"] == [rule]


def test_r_lc_6_a_conflicting_filed_exclusive_licence_is_caught(session):
    w = wb.world()
    _deal(w, "LICENSE_EXCLUSIVE", status="FILED", filing_record_no="X1")
    ordinary = _deal(w, "LICENSE_ORDINARY")
    assert _checks(ordinary)["REC 12(10)"] == "blocked"
    later = _deal(w, "LICENSE_SOLE", start_date=today_local() + timedelta(days=4 * 365),
                  end_date=today_local() + timedelta(days=5 * 365))
    assert _checks(later)["REC 12(10)"] == "ok"


def test_r_lc_6_a_sole_licence_of_a_co_owned_patent_needs_the_co_owners(session):
    w = wb.world(co_owners=("张某某",))
    deal = _deal(w, "LICENSE_SOLE")
    assert _checks(deal)["REC 12(5)"] == "blocked"
    # Each co-owner's consent is recorded by name (as the filing action reads it): a bare "done" is not one.
    deal.approvals = {"CO_OWNER_CONSENT": {"done": True}}
    assert _checks(deal)["REC 12(5)"] == "blocked"
    deal.approvals = {"CO_OWNER_CONSENT": {"owners": {"张某某": {"by": "document"}}}}
    assert _checks(deal)["REC 12(5)"] == "ok"


def test_an_overdue_filing_is_flagged(session):
    w = wb.world()
    deal = _deal(w, "LICENSE_ORDINARY", effective_date=today_local() - timedelta(days=120))
    assert _checks(deal)["IR 15(2)"] == "warn"


def test_the_filing_package_has_the_form_the_documents_the_deadline_and_the_contract(session):
    w = wb.world()
    deal = acquisition.take_open_licence(wb.announced(w).id, w.buyer, w.buyer_user)
    pay(db.session.scalar(select(Payment).where(Payment.deal_id == deal.id)))
    doc = documents.filing_package(deal)
    deadline = add_months(today_local(), 3)
    assert doc.title == "专利实施许可合同备案材料"
    assert doc.intro[0].startswith(f"备案期限：{deadline.isoformat()}") and "剩余" in doc.intro[0]
    form = dict(doc.sections[0].rows)
    assert form["专利号"] == w.patent.patent_no and form["许可种类"] == "开放许可"
    assert form["备案期限"] == deadline.isoformat() and form["合同编号"] == deal.reference
    documents_needed = [row[0] for row in doc.sections[1].table[1:]]
    assert documents_needed == ["专利实施许可合同备案申请表", "专利实施许可合同", "双方当事人的身份证明",
                                "专利代理委托书", "达成开放许可的书面证明"]
    assert {row[1] for row in doc.sections[2].table[1:]} == {"通过"}
    assert doc.appendix is not None and doc.appendix.title == "专利实施许可合同（开放许可）"


def test_a_transfer_gets_a_registration_package(session):
    w = wb.world()
    deal = _deal(w, "TRANSFER")
    doc = documents.filing_package(deal)
    assert doc.title == "专利权转让登记材料"
    assert doc.sections[1].table[1][0] == "著录项目变更申报书"


@pytest.mark.parametrize("kind, expected", [
    ("LICENSE_ORDINARY", ["技术资料、技术指导与验收", "后续改进", "保密", "违约责任", "争议解决"]),
    ("TRANSFER", ["技术资料交付与验收", "保密", "违约责任", "争议解决"]),
])
def test_the_contract_has_the_performance_clauses_of_cc_845_not_only_price_and_term(session, kind, expected):
    """Issue 15 #3: materials and acceptance, improvements, confidentiality and breach, numbered in order."""
    w = wb.world()
    doc = documents.contract(_deal(w, kind), "zh")
    headings = [s.heading for s in doc.sections]
    found = [next(h for h in headings if h.endswith(" " + name)) for name in expected]
    numbers = [headings.index(h) + 1 for h in found]
    assert numbers == sorted(numbers) and all(h.startswith("第") for h in found)
    text = _text(doc)
    assert "民法典第577条" in text
    assert ("第873条" in text) is (kind != "TRANSFER")  # the licence's own breach rules
    english = [s.heading for s in documents.contract(_deal(w, kind), "en").sections]
    assert any(h.endswith("Liability for breach") for h in english)
