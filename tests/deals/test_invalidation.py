"""A patent declared wholly invalid through the legal-status import (R-LC-9; PL 47 ¶2).

Licences in force terminate from the invalidation date with what was paid kept; talks end;
registered transfers stand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from listings.importing.readers import read_table
from listings.importing.status import import_status_updates
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import today_local
from market.deals import claims
from market.deals.models import DealEvent, Offer, PatentClaim
from market.deals.open_licence import acquisition
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import ClaimGroup
from market.payments import services as payments
from market.payments.models import Payment
from tests.deals import dispute_builders as b
from tests.deals.open_licence import world as wb


def invalidate(patent, on, event: str = "宣告专利权全部无效"):
    csv = f"申请号,法律状态,法律状态日\n{patent.application_number},{event},{on.isoformat()}\n"
    result = import_status_updates(read_table(csv.encode("utf-8"), "status.csv"))
    db.session.flush()
    assert result.updated == 1 and not result.rejected
    return result


def ledger(deal) -> list[tuple[str, str | None]]:
    return [(e.kind, e.to_status) for e in db.session.scalars(
        select(DealEvent).where(DealEvent.deal_id == deal.id).order_by(DealEvent.seq))]


def statuses(deal) -> list[tuple[int, str, int]]:
    return [(p.amount_fen, p.status, p.refunded_fen) for p in db.session.scalars(
        select(Payment).where(Payment.deal_id == deal.id).order_by(Payment.id))]


def invalidation_notices(org) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.organisation_id == org.id, Notification.kind == "deal.invalidated"))


def test_r_lc_9_an_invalidated_licence_ends_and_keeps_what_was_paid(session):
    c = b.cast()
    on = today_local() - timedelta(days=10)
    deal = b.deal(c, kind="LICENSE_EXCLUSIVE", status="FILED", start=on - timedelta(days=400),
                  end=on + timedelta(days=700), price_fen=3_000_000)
    claims.take(c.patent.id, ClaimGroup.EXCLUSIVITY, deal.kind, starts_on=deal.start_date, ends_on=deal.end_date,
                deal_id=deal.id)
    b.payment(deal, 1_000_000, "PAID", due=on - timedelta(days=300))
    b.payment(deal, 1_000_001, "PAID", due=on - timedelta(days=30), refunded_fen=1)
    b.payment(deal, 999_999, "DUE", due=on + timedelta(days=60))
    b.payment(deal, 500_000, "FAILED", due=on - timedelta(days=5))
    invalidate(c.patent, on)
    assert deal.status == "TERMINATED"
    line = db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                              .order_by(DealEvent.seq.desc())).first()
    assert (line.kind, line.from_status, line.to_status, line.occurred_on) == ("TERMINATED", "FILED", "TERMINATED", on)
    assert {k: line.evidence[k] for k in ("rule", "reason", "invalidated_on", "paid_fen", "cancelled_fen")} == {
        "rule": "PL 47 ¶2", "reason": "INVALIDATED", "invalidated_on": on.isoformat(), "paid_fen": 2_000_000,
        "cancelled_fen": 1_499_999}
    assert "专利法第47条第2款" in line.note and "已支付的20,000.00元不予退还" in line.note
    assert "尚未支付的14,999.99元不再支付" in line.note
    # Paid money stays paid (nothing refunded); what was still owed is cancelled.
    assert statuses(deal) == [(1_000_000, "PAID", 0), (1_000_001, "PAID", 1), (999_999, "CANCELLED", 0),
                              (500_000, "CANCELLED", 0)]
    held = db.session.scalars(select(PatentClaim).where(PatentClaim.deal_id == deal.id)).one()
    assert (held.active, held.ends_on) == (True, on - timedelta(days=1))
    assert (invalidation_notices(c.seller), invalidation_notices(c.buyer)) == (1, 1)


def test_r_lc_9_a_second_import_of_the_same_invalidation_changes_nothing(session):
    c = b.cast()
    on = today_local() - timedelta(days=3)
    deal = b.deal(c, kind="LICENSE_ORDINARY", status="ACTIVE")
    b.payment(deal, 700_000, "PAID")
    invalidate(c.patent, on)
    before = ledger(deal)
    invalidate(c.patent, on)
    assert ledger(deal) == before == [("TERMINATED", "TERMINATED")]
    assert (invalidation_notices(c.seller), statuses(deal)) == (1, [(700_000, "PAID", 0)])


@pytest.mark.parametrize("kind,status", [("LICENSE_ORDINARY", "SIGNED"), ("LICENSE_SOLE", "FILING_REJECTED"),
                                         ("LICENSE_EXCLUSIVE", "ACTIVE"), ("OPEN_LICENSE", "LICENSED"),
                                         ("OPEN_LICENSE", "FILED")])
def test_r_lc_9_every_licence_in_force_terminates(session, kind, status):
    c = b.cast()
    deal = b.deal(c, kind=kind, status=status)
    invalidate(c.patent, today_local())
    assert (deal.status, ledger(deal)) == ("TERMINATED", [("TERMINATED", "TERMINATED")])


@pytest.mark.parametrize("status", ["NEGOTIATING", "AGREED", "APPROVALS"])
def test_r_lc_9_talks_still_open_are_cancelled_and_release_the_patent(session, status):
    c = b.cast()
    on = today_local() - timedelta(days=1)
    deal = b.deal(c, kind="LICENSE_EXCLUSIVE", status=status, start=today_local(),
                  end=today_local() + timedelta(days=365))
    offer = Offer(deal_id=deal.id, from_org_id=c.buyer.id, price_fen=100, status="OPEN")
    db.session.add(offer)
    claims.take(c.patent.id, ClaimGroup.EXCLUSIVITY, deal.kind, starts_on=deal.start_date, ends_on=deal.end_date,
                deal_id=deal.id)
    invalidate(c.patent, on)
    assert (deal.status, ledger(deal), offer.status) == ("CANCELLED", [("CANCELLED", "CANCELLED")], "WITHDRAWN")
    assert db.session.scalars(select(PatentClaim.active).where(PatentClaim.deal_id == deal.id)).all() == [False]
    assert invalidation_notices(c.buyer) == 1


@pytest.mark.parametrize("kind", ["TRANSFER", "EQUITY"])
def test_r_lc_9_a_registered_transfer_is_performed_and_stands(session, kind):
    c = b.cast()
    registered = b.deal(c, kind=kind, status="REGISTERED", price_fen=8_000_000)
    completed = b.deal(c, kind=kind, status="COMPLETED", price_fen=8_000_000, buyer=b.cast().buyer)
    pending = b.deal(c, kind=kind, status="REGISTRATION_FILED", buyer=b.cast().buyer)
    b.payment(registered, 8_000_000, "DUE", kind="TRANSFER_PRICE")
    invalidate(c.patent, today_local())
    assert [d.status for d in (registered, completed, pending)] == ["REGISTERED", "COMPLETED", "REGISTRATION_FILED"]
    assert [ledger(d) for d in (registered, completed, pending)] == [[], [], []]
    # A performed transfer's price is still owed: the invalidation does not reach back to it.
    assert statuses(registered) == [(8_000_000, "DUE", 0)]
    assert invalidation_notices(registered.buyer) == 1


def test_r_lc_9_a_transfer_signed_but_not_registered_can_no_longer_take_effect(session):
    c = b.cast()
    deal = b.deal(c, kind="TRANSFER", status="SIGNED", price_fen=5_000_000)
    claims.take(c.patent.id, ClaimGroup.OWNERSHIP, deal.kind, starts_on=today_local() - timedelta(days=5),
                deal_id=deal.id, from_org_id=c.seller.id)
    b.payment(deal, 5_000_000, "DUE", kind="TRANSFER_PRICE")
    invalidate(c.patent, today_local())
    assert (deal.status, statuses(deal)) == ("TERMINATED", [(5_000_000, "CANCELLED", 0)])
    assert "转让合同（未登记，不能生效）终止" in deal.events[-1].note


@pytest.mark.parametrize("event", ["专利权部分无效", "未缴年费专利权终止", "无效宣告请求"])
def test_r_lc_9_only_a_whole_invalidation_ends_licences(session, event):
    c = b.cast()
    deal = b.deal(c, kind="LICENSE_ORDINARY", status="ACTIVE")
    invalidate(c.patent, today_local(), event)
    assert (deal.status, ledger(deal)) == ("ACTIVE", [])


def test_r_lc_9_an_open_licence_taken_terminates_and_an_unpaid_one_is_void(session):
    w = wb.world(enterprises=2)
    decl = wb.announced(w, on=today_local() - timedelta(days=30))
    taken = acquisition.take_open_licence(decl.id, *w.enterprises[0])
    paid = db.session.scalars(select(Payment).where(Payment.deal_id == taken.id)).one()
    payments.mark_paid(db.session, paid, at=paid.created_at, actor=None, evidence={"provider": "offline"})
    waiting = acquisition.take_open_licence(decl.id, *w.enterprises[1])
    assert (taken.status, waiting.status) == ("LICENSED", "PAYMENT_PENDING")
    on = today_local() - timedelta(days=2)
    invalidate(w.patent, on)
    assert db.session.get(OpenLicenceDeclaration, decl.id).status == "ENDED"
    assert (taken.status, waiting.status) == ("TERMINATED", "VOID")
    assert statuses(taken) == [(5_000_000, "PAID", 0)]
    assert statuses(waiting) == [(5_000_000, "CANCELLED", 0)]
    assert taken.events[-1].evidence["paid_fen"] == 5_000_000
    # The paid line of the ledger is still there, before the termination.
    kinds = [k for k, _ in ledger(taken)]
    assert kinds[-2:] == ["LICENSED", "TERMINATED"] and "PAYMENT" in kinds


@pytest.fixture
def terminated(session):
    c = b.cast()
    deal = b.deal(c, kind="LICENSE_ORDINARY", status="FILED",
                  fee_terms={"mode": "LUMP_SUM", "lump_fen": 2_000_000})
    b.payment(deal, 1_234_567, "PAID")
    b.payment(deal, 765_433, "DUE")
    invalidate(c.patent, today_local())
    db.session.commit()
    return c, deal.id


def test_r_lc_9_the_deal_page_and_the_contract_keep_the_paid_history(app, terminated):
    c, deal_id = terminated
    seller = b.as_user(app, c.seller_user)
    page = seller.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "已终止" in page and "专利法第47条第2款" in page and "12,345.67元不予退还" in page
    assert "已到账" in page and "已取消" in page
    contract = seller.get(f"/deals/{deal_id}/contract")
    assert contract.status_code == 200
    text = contract.get_data(as_text=True)
    assert "已到账" in text and "已取消" in text
