"""The bidding engine of a lot: ascending open bidding and sealed bids, auctions with a hidden reserve.

One rule carries the rest: every bid is checked and written while the lot's row is locked
(SELECT … FOR UPDATE on PostgreSQL; SQLite lets one writer at a time), so the bid checked against
"the current price" is checked against the last bid anyone committed. The database is the second
line: an ascending lot's bids are unique per amount and a sealed lot's per registration
(migration 0021), and `bids` refuses UPDATE and DELETE. A refused bid raises before anything is
written; the caller's transaction is rolled back (market.web.actions.run_action).

Time is always the server's clock, passed in as `at` by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.core.db import transaction_memo
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.money import MAX_FEN, yuan_text
from market.deals.exchange.award import award, lot_ledger, no_sale
from market.deals.exchange.deposits import excluded_orgs, is_qualified_bidder, lock_lot
from market.deals.exchange.models import (
    Bid,
    BiddingFormat,
    Lot,
    LotMethod,
    LotRegistration,
    LotStatus,
    RegistrationStatus,
)
from market.deals.models import Deal

# A lot opened without a bidding window of its own bids for one hour from the end of its period.
DEFAULT_WINDOW = timedelta(hours=1)


def is_qualified(lot: Lot, registration: LotRegistration | None) -> bool:
    """A qualified bidder (the one rule, market.deals.exchange.deposits): qualified, deposit paid."""
    return registration is not None and is_qualified_bidder(lot, registration)


def excluded_org_ids(session, lot: Lot) -> set[int]:
    """Organisations that may never bid on the lot: the seller's and the point operator's."""
    return excluded_orgs(lot)


def qualified_registrations(session, lot: Lot) -> list[LotRegistration]:
    excluded = excluded_org_ids(session, lot)
    rows = session.scalars(select(LotRegistration).where(LotRegistration.lot_id == lot.id)
                           .order_by(LotRegistration.id)).all()
    return [r for r in rows if is_qualified(lot, r) and r.buyer_org_id not in excluded]


def min_bidders(lot: Lot) -> int:
    """挂牌 goes to bidding only between two or more buyers (one buyer takes the listing price);
    an auction may open with one bidder, whose bid must still reach the reserve."""
    return 1 if lot.method == LotMethod.AUCTION else 2


def start_bidding(session, lot: Lot, *, at: datetime) -> None:
    """Open the bidding: status BIDDING, the window from the lot's settings, never before `at`."""
    lot = lock_lot(session, lot)
    if lot.status != LotStatus.OPEN:
        raise Conflict("bidding_not_open_lot", "只有公示期中的标的可以开始竞价",
                       "Only a lot in its disclosure period can start bidding")
    count = len(qualified_registrations(session, lot))
    if count < min_bidders(lot):
        raise Conflict("bidding_too_few_bidders",
                       f"合格竞买人不足 {min_bidders(lot)} 名，不能开始竞价",
                       f"Fewer than {min_bidders(lot)} qualified bidders: bidding cannot start")
    opens, closes = lot.bidding_opens_at, lot.bidding_closes_at
    window = closes - opens if opens and closes and closes > opens else DEFAULT_WINDOW
    # A window set in advance keeps its length; it never opens in the past.
    lot.bidding_opens_at = max(opens or at, at)
    lot.bidding_closes_at = lot.bidding_opens_at + window
    lot.status = LotStatus.BIDDING
    lot_ledger(session, lot, "BIDDING_STARTED", at=at, bidders=count,
               opens_at=lot.bidding_opens_at.isoformat(), closes_at=lot.bidding_closes_at.isoformat(),
               format=lot.bidding_format)


@dataclass(frozen=True)
class State:
    """What a bidder may know of the bidding at one moment (the reserve is never here)."""

    current_fen: int | None  # the highest accepted bid of an ascending lot; None for sealed
    next_min_fen: int
    bids: int


def accepted_bids(session, lot: Lot) -> list[Bid]:
    return list(session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.seq)).all())


