"""Evidence levels that mean something (issue 12 §4): what documents a deal, what verifies it, who may
verify, and that each check is a ledger line of its own."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from market.accounts.services import issue_api_token
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.time import today_local
from market.deals import ledger, verification
from market.deals import negotiation as n
from market.deals.open_licence import acquisition
from market.deals.open_licence import declarations as ol
from market.deals.vocabulary import LedgerEvent
from market.payments import services as payments
from tests import factories as f
from tests.deals.negotiation_world import agreed, doc, licence_terms, world
from tests.deals.test_deal_pages import as_user, post


def filed_licence(w):
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.sign_both(deal)
    n.record_filing(deal, "2025310000123", today_local(), w.buyer)
    return deal


def test_a_typed_filing_is_self_declared_and_its_certificate_documents_it(session):
    w = world()
    deal = filed_licence(w)
    assert deal.evidence_level == "SELF_DECLARED"  # a record number typed by a party
    doc(deal, w.seller, "SIGNED_CONTRACT")
    assert deal.evidence_level == "SELF_DECLARED"  # a scan both parties could make
    doc(deal, w.buyer, "FILING_PROOF")
    assert deal.evidence_level == "DOCUMENTED"  # CNIPA's certificate, checkable by its number


def test_a_payment_the_payee_confirmed_documents_a_deal(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    f.sign_both(deal)
    assert deal.evidence_level == "SELF_DECLARED"
    for payment in n.payments_of(deal):
        payments.mark_paid(db.session, payment, at=datetime.now(UTC), actor=w.seller, evidence={"bank_ref": "B-1"})
    assert deal.evidence_level == "DOCUMENTED"


def test_the_register_showing_the_filing_verifies_the_deal(session):
    w = world()
    deal = filed_licence(w)
    ledger.append(deal, LedgerEvent.FILING_VERIFIED, note="登记簿：许可合同备案生效", evidence={"source": "register"})
    assert deal.evidence_level == "VERIFIED"


def test_the_point_operator_verifies_and_withdraws_each_as_a_line_of_the_ledger(session):
    w = world()
    deal = filed_licence(w)
    doc(deal, w.buyer, "FILING_PROOF")
    line = verification.verify_deal(w.operator, deal, "核对了备案证明与合同编号")
    assert deal.evidence_level == "VERIFIED"
    assert line.kind == "EVIDENCE_VERIFIED" and line.actor_user_id == w.operator.id
    assert line.evidence["level_before"] == "DOCUMENTED" and len(line.evidence["documents"]) == 1
    with pytest.raises(Conflict):
        verification.verify_deal(w.bureau, deal, "再次核实")
    back = verification.withdraw_verification(w.bureau, deal, "备案号与登记簿不符")
    assert back.kind == "EVIDENCE_WITHDRAWN" and deal.evidence_level == "DOCUMENTED"
    verification.verify_deal(w.operator, deal, "已更正，重新核实")
    assert deal.evidence_level == "VERIFIED"
    assert [e.kind for e in deal.events][-3:] == ["EVIDENCE_VERIFIED", "EVIDENCE_WITHDRAWN", "EVIDENCE_VERIFIED"]


def test_a_deal_with_nothing_on_its_ledger_to_check_cannot_be_verified(session):
    """Agreed and signed, but neither filed nor registered: there is no record yet to vouch for."""
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    f.sign_both(deal)
    before = len(deal.events)
    with pytest.raises(Conflict) as refused:
        verification.verify_deal(w.operator, deal, "核对了合同")
    assert refused.value.code == "deal.verify_nothing_recorded" and "尚无可核实的记录" in refused.value.zh
    assert len(deal.events) == before and deal.evidence_level == "SELF_DECLARED"


def test_a_step_typed_after_the_verification_takes_the_deal_out_of_verified(session):
    """The operator vouched for the patent's registration; the capital registration a party types
    afterwards is not covered by that check, so the deal is verified again or not at all."""
    w = world()
    deal = agreed(w, "EQUITY", terms={"price_fen": 10_000_000, "share_pct": "20"})
    n.record_step(w.seller, deal, "VALUATION", {"basis": "EVALUATION", "appraiser": "评估所", "report_no": "R-9",
                                                "value_fen": "10000000", "base_date": today_local().isoformat()},
                  doc(deal, w.seller, "VALUATION_REPORT"))
    f.sign_both(deal)
    n.file_registration(w.buyer, deal, today_local())
    n.record_registration(w.buyer, deal, today_local(), "ZR2025000005")
    verification.verify_deal(w.operator, deal, "核对了转让登记证明")
    assert deal.evidence_level == "VERIFIED"
    n.record_capital_registration(w.buyer, deal, today_local())
    assert deal.evidence_level == "SELF_DECLARED"
    verification.verify_deal(w.operator, deal, "核对了工商变更登记")
    assert deal.evidence_level == "VERIFIED"


@pytest.mark.parametrize("who", ["seller", "buyer", "stranger", "other_operator"])
def test_a_party_or_an_outsider_cannot_verify_and_nothing_changes(session, who):
    w = world()
    deal = filed_licence(w)
    user = getattr(w, who, None) or f.user(f.organisation(org_type="POINT_OPERATOR"))
    before = len(deal.events)
    with pytest.raises(Forbidden) as refused:
        verification.verify_deal(user, deal, "我们自己核实过了")
    assert "交易当事人不能核实自己的交易" in refused.value.zh and "a party cannot verify its own" in refused.value.en
    assert len(deal.events) == before and deal.evidence_level == "SELF_DECLARED"


def test_a_verification_needs_a_note_saying_what_was_checked(session):
    w = world()
    deal = filed_licence(w)
    with pytest.raises(DomainError) as refused:
        verification.verify_deal(w.operator, deal, " ")
    assert refused.value.field == "note" and deal.evidence_level == "SELF_DECLARED"


def _announced(w, recorder):
    announced = today_local() - timedelta(days=10)
    decl = ol.start_declaration(w.seller, w.patent, {
        "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 100_000}, "fee_basis_note": "按成本法估算。",
        "contact": "021-66130000"}, today=announced - timedelta(days=30))
    ol.confirm_eligible(w.seller, decl, today=announced - timedelta(days=30))
    ol.record_filing(w.seller, decl, announced - timedelta(days=20), today=announced - timedelta(days=20))
    ol.record_announcement(recorder, decl, announced, "第42卷第1号", today=announced)
    return decl


@pytest.mark.parametrize("recorder, level", [("seller", "DOCUMENTED"), ("operator", "VERIFIED")])
def test_an_open_licence_rests_on_the_platform_records_and_an_announcement_not_the_declarants_word(
        session, recorder, level):
    """The notice and payment are the platform's own records; the gazette entry counts as checked when
    someone other than the declarant (its point, the register import) recorded it."""
    w = world(modes=("TRANSFER",))
    decl = _announced(w, getattr(w, recorder))
    deal = acquisition.take_open_licence(decl.id, w.buyer.organisation, w.buyer)
    assert deal.evidence_level == "SELF_DECLARED"
    for payment in n.payments_of(deal):
        payments.mark_paid(db.session, payment, at=datetime.now(UTC), actor=w.seller, evidence={"bank_ref": "B-2"})
    assert deal.status == "LICENSED" and deal.evidence_level == level


def test_the_deal_page_shows_the_evidence_and_the_operator_verifies_there(app, session):
    w = world()
    deal = filed_licence(w)
    document = doc(deal, w.buyer, "FILING_PROOF")
    db.session.commit()
    seller = as_user(app, w.seller)
    page = seller.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "已上传证明文件" in page and document.sha256 in page and "核实该交易" not in page
    assert post(seller, f"/deals/{deal.id}/evidence/verify", {"note": "自己核实"}).status_code == 403
    operator = as_user(app, w.operator)
    assert "核实该交易" in operator.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert post(operator, f"/deals/{deal.id}/evidence/verify", {"note": "核对了备案证明"}).status_code == 302
    db.session.expire_all()
    english = operator.get(f"/deals/{deal.id}?lang=en").get_data(as_text=True)
    assert "Verified (CNIPA register or point)" in english and "Withdraw verification" in english
    listed = as_user(app, w.buyer).get("/deals/").get_data(as_text=True)
    assert "已核实（国知局登记簿或服务点）" in listed


def test_the_api_gives_each_deal_its_evidence_level(app, client, session):
    w = world()
    deal = filed_licence(w)
    db.session.commit()
    token = issue_api_token(w.buyer, "evidence")[1]
    body = client.get(f"/api/v1/deals/{deal.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["evidence_level"] == "SELF_DECLARED" and body["amount_under_review"] is False
    spec = client.get("/api/v1/openapi.json").get_json()
    deal_schema = next(s for name, s in spec["components"]["schemas"].items() if name.startswith("DealOut"))
    assert "evidence_level" in deal_schema["properties"]


def test_migration_0014_gives_existing_deals_the_level_their_records_show(session):
    """The upgrade rates deals recorded before it as level_of would: a paid transfer, a licence with its
    filing certificate, an open licence whose announcement its point recorded, a typed filing alone."""
    w = world()
    paid = agreed(w, "TRANSFER")
    f.sign_both(paid)
    for payment in n.payments_of(paid):
        payments.mark_paid(db.session, payment, at=datetime.now(UTC), actor=w.seller, evidence={"bank_ref": "B-3"})
    typed = filed_licence(world())
    filed = world()
    certified = agreed(filed, "LICENSE_ORDINARY", terms=licence_terms(filed))
    f.sign_both(certified)
    n.record_filing(certified, "2025310000124", today_local(), filed.buyer)
    doc(certified, filed.buyer, "FILING_PROOF")
    w = world(modes=("TRANSFER",))
    taken = acquisition.take_open_licence(_announced(w, w.operator).id, w.buyer.organisation, w.buyer)
    for payment in n.payments_of(taken):
        payments.mark_paid(db.session, payment, at=datetime.now(UTC), actor=w.seller, evidence={"bank_ref": "B-4"})
    deals = (paid, typed, certified, taken)
    assert [d.evidence_level for d in deals] == ["DOCUMENTED", "SELF_DECLARED", "DOCUMENTED", "VERIFIED"]
    ids = tuple(d.id for d in deals)
    connection = db.session.connection()
    connection.execute(text("UPDATE deals SET evidence_level = 'SELF_DECLARED'"))
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0014_deal_evidence_level.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.op = type("Op", (), {"get_bind": staticmethod(lambda: connection)})
    migration._backfill()
    levels = dict(connection.execute(text("SELECT id, evidence_level FROM deals")).all())
    assert [levels[i] for i in ids] == ["DOCUMENTED", "SELF_DECLARED", "DOCUMENTED", "VERIFIED"]
