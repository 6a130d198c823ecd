"""What one viewer may see of a lot's bidding: the one view model of the page, its poll and the API.

Who sees what is decided here once, so the page, the JSON it polls and /api/v1 cannot disagree:
- the reserve price never leaves the server (nobody's board carries it);
- while a sealed bidding runs, no amount is shown to anyone but the bidder's own;
- other bidders are 竞买人1/2/… (numbered in the order they registered) to bidders; the seller's
  organisation, the point operator and the bureau, who qualified them, see their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from listings.models import Listing
from market.accounts.models import Organisation, User
from market.core.errors import NotFound
from market.deals.exchange import bidding
from market.deals.exchange.models import Bid, BiddingFormat, Lot, LotRegistration, LotStatus

# Viewer roles.
BIDDER, SELLER, OPERATOR, BUREAU = "bidder", "seller", "operator", "bureau"
_RUNNING = (LotStatus.BIDDING,)
RECENT = 20  # bids listed on the board (newest first); the count and the price cover them all


def role_of(session, lot: Lot, user: User | None) -> str | None:
    """How `user` stands to the lot's bidding; None for someone with no part in it."""
    if user is None or not user.is_authenticated:
        return None
    org = user.organisation
    if org.id == lot.seller_org_id:
        return SELLER
    if org.id in bidding.excluded_org_ids(session, lot) or user.id == lot.conductor_id:
        return OPERATOR
    if org.is_bureau:
        return BUREAU
    if bidding.registration_of(session, lot, org.id) is not None:
        return BIDDER
    return None


def lot_for(session, user: User | None, lot_id: int) -> tuple[Lot, str]:
    """The lot and the viewer's role; 404 for a lot that never bid or a viewer with no part in it."""
    # With its listing and point (who is excluded from bidding): one statement, not three.
    lot = session.get(Lot, lot_id, options=[joinedload(Lot.listing).joinedload(Listing.point)]) \
        if 0 < lot_id < 2**31 else None
    role = role_of(session, lot, user) if lot is not None else None
    if lot is None or lot.bidding_opens_at is None or lot.status not in (
            LotStatus.BIDDING, LotStatus.AWARDED, LotStatus.UNSOLD) or role is None:
        raise NotFound("lot_bidding_not_found", "没有找到该竞价", "No such bidding")
    return lot, role


@dataclass(frozen=True)
class BidLine:
    seq: int
    bidder: str  # a label (竞买人N), "you", or the organisation's name for those who qualified it
    mine: bool
    amount_fen: int | None  # None while a sealed bidding runs (unless mine)
    placed_at: datetime


@dataclass(frozen=True)
class Board:
    lot_id: int
    status: str
    format: str
    method: str
    server_now: datetime
    opens_at: datetime
    closes_at: datetime
    price_fen: int
    increment_fen: int
    current_fen: int | None
    next_min_fen: int | None
    bids_count: int
    role: str
    can_bid: bool
    my_registration: str | None  # the viewer's own standing, a word key (see templates)
    my_bid_fen: int | None
    leading: bool
    lines: list[BidLine]
    winner: str | None
    won: bool
    final_fen: int | None
    deal_id: int | None

    @property
    def sealed(self) -> bool:
        return self.format == BiddingFormat.SEALED

    @property
    def running(self) -> bool:
        return self.status in _RUNNING

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.closes_at - self.server_now).total_seconds())) if self.running else 0

    def as_json(self) -> dict:
        return {
            "lot_id": self.lot_id, "status": self.status, "format": self.format, "method": self.method,
            "server_now": self.server_now.isoformat() + "Z", "opens_at": self.opens_at.isoformat() + "Z",
            "closes_at": self.closes_at.isoformat() + "Z", "seconds_left": self.seconds_left,
            "price_fen": self.price_fen, "increment_fen": self.increment_fen, "current_fen": self.current_fen,
            "next_min_fen": self.next_min_fen, "bids_count": self.bids_count, "can_bid": self.can_bid,
            "my_registration": self.my_registration, "my_bid_fen": self.my_bid_fen, "leading": self.leading,
            "bids": [{"seq": line.seq, "bidder": line.bidder, "mine": line.mine, "amount_fen": line.amount_fen,
                      "placed_at": line.placed_at.isoformat() + "Z"} for line in self.lines],
            "result": None if self.running else {
                "status": self.status, "winner": self.winner, "won": self.won, "price_fen": self.final_fen,
                "deal_id": self.deal_id}}


def board(session, lot: Lot, user: User, role: str, *, now: datetime, you: str = "您",
          bidder: str = "竞买人") -> Board:
    """The bidding as `user` may see it at `now` (the server's clock); the latest RECENT bids listed."""
    registration_ids = session.scalars(select(LotRegistration.id).where(LotRegistration.lot_id == lot.id)
                                       .order_by(LotRegistration.id)).all()
    numbers = {rid: i for i, rid in enumerate(registration_ids, start=1)}
    mine = bidding.registration_of(session, lot, user.organisation_id) if role == BIDDER else None
    recent = list(session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.seq.desc()).limit(RECENT)))
    names_visible = role in (SELLER, OPERATOR, BUREAU)
    names = ({o.id: o.name for o in session.scalars(select(Organisation).where(
        Organisation.id.in_({b.bidder_org_id for b in recent})))} if names_visible and recent else {})
    running = lot.status in _RUNNING
    sealed = lot.bidding_format == BiddingFormat.SEALED
    hide = running and sealed

    def is_mine(bid: Bid | None) -> bool:
        return bid is not None and mine is not None and bid.registration_id == mine.id

    def label(bid: Bid) -> str:
        if is_mine(bid):
            return you
        if names_visible:
            return names.get(bid.bidder_org_id) or session.get(Organisation, bid.bidder_org_id).name
        return f"{bidder}{numbers.get(bid.registration_id, 0)}"

    lines = [BidLine(b.seq, label(b), is_mine(b), None if hide and not is_mine(b) else b.amount_fen, b.placed_at)
             for b in recent]
    state = bidding.state_of(session, lot)
    best = bidding.winning_bid(session, lot) if lot.status == LotStatus.AWARDED else None
    my_last = session.scalars(select(Bid).where(Bid.registration_id == mine.id).order_by(Bid.seq.desc())
                              .limit(1)).first() if mine is not None else None
    qualified = mine is not None and bidding.is_qualified(lot, mine)
    leading = not sealed and bool(recent) and is_mine(recent[0])
    # Nothing to bid while one's sealed bid is in, or while one holds the highest bid.
    can_bid = (running and qualified and lot.bidding_opens_at <= now < lot.bidding_closes_at
               and not (sealed and my_last is not None) and not leading)
    return Board(
        lot_id=lot.id, status=lot.status, format=lot.bidding_format, method=lot.method, server_now=now,
        opens_at=lot.bidding_opens_at, closes_at=lot.bidding_closes_at, price_fen=lot.price_fen,
        increment_fen=lot.increment_fen, current_fen=state.current_fen,
        next_min_fen=state.next_min_fen if running else None, bids_count=state.bids, role=role, can_bid=can_bid,
        my_registration=None if mine is None else ("QUALIFIED" if qualified else mine.status),
        my_bid_fen=my_last.amount_fen if my_last else None,
        leading=leading,
        lines=lines, winner=label(best) if best else None, won=is_mine(best),
        final_fen=best.amount_fen if best else None,
        # The deal's page is the parties' (and those who conduct the lot): not the other bidders'.
        deal_id=lot.deal_id if role != BIDDER or is_mine(best) else None)