def state_of(session, lot: Lot) -> State:
    count, top = session.execute(select(func.count(Bid.id), func.max(Bid.amount_fen))
                                 .where(Bid.lot_id == lot.id)).one()
    if lot.bidding_format == BiddingFormat.SEALED:
        return State(None, lot.price_fen, count)
    return State(top, lot.price_fen if top is None else top + lot.increment_fen, count)


def state_after(lot: Lot, bid: Bid) -> State:
    """state_of right after `bid` was accepted, without a query: it is the last accepted bid, and an
    ascending lot's last accepted bid is its highest (the caller still holds the lot's lock)."""
    if lot.bidding_format == BiddingFormat.SEALED:
        return State(None, lot.price_fen, bid.seq)
    return State(bid.amount_fen, bid.amount_fen + lot.increment_fen, bid.seq)


def check_amount(amount_fen) -> int:
    """Only a whole, positive number of fen is a bid: never a float, NaN or Infinity."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        if isinstance(amount_fen, float) and not math.isfinite(amount_fen):
            raise DomainError("bid_not_finite", "出价必须是有限的数额", "A bid must be a finite amount",
                              field="amount")
        raise DomainError("bid_not_fen", "出价必须精确到分", "A bid must be a whole number of fen",
                          field="amount")
    if amount_fen <= 0:
        raise DomainError("bid_not_positive", "出价必须大于零", "A bid must be above zero", field="amount")
    if amount_fen > MAX_FEN:
        raise DomainError("bid_too_large", "出价超出允许的最大数额", "The bid is above the largest amount allowed",
                          field="amount")
    return amount_fen


def registration_of(session, lot: Lot, org_id: int) -> LotRegistration | None:
    """The organisation's registration for the lot (unique per lot and organisation).

    Read once per transaction (the viewer's role, then the bid, ask for it): a second SELECT within
    the transaction would hand back the same object with the attributes it already has, as the ORM
    does not overwrite a loaded row. Under the lot's lock, place_bid refreshes it explicitly.
    """
    key = (lot.id, org_id)
    found = transaction_memo(session, "exchange.registrations").get(key)
    if found is None:
        found = session.scalars(select(LotRegistration).where(
            LotRegistration.lot_id == lot.id, LotRegistration.buyer_org_id == org_id)).first()
        if found is not None:  # in the memo of the transaction the SELECT ran in (it may have begun it)
            transaction_memo(session, "exchange.registrations")[key] = found
    return found


def _require_qualified(lot: Lot, registration: LotRegistration | None) -> None:
    if registration is None or registration.status != RegistrationStatus.QUALIFIED:
        raise Forbidden("bid_not_qualified", "贵单位不是本标的的合格竞买人",
                        "Your organisation is not a qualified bidder on this lot")
    if not is_qualified(lot, registration):
        raise Forbidden("bid_deposit_unpaid", "保证金尚未缴纳，不能出价", "The deposit is not paid: you cannot bid")


def _require_minimum(lot: Lot, amount_fen: int, state: State) -> None:
    if amount_fen < state.next_min_fen:
        raise DomainError("bid_too_low", f"出价低于最低应价 {yuan_text(state.next_min_fen)}",
                          f"The bid is below the minimum of {yuan_text(state.next_min_fen, 'en')}", field="amount")


def place_bid(session, lot: Lot, user: User, amount_fen: int, *, at: datetime) -> Bid:
    """Accept one bid, or refuse it with the reason and write nothing."""
    amount_fen = check_amount(amount_fen)
    # Checks that need no lock come first: who is excluded never changes, and a price only rises,
    # so a bid below the minimum seen now is below it under the lock too. Most refusals (bids
    # overtaken while being typed) end here, without queueing for the lot's row.
    if user.organisation_id in excluded_org_ids(session, lot) or user.id == lot.conductor_id:
        raise Forbidden("bid_own_lot", "卖方及网点运营方不得参与本标的竞价",
                        "The seller and the point operator may not bid on this lot")
    registration = registration_of(session, lot, user.organisation_id)
    _require_qualified(lot, registration)
    _require_minimum(lot, amount_fen, state_of(session, lot))
    lot = lock_lot(session, lot)
    if lot.status != LotStatus.BIDDING or lot.bidding_opens_at is None or at < lot.bidding_opens_at:
        raise Conflict("bid_not_open", "竞价尚未开始", "Bidding has not started")
    if at >= lot.bidding_closes_at:
        raise Conflict("bid_closed", "竞价已截止", "Bidding has closed")
    session.refresh(registration)  # as it stands under the lot's lock (withdrawn, refused)
    _require_qualified(lot, registration)
    sealed = lot.bidding_format == BiddingFormat.SEALED
    last = session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.seq.desc()).limit(1)).first()
    if sealed:
        if session.scalar(select(func.count(Bid.id)).where(Bid.registration_id == registration.id)):
            raise Conflict("bid_sealed_twice", "密封报价每位竞买人只能出价一次，您已报价",
                           "Sealed bids: one bid each, and yours is in")
    elif last is not None and last.registration_id == registration.id:
        raise Conflict("bid_already_leading", "您已是当前最高出价人，无需再次加价", "You already hold the highest bid")
    # Ascending: the last accepted bid is the highest (each one is above the one before).
    _require_minimum(lot, amount_fen, State(None, lot.price_fen, 0) if sealed or last is None else
                     State(last.amount_fen, last.amount_fen + lot.increment_fen, last.seq))
    seq = (last.seq if last is not None else 0) + 1
    bid = Bid(lot_id=lot.id, registration_id=registration.id, bidder_org_id=user.organisation_id,
              placed_by_id=user.id, seq=seq, amount_fen=amount_fen, placed_at=at, sealed=sealed)
    session.add(bid)
    try:
        session.flush()
    except IntegrityError:  # the constraints of 0021: only reachable if the lock was bypassed
        raise Conflict("bid_taken", "同一价格已有人先出，请刷新后重新出价",
                       "Someone bid this amount first: reload and bid again") from None
    # A sealed bid's amount stays in its Bid row until the close; the ledger line (shown on the
    # lot's public notice) says only that a bid came in.
    lot_ledger(session, lot, "BID", at=at, actor=user, registration=registration,
               amount_fen=None if sealed else amount_fen, bid_seq=seq)
    extension = timedelta(minutes=lot.extension_minutes)
    if not sealed and extension and lot.bidding_closes_at - at <= extension:
        lot.bidding_closes_at += extension
        lot_ledger(session, lot, "BIDDING_EXTENDED", at=at, closes_at=lot.bidding_closes_at.isoformat(),
                   bid_seq=seq)
    return bid


def winning_bid(session, lot: Lot) -> Bid | None:
    """The highest bid; between equal sealed bids, the one accepted first."""
    return session.scalars(select(Bid).where(Bid.lot_id == lot.id)
                           .order_by(Bid.amount_fen.desc(), Bid.seq)).first()


def close_bidding(session, lot: Lot, *, at: datetime) -> Deal | None:
    """End the bidding once its close has passed: award to the best bid, or no sale."""
    lot = lock_lot(session, lot)
    if lot.status != LotStatus.BIDDING:
        raise Conflict("bidding_not_running", "该标的不在竞价中", "The lot is not being bid on")
    if at < lot.bidding_closes_at:
        raise Conflict("bidding_not_closed", "竞价尚未截止", "Bidding has not closed yet")
    best = winning_bid(session, lot)
    lot_ledger(session, lot, "BIDDING_CLOSED", at=at, bids=state_of(session, lot).bids,
               closes_at=lot.bidding_closes_at.isoformat())
    if best is None:
        no_sale(session, lot, at=at, reason="无人出价 / No bids")
        return None
    if lot.reserve_fen is not None and best.amount_fen < lot.reserve_fen:
        no_sale(session, lot, at=at, reason="最高出价未达保留价 / The highest bid did not reach the reserve")
        return None
    registration = session.get(LotRegistration, best.registration_id)
    return award(session, lot, registration, best.amount_fen, at=at)
