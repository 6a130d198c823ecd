"""Journey 4 through the pages: request, offer, counter, accept, approvals, sign, pay, file or register, complete."""

from __future__ import annotations

import contextvars
import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.models import Deal, DealDocument, DealEvent
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment
from tests import factories as f
from tests.deals.negotiation_world import PDF

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 16


def as_user(app, user):
    """A test client of its own, logged in (each request in a fresh context, like the `client` fixture)."""
    c = app.test_client()
    send = c.open
    c.open = lambda *a, **k: contextvars.Context().run(send, *a, **k)
    f.login(c, user)
    return c


def post(c, url: str, data: dict | None = None, file: tuple[bytes, str] | None = None, token: bool = True):
    data = dict(data or {})
    if token:
        data["csrf_token"] = f.csrf_token(c, "/deals/")
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return c.post(url, data=data, content_type="multipart/form-data" if file else None)


def flashed(c, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return c.get(response.headers["Location"]).get_data(as_text=True)


def deal_of(listing, kind=None) -> Deal:
    query = select(Deal).where(Deal.listing_id == listing.id)
    if kind:
        query = query.where(Deal.kind == kind)
    deal = db.session.scalars(query.order_by(Deal.id.desc())).first()
    db.session.refresh(deal)
    return deal


def _days_ago(n: int) -> str:
    return (today_local() - timedelta(days=n)).isoformat()


@pytest.mark.parametrize("kind", ["LICENSE_ORDINARY", "LICENSE_SOLE", "LICENSE_EXCLUSIVE"])
def test_a_licence_from_request_to_filing(app, setup, kind):
    w = setup(price_fen=None)
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    start, end = today_local(), today_local() + timedelta(days=3 * 365)
    page = flashed(buyer, post(buyer, "/deals/new", {
        "listing_id": w.listing.id, "kind": kind, "price_yuan": "300000", "start_date": start.isoformat(),
        "end_date": end.isoformat(), "territory": "上海市", "message": "希望在上海实施"}))
    assert "交易已发起" in page
    deal = deal_of(w.listing)
    assert (deal.kind, deal.status, deal.offers[0].price_fen) == (kind, S.NEGOTIATING, 30_000_000)
    # The seller counters; the buyer accepts the counter-offer.
    page = flashed(seller, post(seller, f"/deals/{deal.id}/offers", {
        "price_yuan": "360000", "start_date": start.isoformat(), "end_date": end.isoformat(),
        "territory": "上海市", "message": "最低36万元"}))
    assert "报价已发送" in page and "最低36万元" in page
    counter = deal_of(w.listing).offers[-1]
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/accept", {"offer_id": counter.id, "confirm": "1"}))
    assert "双方达成一致" in page
    deal = deal_of(w.listing)
    assert (deal.status, deal.price_fen, deal.territory) == (S.AGREED, 36_000_000, "上海市")
    sha = n.contract_hash(deal)
    # The confirmation names the text's hash, the counterpart and the amount; its text hashes to it.
    page = seller.get(f"/deals/{deal.id}/sign").get_data(as_text=True)
    assert sha in page and deal.buyer.name in page and "360,000.00 元" in page and "上海市" in page  # the terms too
    text = seller.get(f"/deals/{deal.id}/sign/text")
    assert hashlib.sha256(text.data).hexdigest() == sha and "no-store" in text.headers["Cache-Control"]
    assert text.headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = flashed(seller, post(seller, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"},
                                file=(PDF, "合同.pdf")))
    assert "已在平台签署" in page and deal_of(w.listing).status == S.AGREED  # the scan alone signs nothing
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"}))
    assert "已在平台签署" in page
    deal = deal_of(w.listing)
    assert deal.status == S.SIGNED and deal.filing_deadline is not None
    # The contract and the filing package are one click away, for both parties.
    page = seller.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert f"/deals/{deal.id}/contract.pdf" in page and f"/deals/{deal.id}/filing-package" in page
    assert buyer.get(f"/deals/{deal.id}/contract.pdf").data.startswith(b"%PDF")
    payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))
    # Offline payment: the buyer uploads the bank receipt, the seller confirms it arrived.
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/payments/{payment.id}/receipt", file=(PNG, "回单.png")))
    assert "付款凭证已上传" in page
    assert post(buyer, f"/deals/{deal.id}/payments/{payment.id}/confirm").status_code == 403
    page = flashed(seller, post(seller, f"/deals/{deal.id}/payments/{payment.id}/confirm", {"confirm": "1"}))
    assert "已确认收款" in page
    db.session.refresh(payment)
    assert payment.status == "PAID" and payment.receipt_document_id is not None
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/filing", {
        "record_no": "2025310000456", "filing_date": today_local().isoformat()}))
    assert "已登记合同备案" in page and "2025310000456" in page
    deal = deal_of(w.listing)
    kinds = [e.kind for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                                   .order_by(DealEvent.seq))]
    assert kinds == ["REQUESTED", "OFFER", "OFFER", "ACCEPTED", "MESSAGE", "MESSAGE", "SIGNATURE", "PAYMENT_DUE", "MESSAGE", "PAYMENT",
                     "FILING"]
    assert deal.status == S.FILED


