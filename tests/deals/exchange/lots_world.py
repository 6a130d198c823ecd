"""Builders for lot tests: a lot on a listing, registrations qualified and with their deposit paid."""

from __future__ import annotations

import itertools
from datetime import timedelta

from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange import deposits
from market.deals.exchange.models import Lot, LotRegistration, RegistrationStatus
from market.payments import services as payments

_seq = itertools.count(1)


def lot(w, *, method: str = "LISTING", deal_kind: str = "TRANSFER", price_fen: int = 8_000_000,
        deposit_fen: int = 500_000, floor_fen: int | None = None, reserve_fen: int | None = None,
        opens_at=None, days: int = 28) -> Lot:
    """A lot in its disclosure period on the world's listing (rows written directly, as the seller opened it)."""
    opens_at = opens_at or utcnow() - timedelta(days=1)
    seller = w.listing.organisation
    if not seller.bank_account_no:  # deposits are transferred to the seller's account
        seller.bank_account_name, seller.bank_name, seller.bank_account_no = seller.name, "上海银行宝山支行", "31001234567"
    item = Lot(listing_id=w.listing.id, listing=w.listing, seller_org_id=w.listing.organisation_id,
               point_id=w.listing.point_id, opened_by_id=w.seller.id, method=method, deal_kind=deal_kind,
               price_fen=price_fen, floor_fen=floor_fen, reserve_fen=reserve_fen, increment_fen=100_000,
               deposit_fen=deposit_fen, qualifications="依法设立的企业法人", disclosure_working_days=20,
               opens_at=opens_at, registration_closes_at=opens_at + timedelta(days=days),
               reference=f"LOT-T-{next(_seq):05d}")
    db.session.add(item)
    db.session.flush()
    return item


def register(item: Lot, buyer, *, qualify: bool = True, pay: bool = True) -> LotRegistration:
    """A buyer's registration, qualified by the seller and its deposit paid offline (the payee confirms)."""
    reg = LotRegistration(lot_id=item.id, buyer_org_id=buyer.organisation_id, registered_by_id=buyer.id)
    db.session.add(reg)
    db.session.flush()
    item.registrations.append(reg)
    payment = deposits.open_deposit(db.session, item, reg)
    if qualify:
        reg.status = RegistrationStatus.QUALIFIED
        reg.decided_by_id = item.opened_by_id
        reg.decided_at = utcnow()
        reg.decision_reason = "资格符合 / qualified"
    if pay and payment is not None:
        payments.start_checkout(db.session, payment, "bank_transfer")
        payments.confirm_payment(db.session, payment, actor=None)
    db.session.flush()
    return reg
