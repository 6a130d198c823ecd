"""Internal codes on screen (issue 15 #7): words first; a rule id may follow in small print; no enum codes
or digests in running text of the open-licence pages, its ledger notes and its notices."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import today_local
from market.deals.models import DealEvent
from market.deals.open_licence import declarations as ol
from market.deals.open_licence.acquisition import take_open_licence
from market.payments import services as payments
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb

SMALL_PRINT = re.compile(r'<small class="muted">[^<]*</small>')


def running_text(page: str) -> str:
    """The page without its small print."""
    return SMALL_PRINT.sub("", page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_checks_name_their_rule_only_in_small_print_after_the_words(app, client, lang):
    with app.test_request_context():
        w = wb.world(co_owners=("张某某",), type_code="2")
        decl = wb.draft(w)
        db.session.commit()
        owner, decl_id = w.uni_user.email, decl.id
    f.login(client, owner)
    page = client.get(f"/open-licences/{decl_id}?lang={lang}").get_data(as_text=True)
    assert '<small class="muted">R-OL-3</small>' in page and '<small class="muted">R-OL-5</small>' in page
    assert not re.search(r"R-OL-\d", running_text(page)), re.findall(r".{60}R-OL-\d.{20}", running_text(page))
    # The words come first, the id after them.
    item = re.search(r'<li class="check-item[^"]*">(.*?)</li>', page, re.S).group(1)
    assert item.index("R-OL-") > item.index("</span>") + 10


def test_an_ended_declaration_gives_the_lapse_reason_in_words(app):
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        w.patent.legal_status, w.patent.lapse_reason = "LAPSED", "FEE_UNPAID"
        ol.end_declarations(today_local())
        assert decl.status == "ENDED"
        assert decl.end_reason == "专利权已终止（未缴年费终止）"


def test_taking_a_licence_writes_words_in_the_ledger_and_no_digest_in_the_notice(app, monkeypatch):
    for key, value in (("PAYEE_ACCOUNT_NAME", "上海示范大学"), ("PAYEE_BANK_NAME", "工商银行宝山支行"),
                       ("PAYEE_ACCOUNT_NUMBER", "1001 2345 6789")):
        monkeypatch.setitem(app.config, key, value)
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        deal = take_open_licence(decl.id, w.buyer, w.buyer_user)
        notes = [e.note for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id))]
        assert any(n.startswith("许可费(一次付清)第1笔应付") for n in notes), notes
        assert not any("LUMP_SUM" in (n or "") for n in notes), notes
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))
        payments.start_checkout(db.session, payment, "bank_transfer")
        payments.confirm_payment(db.session, payment, actor=w.uni_user)
        notes = [e.note for e in db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id))]
        assert "许可费(一次付清)第1笔已到账" in notes, notes
        sent = db.session.scalars(select(Notification).where(Notification.organisation_id == w.uni.id)).all()
        bodies = " ".join(f"{n.body_zh} {n.body_en}" for n in sent)
        assert deal.reference in bodies and "SHA-256" not in bodies