def test_a_university_transfer_with_publicity_through_registration(app, setup):
    w = setup(seller_type="UNIVERSITY", rnd=True, pricing="AGREEMENT", price_fen=None)
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "800000"})
    deal = deal_of(w.listing)
    flashed(seller, post(seller, f"/deals/{deal.id}/accept", {"offer_id": deal.offers[0].id, "confirm": "1"}))
    page = seller.get(f"/deals/{deal.id}").get_data(as_text=True)
    for title in ("单位集体决策", "单位内部公示", "是否进行资产评估的决定", "发明人优先受让权"):
        assert title in page
    # Signing before the approvals is refused with what is missing, and changes nothing.
    page = flashed(seller, post(seller, f"/deals/{deal.id}/sign", {"sha256": n.contract_hash(deal), "confirm": "1"}))
    assert "签约前尚需完成" in page and deal_of(w.listing).status == S.AGREED
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/DECISION", {"note": "校长办公会"}, file=(PDF, "纪要.pdf")))
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/VALUATION_DECISION", {"reason": "市场询价"}))
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/INVENTOR_WAIVER", {"form": "WAIVER"}, file=(PDF, "声明.pdf")))
    page = flashed(seller, post(seller, f"/deals/{deal.id}/approvals/PUBLICITY", {"start_date": _days_ago(30)}))
    assert "公示期内" in page
    assert seller.get(f"/publicity/{deal.id}").status_code == 200  # public, on the platform
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/sign", {"sha256": n.contract_hash(deal), "confirm": "1"}))
    assert "公示期满后" in page and deal_of(w.listing).status == S.APPROVALS
    d = deal_of(w.listing)  # as if the publicity period had run its course
    d.approvals = {**d.approvals, "PUBLICITY": {**d.approvals["PUBLICITY"], "sign_from": _days_ago(1)}}
    db.session.commit()
    sha = n.contract_hash(d)
    flashed(buyer, post(buyer, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"}))
    page = flashed(seller, post(seller, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"}))
    assert "已在平台签署" in page
    payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))
    assert (payment.kind, payment.amount_fen) == ("TRANSFER_PRICE", 80_000_000)
    flashed(buyer, post(buyer, f"/deals/{deal.id}/registration-filed", {"on": today_local().isoformat()}))
    page = flashed(seller, post(seller, f"/deals/{deal.id}/registration", {
        "registered_on": today_local().isoformat(), "registration_no": "ZR2025000088"}, file=(PDF, "通知书.pdf")))
    assert "转让已登记生效" in page
    db.session.expire_all()  # this session read the owners when it computed the contract's hash
    deal = deal_of(w.listing)
    assert deal.status == S.REGISTERED and deal.patent.owner_names == [w.buyer.organisation.name]
    flashed(buyer, post(buyer, f"/deals/{deal.id}/payments/{payment.id}/receipt", file=(PDF, "回单.pdf")))
    flashed(seller, post(seller, f"/deals/{deal.id}/payments/{payment.id}/confirm", {"confirm": "1"}))
    deal = deal_of(w.listing)
    assert deal.status == S.COMPLETED and deal.completed_date == today_local()


def test_an_soe_equity_investment_through_capital_registration(app, setup):
    w = setup(seller_type="SOE", price_fen=None)
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "EQUITY", "price_yuan": "1000000",
                               "share_pct": "15"})
    deal = deal_of(w.listing)
    flashed(seller, post(seller, f"/deals/{deal.id}/accept", {"offer_id": deal.offers[0].id, "confirm": "1"}))
    assert deal_of(w.listing).share_pct == "15"
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/DECISION", {}, file=(PDF, "决议.pdf")))
    page = flashed(seller, post(seller, f"/deals/{deal.id}/approvals/VALUATION", {
        "basis": "EVALUATION", "appraiser": "东洲评估", "report_no": "东洲评报字2025第1号", "value_yuan": "1000000",
        "base_date": _days_ago(10)}, file=(PDF, "评估报告.pdf")))
    assert "已登记" in page
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/VALUATION_FILED", {
        "filing_type": "RECORD", "filing_no": "沪国资评备[2025]12号", "filing_date": _days_ago(2)},
        file=(PDF, "备案表.pdf")))
    flashed(seller, post(seller, f"/deals/{deal.id}/approvals/INVENTOR_WAIVER", {"form": "NOTICE"}, file=(PDF, "通知.pdf")))
    sha = n.contract_hash(deal_of(w.listing))
    flashed(buyer, post(buyer, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"}))
    flashed(seller, post(seller, f"/deals/{deal.id}/sign", {"sha256": sha, "confirm": "1"}))
    assert deal_of(w.listing).status == S.SIGNED
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/capital", {"on": today_local().isoformat()}))
    assert "专利权须先登记至被投资企业名下" in page
    flashed(buyer, post(buyer, f"/deals/{deal.id}/registration-filed", {"on": today_local().isoformat()}))
    flashed(buyer, post(buyer, f"/deals/{deal.id}/registration", {"registered_on": today_local().isoformat(),
                                                                   "registration_no": "ZR2025000099"}))
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/capital", {"on": today_local().isoformat()},
                               file=(PDF, "营业执照.pdf")))
    assert "已登记注册资本变更" in page
    assert deal_of(w.listing).status == S.COMPLETED


