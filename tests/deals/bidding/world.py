"""A lot ready for bidding, built directly from rows (the exchange steps that lead here are theirs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from market.accounts.models import Organisation, User
from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.models import (
    BiddingFormat,
    DepositStatus,
    Lot,
    LotMethod,
    LotRegistration,
    LotStatus,
    RegistrationStatus,
)
from tests import factories as f


@dataclass
class World:
    lot: Lot
    seller: User
    operator: User
    bidders: list[User]
    registrations: list[LotRegistration] = field(default_factory=list)
    now: datetime = field(default_factory=utcnow)

    def at(self, minutes: float = 0) -> datetime:
        """A moment relative to the opening of the bidding (the world's clock, not the machine's)."""
        return self.lot.bidding_opens_at + timedelta(minutes=minutes)

    def bid(self, i: int, yuan: int, minutes: float = 1):
        return bidding.place_bid(db.session, self.lot, self.bidders[i], yuan * 100, at=self.at(minutes))


def register(lot: Lot, org: Organisation, decider: User, *, status=RegistrationStatus.QUALIFIED,
             deposit=DepositStatus.PAID) -> LotRegistration:
    decided = status in (RegistrationStatus.QUALIFIED, RegistrationStatus.REFUSED)
    reg = LotRegistration(lot_id=lot.id, buyer_org_id=org.id, status=status, deposit_status=deposit,
                          decided_by_id=decider.id if decided else None,
                          decided_at=lot.opens_at if decided else None,
                          decision_reason="资格审查通过" if decided else "")
    db.session.add(reg)
    db.session.flush()
    return reg


def world(*, bidders: int = 3, method=LotMethod.LISTING, fmt=BiddingFormat.ASCENDING, reserve_fen=None,
          price_fen=1_000_000, increment_fen=10_000, deposit_fen=100_000, extension_minutes=5,
          window_minutes=60, start: bool = True, now: datetime | None = None) -> World:
    """A 挂牌 (or auction) lot whose disclosure period has just ended, `bidders` qualified buyers
    with paid deposits; bidding started (when `start`) at `now` for `window_minutes`."""
    now = now or utcnow()
    seller_org = f.organisation(org_type="UNIVERSITY")
    seller = f.user(seller_org)
    point = f.point()
    operator = f.user(point.operator)
    listing = f.listing(seller_org, point, price_fen=price_fen)
    lot = Lot(listing_id=listing.id, seller_org_id=seller_org.id, point_id=point.id, opened_by_id=seller.id,
              method=method, deal_kind="TRANSFER", status=LotStatus.OPEN, price_fen=price_fen,
              reserve_fen=reserve_fen, increment_fen=increment_fen, deposit_fen=deposit_fen,
              opens_at=now - timedelta(days=30), registration_closes_at=now, bidding_format=fmt,
              bidding_opens_at=now, bidding_closes_at=now + timedelta(minutes=window_minutes),
              extension_minutes=extension_minutes,
              conductor_id=operator.id if method == LotMethod.AUCTION else None)
    db.session.add(lot)
    db.session.flush()
    users = [f.user(f.organisation(org_type="PRIVATE")) for _ in range(bidders)]
    regs = [register(lot, u.organisation, operator,
                     deposit=DepositStatus.PAID if deposit_fen else DepositStatus.NONE) for u in users]
    if start:
        bidding.start_bidding(db.session, lot, at=now)
    db.session.flush()
    return World(lot=lot, seller=seller, operator=operator, bidders=users, registrations=regs, now=now)
