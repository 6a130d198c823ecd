"""A lot ready for bidding: rows written directly, deposits paid through the offline provider."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from listings.vocabulary import Role
from market.accounts.auth import hash_password
from market.accounts.models import Organisation, User
from market.core.db import utcnow
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.models import BiddingFormat, Lot, LotMethod, LotRegistration, LotStatus
from tests import factories as f
from tests.deals.exchange.lots_world import register

# Hashing a password (scrypt) costs half a second; every bidder of every test shares this one.
_PASSWORD_HASH = hash_password(f.PASSWORD)
_users = itertools.count(1)


def person(org: Organisation) -> User:
    """A user who can log in with factories.PASSWORD, without hashing it again."""
    user = User(email=f"bidder{next(_users)}-{org.id}@example.test", name="测试竞买人", password_hash=_PASSWORD_HASH,
                organisation=org, role=Role.ADMIN)
    db.session.add(user)
    db.session.flush()
    return user


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


def world(*, bidders: int = 3, method=LotMethod.LISTING, fmt=BiddingFormat.ASCENDING, reserve_fen=None,
          price_fen=1_000_000, increment_fen=10_000, deposit_fen=100_000, extension_minutes=5,
          window_minutes=60, start: bool = True, now: datetime | None = None) -> World:
    """A 挂牌 (or auction) lot whose disclosure period has just ended, `bidders` qualified buyers
    with paid deposits; bidding started (when `start`) at `now` for `window_minutes`."""
    now = now or utcnow()
    seller_org = f.organisation(org_type="UNIVERSITY", bank_account_name="测试大学", bank_name="上海银行宝山支行",
                                bank_account_no="31001234567")  # deposits are paid to the seller
    seller = person(seller_org)
    point = f.point()
    operator = person(point.operator)
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
    users = [person(f.organisation(org_type="PRIVATE")) for _ in range(bidders)]
    regs = [register(lot, u) for u in users]
    if start:
        bidding.start_bidding(db.session, lot, at=now)
    db.session.flush()
    return World(lot=lot, seller=seller, operator=operator, bidders=users, registrations=regs, now=now)