def test_accepting_a_fixed_price_on_the_page_agrees_at_once_and_a_second_exclusive_licence_is_refused(app, setup):
    w = setup(price_fen=2_000_000)
    first, second = as_user(app, w.buyer), as_user(app, w.other)
    page = flashed(first, post(first, "/deals/new", {"listing_id": w.listing.id, "kind": "LICENSE_EXCLUSIVE",
                                                      "accept_listed": "1", "confirm": "1"}))
    assert "已按挂牌条件达成一致" in page
    page = flashed(second, post(second, "/deals/new", {"listing_id": w.listing.id, "kind": "LICENSE_EXCLUSIVE",
                                                        "accept_listed": "1", "confirm": "1"}))
    assert "已有独占或排他许可" in page
    assert [d.buyer_org_id for d in db.session.scalars(select(Deal).where(Deal.listing_id == w.listing.id))] == [
        w.buyer.organisation_id]


def test_a_licence_past_the_last_protected_day_is_refused_on_the_page(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    too_late = (w.patent.last_protected_day + timedelta(days=1)).isoformat()
    response = post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "LICENSE_ORDINARY",
                                          "price_yuan": "1", "start_date": today_local().isoformat(),
                                          "end_date": too_late})
    # The form comes back with the problem beside the end date (issue 15 §6).
    assert response.status_code == 422 and "许可期限不能超过专利权保护期" in response.get_data(as_text=True)
    assert db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id)) is None


