"""The end of a lot: a deal with its buyer at the price the lot formed, or no sale. Never commits.

`award` is the one place a lot becomes a deal (one qualified buyer at the listing price, or the
winner of the bidding): the deal's price_formed_by is the lot's method, and the lot is recorded in
the deal's approvals, so the exchange-listing step (R-ST-3, SA78) rests on the platform's own
listing, never on a user's word. The winner's deposit is applied to the price; every other paid
deposit is refunded through the provider. `no_sale` ends a lot without a buyer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.core.errors import Conflict, DomainError
from market.deals import ledger
from market.deals.approvals import EXCHANGE_LISTING
from market.deals.exchange.deposits import (
    apply_deposit,
    is_qualified_bidder,
    lock_lot,
    lot_ledger,
    refuse_unless_live,
    release_deposit,
)
from market.deals.exchange.models import Bid, Lot, LotRegistration, LotStatus
from market.deals.exchange.workdays import local_day
from market.deals.models import Deal, DealPatent
from market.deals.negotiation.common import assign_reference, tell
from market.deals.negotiation.contract import prior_licences
from market.deals.negotiation.requests import _ask_co_owners, close_other_requests, lock_members, take_rights
from market.deals.negotiation.terms import clean_terms
from market.deals.vocabulary import LICENCE_KINDS, OWNERSHIP_KINDS, DealKind, LedgerEvent
from market.deals.vocabulary import DealStatus as S

__all__ = ["award", "no_sale", "lot_ledger", "first_listing_price"]


def first_listing_price(session: Session, lot: Lot) -> int:
    """首次挂牌价: the price of the first lot of a chain of re-openings (SA78 §3(1) compares it)."""
    first = lot
    while first.previous_lot_id is not None:
        first = session.get(Lot, first.previous_lot_id)
    return first.price_fen


def _check_price(lot: Lot, price_fen) -> int:
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        raise DomainError("lot.price_invalid", "成交价必须是正的整数金额（分）。",
                          "The price must be a positive whole amount in fen.", field="price_fen")
    if price_fen < lot.price_fen:
        raise DomainError("lot.price_below_listing", "成交价不能低于挂牌价（起拍价）。",
                          "The price cannot be below the lot's listing (starting) price.", field="price_fen")
    if lot.reserve_fen is not None and price_fen < lot.reserve_fen:
        raise DomainError("lot.reserve_not_met", "成交价未达到保留价，不能成交。",
                          "The price does not reach the reserve; the lot cannot be awarded.", field="price_fen")
    return price_fen


def award(session: Session, lot: Lot, registration: LotRegistration, price_fen: int, *, at: datetime,
          actor=None) -> Deal:
    """End the lot with this buyer at this price: the deal, the deposits, the ledger lines."""
    lock_lot(session, lot)
    refuse_unless_live(lot)
    session.refresh(registration)
    if not is_qualified_bidder(lot, registration):
        raise Conflict("lot.not_qualified_bidder", "该报名人不是本项目的合格竞买人（资格未确认或保证金未缴纳）。",
                       "This registration is not a qualified buyer of the lot (not qualified, or deposit unpaid).")
    price_fen = _check_price(lot, price_fen)
    listing = lot.listing
    patent = listing.patent
    kind = DealKind(lot.deal_kind)
    # Every patent of a package, in id order, as a negotiated deal on the listing would.
    lock_members(listing.members)
    day = local_day(at)
    raw: dict = {"price_fen": price_fen}
    if kind in LICENCE_KINDS:
        raw.update(start_date=day, end_date=patent.last_protected_day)
    terms = clean_terms(kind, patent, raw, complete=True)
    bids = session.scalar(select(func.count()).select_from(Bid).where(Bid.lot_id == lot.id)) or 0
    record = {"lot_id": lot.id, "lot_reference": lot.reference, "method": lot.method,
              "first_listing_price_fen": first_listing_price(session, lot), "listing_price_fen": lot.price_fen,
              "price_fen": price_fen, "bids": bids, "registration_id": registration.id,
              "awarded_at": at.isoformat()}
    deal = Deal(kind=kind.value, status=S.NEGOTIATING, patent_id=patent.id, patent=patent, listing_id=listing.id,
                listing=listing, seller_org_id=lot.seller_org_id, buyer_org_id=registration.buyer_org_id,
                point_id=lot.point_id or listing.point_id, requested_by_id=registration.registered_by_id,
                pricing_method=lot.method, price_formed_by=lot.method, fee_terms={}, valuation={},
                approvals={"lot": record, EXCHANGE_LISTING.code: record})
    # A package's further patents, frozen with the deal (contract, filing, registration per patent).
    deal.further_patents = [DealPatent(patent=m.patent, position=m.position) for m in listing.further_members]
    session.add(deal)
    session.flush([deal])
    assign_reference(deal)
    # Rights first, on every patent the deal covers: if another deal holds one, nothing below happens.
    take_rights(deal, kind, terms, day)
    deal.price_fen = terms.price_fen
    deal.fee_terms = dict(terms.fee_terms or {})
    deal.start_date, deal.end_date = terms.start_date, terms.end_date
    deal.territory, deal.field_of_use = terms.territory, terms.field_of_use
    deal.agreed_at = at
    ledger.append(deal, LedgerEvent.REQUESTED, occurred_on=day, actor=actor,
                  actor_org_id=lot.seller_org_id if actor is None else None,
                  note=f"挂牌项目 {lot.reference or lot.id} 成交 / lot awarded",
                  evidence={"lot_id": lot.id, "registration_id": registration.id})
    applied = apply_deposit(session, lot, registration, at=at, deal_id=deal.id, actor=actor)
    if applied:
        record = {**record, "deposit_applied_fen": applied}
        deal.approvals = {"lot": record, EXCHANGE_LISTING.code: record}
    ledger.move(deal, S.AGREED, LedgerEvent.ACCEPTED, occurred_on=day, amount_fen=price_fen, actor=actor,
                actor_org_id=lot.seller_org_id if actor is None else None,
                evidence={"lot_id": lot.id, "method": lot.method, "bids": bids, "deposit_applied_fen": applied})
    if kind in OWNERSHIP_KINDS:
        deal.approvals = {**deal.approvals, "prior_licences": prior_licences(deal)}
        close_other_requests(deal, actor)
    for other in lot.registrations:
        if other.id != registration.id:
            release_deposit(session, lot, other, at=at, actor=actor,
                            reason=f"未成交，保证金退还（项目 {lot.reference or lot.id}）/ not the buyer: deposit refunded")
    lot.status = LotStatus.AWARDED
    lot.deal_id = deal.id
    lot_ledger(session, lot, "AWARDED", at=at, actor=actor, registration=registration, amount_fen=price_fen,
               deal_id=deal.id, deal_reference=deal.reference, bids=bids)
    tell(deal.buyer_org_id, deal, "lot_awarded", "挂牌项目已成交，请办理审批与签约",
         "The lot was awarded to you; approvals and signature are next")
    tell(deal.seller_org_id, deal, "lot_awarded", "挂牌项目已成交，请办理审批与签约",
         "The lot was awarded; approvals and signature are next")
    _ask_co_owners(deal)
    session.flush()
    return deal


def no_sale(session: Session, lot: Lot, *, at: datetime, reason: str) -> None:
    """End the lot without a buyer (none qualified, reserve not met): UNSOLD, every deposit back."""
    lock_lot(session, lot)
    refuse_unless_live(lot)
    reason = (reason or "").strip()[:500] or "未成交 / not sold"
    for registration in lot.registrations:
        release_deposit(session, lot, registration, at=at, reason=reason)
    lot.status = LotStatus.UNSOLD
    lot_ledger(session, lot, "UNSOLD", at=at, reason=reason)
    session.flush()
