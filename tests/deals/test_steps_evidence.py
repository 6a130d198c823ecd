"""Issue 12 §2: signature by both parties on one frozen text, verified numbers, no void after payment."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.i18n import local_time
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.models import ContractText, PatentClaim
from market.deals.negotiation import ending, publicity, verification
from market.deals.vocabulary import DealStatus as S
from market.payments import services as payments
from tests import factories as f
from tests.deals.negotiation_world import agreed, doc, world
from tests.factories import login, sign_both


def test_one_partys_signature_or_upload_alone_does_not_sign(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    n.sign_contract(w.seller, deal, n.contract_hash(deal), doc(deal, w.seller, "SIGNED_CONTRACT"))
    assert deal.status != S.SIGNED and deal.signed_date is None
    with pytest.raises(Conflict) as err:
        n.sign_contract(w.seller, deal, n.contract_hash(deal))
    assert err.value.code == "deal.already_signed"
    n.sign_contract(w.buyer, deal, n.contract_hash(deal))
    assert deal.status == S.SIGNED and deal.signed_date == today_local()


def test_a_term_changed_after_the_first_signature_invalidates_it(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    first = n.contract_hash(deal)
    n.sign_contract(w.seller, deal, first)
    deal.price_fen += 100_00  # the terms change after the seller signed
    with pytest.raises(Conflict) as err:
        n.sign_contract(w.buyer, deal, first)
    assert err.value.code == "deal.contract_changed"
    second = n.contract_hash(deal)
    assert second != first
    n.sign_contract(w.buyer, deal, second)
    assert deal.status != S.SIGNED  # the seller's signature was for the old text
    n.sign_contract(w.seller, deal, second)
    assert deal.status == S.SIGNED
    texts = db.session.scalars(select(ContractText).where(ContractText.deal_id == deal.id)
                               .order_by(ContractText.id)).all()
    assert [t.status for t in texts] == ["SUPERSEDED", "SIGNED"]


def test_the_downloaded_contract_is_the_frozen_text_byte_for_byte(session, client, app):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal)
    text = n.signed_text(deal)
    assert hashlib.sha256(text.html).hexdigest() == text.sha256
    deal.fee_terms = {**(deal.fee_terms or {}), "payment_due_days": 5}  # current data drifts after signing
    db.session.commit()
    login(client, w.seller)
    html = client.get(f"/deals/{deal.id}/contract")
    pdf = client.get(f"/deals/{deal.id}/contract.pdf")
    assert html.data == text.html and pdf.data == text.pdf


def test_R_LC_5_a_filing_number_is_checked_and_declared_until_the_point_verifies_it(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY")
    sign_both(deal)
    with pytest.raises(DomainError) as err:
        n.record_filing(deal, "1", today_local(), w.seller)
    assert err.value.code == "deal.record_no_form"
    n.record_filing(deal, "２０２５３１００００１２３", today_local(), w.seller, doc(deal, w.seller, "FILING_PROOF"))
    assert deal.filing_record_no == "2025310000123"
    assert verification.state(deal, "filing") == "declared" and deal.evidence_level != "VERIFIED"
    with pytest.raises(Forbidden):
        verification.confirm_certificate(w.seller, deal, "filing", None, "自己核实")
    document = doc(deal, w.seller, "FILING_PROOF")
    verification.confirm_certificate(w.operator, deal, "filing", document.id, "备案证明与备案号一致")
    assert verification.state(deal, "filing") == "verified" and deal.evidence_level == "VERIFIED"


def test_a_paid_transfer_is_never_voided_and_ends_only_by_confirmed_rescission(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal)
    for payment in n.payments_of(deal):
        payments.mark_paid(db.session, payment, at=utcnow(), actor=w.seller, evidence={"test": True})
    for who in (w.seller, w.buyer, w.bureau):
        with pytest.raises(Forbidden):
            n.void_deal(who, deal, "不想要了")
    assert deal.status == S.SIGNED
    with pytest.raises(DomainError):
        ending.propose_ending(w.buyer, deal, "AGREED_RESCISSION", "", 0)
    ending.propose_ending(w.buyer, deal, "AGREED_RESCISSION", "双方协商一致解除", deal.price_fen)
    with pytest.raises(Forbidden):
        ending.answer_ending(w.buyer, deal, True)
    assert deal.status == S.SIGNED
    ending.answer_ending(w.seller, deal, True)
    assert deal.status == S.TERMINATED
    refunds = [e for e in deal.events if e.kind == "PAYMENT" and (e.amount_fen or 0) < 0]
    assert [e.amount_fen for e in refunds] == [-deal.price_fen]


def test_the_bureau_rescinds_a_registered_transfer_on_evidence_and_the_claim_stays(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal)
    n.file_registration(w.buyer, deal, today_local())
    n.record_registration(w.buyer, deal, today_local(), "ZR2025000009")
    with pytest.raises(DomainError):
        ending.decide_ending(w.bureau, deal, "FUNDAMENTAL_BREACH", "受让方根本违约", None)
    ending.decide_ending(w.bureau, deal, "FUNDAMENTAL_BREACH", "受让方根本违约", doc(deal, w.seller))
    assert deal.status == S.TERMINATED
    # The patent goes back only when CNIPA registers it back: the ownership claim is kept.
    assert db.session.scalar(select(PatentClaim.active).where(PatentClaim.deal_id == deal.id)) is True


def _publicised(w):
    deal = agreed(w, "LICENSE_ORDINARY")
    n.record_step(w.seller, deal, "DECISION", {}, doc(deal, w.seller, "DECISION"))
    n.record_step(w.seller, deal, "PUBLICITY", {})
    db.session.commit()
    return deal


def test_R_ST_1_the_platform_publishes_the_publicity_and_anyone_may_object(session, client):
    w = world(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    deal = _publicised(w)
    page = client.get(f"/publicity/{deal.id}").get_data(as_text=True)  # nobody logged in
    assert w.patent.title in page and w.patent.application_number in page and deal.seller.name in page
    assert deal.approvals["PUBLICITY"]["ends_on"] in page
    # Published at the server's time, shown in Beijing time like every other timestamp.
    assert local_time(publicity.notice_for(deal.id).opened_at, "%Y-%m-%d %H:%M:%S") in page
    assert w.patent.title in client.get("/publicity/").get_data(as_text=True)
    assert client.post(f"/publicity/{deal.id}/objections", data={"body": "价格偏低"}).status_code == 400  # no CSRF
    token = f.csrf_token(client, f"/publicity/{deal.id}")
    answer = client.post(f"/publicity/{deal.id}/objections", data={"body": "价格明显低于市场", "contact": "138",
                                                                   "csrf_token": token})
    assert answer.status_code == 302
    (objection,) = publicity.objections(deal)
    assert objection.body == "价格明显低于市场"
    login(client, w.seller)
    assert "价格明显低于市场" in client.get(f"/deals/{deal.id}").get_data(as_text=True)


def test_R_ST_1_a_publicity_that_no_longer_counts_is_not_public(session, client):
    w = world(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    deal = _publicised(w)
    deal.price_fen += 1
    db.session.commit()
    assert client.get(f"/publicity/{deal.id}").status_code == 404


def test_R_ST_1_the_public_list_shows_each_standing_publicity_once_newest_first(session):
    kw = dict(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    older, newer, repriced, voided = (_publicised(world(**kw)) for _ in range(4))
    repriced.price_fen += 1
    voided.status = S.VOID
    db.session.flush()
    listed = [notice.deal.id for notice in publicity.notices()]
    assert listed.index(newer.id) < listed.index(older.id) and len(set(listed)) == len(listed)
    assert repriced.id not in listed and voided.id not in listed
    assert [notice.deal.id for notice in publicity.notices(limit=1)] == [newer.id]


def test_R_LC_4_the_seller_cannot_upload_consent_for_a_co_owner_on_the_platform(session):
    partner = f.user(f.organisation("沪东测试研究院", org_type="RESEARCH_INSTITUTE"))
    w = world(co_owners=["沪东测试研究院"])
    deal = agreed(w, "LICENSE_EXCLUSIVE")
    with pytest.raises(Forbidden) as err:
        n.record_consent(w.seller, deal, "沪东测试研究院", doc(deal, w.seller))
    assert err.value.code == "deal.consent_by_owner"
    with pytest.raises(Forbidden):
        n.confirm_consent(w.seller, deal, "沪东测试研究院", "我方自己确认")
    n.record_consent(partner, deal, "")
    assert n.checklist(deal)[0].done


def test_R_TR_1_a_registration_number_is_checked_and_declared_until_verified(session):
    w = world()
    deal = agreed(w, "TRANSFER")
    sign_both(deal)
    n.file_registration(w.buyer, deal, today_local())
    with pytest.raises(DomainError) as err:
        n.record_registration(w.buyer, deal, today_local(), "随便")
    assert err.value.code == "deal.registration_no_form" and deal.status == S.REGISTRATION_FILED
    n.record_registration(w.buyer, deal, today_local(), "zr2025000123")
    assert deal.registration_no == "ZR2025000123" and verification.state(deal, "registration") == "declared"
    with pytest.raises(DomainError):  # the operator needs the uploaded notice to confirm against
        verification.confirm_certificate(w.operator, deal, "registration", None, "已查询")
    notice = doc(deal, w.buyer, "REGISTRATION_PROOF")
    verification.confirm_certificate(w.operator, deal, "registration", notice.id, "通知书与登记号一致")
    line = next(e for e in deal.events if e.kind == "REGISTRATION_VERIFIED")
    assert (line.actor_user_id, line.evidence["document_id"]) == (w.operator.id, notice.id)
    assert verification.state(deal, "registration") == "verified"


def test_objections_are_rate_limited(session, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLICITY_OBJECTION_RATE_LIMIT", "2 per hour")
    w = world(seller_type="RESEARCH_INSTITUTE", rnd=True, pricing="AGREEMENT", buyer_type="SOE",
              buyer_kw={"soe_level": "DISTRICT", "wholly_state_owned": True})
    deal = _publicised(w)
    token = f.csrf_token(client, f"/publicity/{deal.id}")
    answers = [client.post(f"/publicity/{deal.id}/objections", data={"body": f"异议{i}", "csrf_token": token})
               for i in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert len(publicity.objections(deal)) == 2


def test_ending_grounds_name_their_article_in_the_page_language():
    english = dict(ending.grounds_for("en"))
    assert english["AGREED_RESCISSION"] == "Rescinded by agreement (Civil Code art. 562 ¶1)"
    assert not any("民法典" in label for label in english.values())
    assert dict(ending.grounds_for("zh"))["AGREED_RESCISSION"] == "双方协商一致解除（民法典第562条第1款）"