def test_strangers_get_404_and_viewers_403(app, setup):
    w = setup()
    from market.deals import negotiation as n

    deal_id = n.request_deal(w.buyer, w.listing, "TRANSFER", terms={"price_fen": 1_000_000}).id
    db.session.commit()
    stranger, operator, bureau = as_user(app, w.stranger), as_user(app, w.operator), as_user(app, w.bureau)
    assert stranger.get(f"/deals/{deal_id}").status_code == 404
    assert post(stranger, f"/deals/{deal_id}/accept").status_code == 404
    assert post(stranger, f"/deals/{deal_id}/offers", {"price_yuan": "1"}).status_code == 404
    assert stranger.get("/deals/999999").status_code == 404
    page = operator.get(f"/deals/{deal_id}")
    assert page.status_code == 200 and "只读" in page.get_data(as_text=True)
    assert "接受此报价" not in page.get_data(as_text=True)
    assert post(operator, f"/deals/{deal_id}/accept").status_code == 403
    assert post(bureau, f"/deals/{deal_id}/offers", {"price_yuan": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Deal, deal_id).status == S.NEGOTIATING and len(db.session.get(Deal, deal_id).offers) == 1
    # The bureau may void a mistaken deal (with a reason).
    page = flashed(bureau, post(bureau, f"/deals/{deal_id}/void", {"reason": "测试数据", "confirm": "1"}))
    assert "交易已作废" in page


def test_illegal_transitions_are_explained_and_change_nothing(app, setup):
    w = setup()
    buyer, seller = as_user(app, w.buyer), as_user(app, w.seller)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "10"})
    deal = deal_of(w.listing)
    page = flashed(seller, post(seller, f"/deals/{deal.id}/registration", {
        "registered_on": today_local().isoformat(), "registration_no": "X"}))
    assert "交易当前状态为“洽谈中”，不能变为“已登记(转让生效)”" in page
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/accept", {"offer_id": deal.offers[0].id, "confirm": "1"}))
    assert "须由对方接受" in page
    page = flashed(seller, post(seller, f"/deals/{deal.id}/sign", {"sha256": "0" * 64, "confirm": "1"}))
    assert "不能签约" in page
    assert deal_of(w.listing).status == S.NEGOTIATING


def test_every_form_needs_its_csrf_token(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    response = post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER"}, token=False)
    assert response.status_code == 400
    assert db.session.scalar(select(Deal.id).where(Deal.listing_id == w.listing.id)) is None


def test_the_deal_page_shows_parties_status_and_ledger_in_both_languages(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "EQUITY", "price_yuan": "50000", "share_pct": "5"})
    deal = deal_of(w.listing)
    zh = buyer.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert w.buyer.organisation.name in zh and "洽谈中" in zh and "交易台账" in zh and deal.reference in zh
    en = buyer.get(f"/deals/{deal.id}?lang=en").get_data(as_text=True)
    assert "Negotiating" in en and "Deal ledger" in en and "Waiting for the other party" in en
    mine = buyer.get("/deals/").get_data(as_text=True)
    assert deal.reference in mine


def test_the_patent_page_offers_the_negotiated_modes(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    page = buyer.get(f"/patents/{w.patent.application_number}").get_data(as_text=True)
    for mode in ("LICENSE_EXCLUSIVE", "TRANSFER", "EQUITY"):
        assert f"/deals/new?listing={w.listing.id}&amp;kind={mode}" in page
    form = buyer.get(f"/deals/new?listing={w.listing.id}&kind=LICENSE_SOLE").get_data(as_text=True)
    assert "按挂牌条件成交" in form and "发起洽谈" in form


def test_a_request_from_a_match_opens_the_deal(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    response = post(buyer, f"/listings/{w.listing.id}/request", {"mode": "LICENSE_ORDINARY", "message": "你好"})
    deal = deal_of(w.listing)
    assert response.headers["Location"].endswith(f"/deals/{deal.id}")
    assert deal.inquiry_id is not None and deal.kind == "LICENSE_ORDINARY"


def test_uploads_are_checked_by_content_and_served_only_to_those_who_see_the_deal(app, setup):
    w = setup()
    buyer, stranger = as_user(app, w.buyer), as_user(app, w.stranger)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "10"})
    deal = deal_of(w.listing)
    page = flashed(buyer, post(buyer, f"/deals/{deal.id}/uploads", {"kind": "OTHER"},
                               file=(b"<html><script>alert(1)</script></html>", "x.pdf")))
    assert "只接受 PDF、PNG 或 JPEG 文件" in page
    assert db.session.scalar(select(DealDocument.id).where(DealDocument.deal_id == deal.id)) is None
    flashed(buyer, post(buyer, f"/deals/{deal.id}/uploads", {"kind": "OTHER"}, file=(PDF, "说明.pdf")))
    document = db.session.scalar(select(DealDocument).where(DealDocument.deal_id == deal.id))
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert re.fullmatch(rf"{deal.id}/[0-9a-f]{{32}}\.pdf", document.stored_as)
    assert "static" not in document.stored_as
    got = buyer.get(f"/deals/{deal.id}/uploads/{document.id}")
    body = got.data
    got.close()
    assert got.status_code == 200 and body == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert stranger.get(f"/deals/{deal.id}/uploads/{document.id}").status_code == 404


def test_an_oversized_upload_is_refused(app, setup):
    w = setup()
    buyer = as_user(app, w.buyer)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "10"})
    deal = deal_of(w.listing)
    limit = app.config["UPLOAD_MAX_BYTES"]
    app.config["UPLOAD_MAX_BYTES"] = 1024
    try:
        page = flashed(buyer, post(buyer, f"/deals/{deal.id}/uploads", {"kind": "OTHER"},
                                   file=(PDF + b"0" * 2048, "big.pdf")))
    finally:
        app.config["UPLOAD_MAX_BYTES"] = limit
    assert "文件不能超过" in page
    assert db.session.scalar(select(DealDocument.id).where(DealDocument.deal_id == deal.id)) is None


def test_a_co_owner_on_the_platform_consents_on_the_deal_page(app, setup, session):
    partner_org = f.organisation("沪南工业技术研究院", org_type="RESEARCH_INSTITUTE")
    partner_user = f.user(partner_org)
    w = setup(co_owners=["沪南工业技术研究院"])
    from market.core.notifications import Notification
    from market.deals import negotiation as n

    deal = n.request_deal(w.buyer, w.listing, "LICENSE_EXCLUSIVE",
                          terms={"price_fen": 100, "start_date": today_local(), "end_date": today_local()})
    n.accept_offer(w.seller, deal)
    db.session.commit()
    asked = db.session.scalar(select(Notification).where(Notification.organisation_id == partner_org.id))
    assert asked.link == f"/deals/{deal.id}" and "共有人" in asked.title_zh
    partner = as_user(app, partner_user)
    page = partner.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "本单位作为共有人，同意本交易" in page
    assert post(partner, f"/deals/{deal.id}/sign", {"sha256": "0" * 64, "confirm": "1"}).status_code == 403
    page = flashed(partner, post(partner, f"/deals/{deal.id}/approvals/CO_OWNER_CONSENT"))
    assert "已登记：全体共有人同意" in page and "✓ 沪南工业技术研究院" in page
    deal = deal_of(w.listing)
    assert deal.approvals["CO_OWNER_CONSENT"]["owners"]["沪南工业技术研究院"]["how"] == "self"
