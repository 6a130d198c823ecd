"""What the public sees of lots: terms, period, countdown, how many registered (never who), the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from listings.models import Listing
from market.deals.exchange.models import Bid, BiddingFormat, Lot, LotEvent, LotMethod, LotStatus, RegistrationStatus
from market.deals.exchange.workdays import is_workday, local_day, working_days_left

MAX_ID = 2**31 - 1
# Lines whose actor is a registrant: shown without the name (the register of interest is not public).
PRIVATE_LINES = {"REGISTERED", "QUALIFIED", "REFUSED", "REGISTRATION_WITHDRAWN", "DEPOSIT_PAID",
                 "DEPOSIT_REFUNDED", "DEPOSIT_CANCELLED", "DEPOSIT_APPLIED"}
LINE_WORDS = {
    "OPENED": ("挂牌公告发布", "Lot published"), "REGISTERED": ("收到一份报名", "A registration received"),
    "QUALIFIED": ("一份报名资格确认", "A registration qualified"),
    "REFUSED": ("一份报名资格未通过", "A registration not qualified"),
    "REGISTRATION_WITHDRAWN": ("一份报名撤回", "A registration withdrawn"),
    "DEPOSIT_PAID": ("保证金到账", "Deposit received"), "DEPOSIT_REFUNDED": ("保证金退还", "Deposit refunded"),
    "DEPOSIT_CANCELLED": ("未缴保证金取消", "Unpaid deposit cancelled"),
    "DEPOSIT_APPLIED": ("保证金转为价款", "Deposit applied to the price"),
    "AWARDED": ("成交", "Awarded"), "UNSOLD": ("未成交", "Not sold"), "WITHDRAWN": ("撤牌", "Withdrawn"),
    "REOPENED": ("重新挂牌", "Re-opened"),
    "BIDDING_STARTED": ("竞价开始", "Bidding started"), "BID": ("收到一次出价", "A bid accepted"),
    "BIDDING_EXTENDED": ("截止前出价，竞价延时", "A late bid extended the bidding"),
    "BIDDING_CLOSED": ("竞价截止", "Bidding closed"),
}


def last_day(lot: Lot):
    """The period's last day (registration closes at the end of it, Shanghai time)."""
    return local_day(lot.registration_closes_at - timedelta(seconds=1))


def conducted_by(lot: Lot) -> str:
    if lot.auction_house:
        return lot.auction_house
    point = lot.listing.point
    return point.operator.name if point is not None else lot.seller.name


def summary(lot: Lot, now: datetime) -> dict:
    listing = lot.listing
    live = lot.status == LotStatus.OPEN and now < lot.registration_closes_at
    return {"id": lot.id, "reference": lot.reference, "listing_id": lot.listing_id,
            "patent_title": listing.patent.title, "application_number": listing.patent.application_number,
            "seller": lot.seller.name, "method": lot.method, "deal_kind": lot.deal_kind, "status": lot.status,
            "price_fen": lot.price_fen, "deposit_fen": lot.deposit_fen, "increment_fen": lot.increment_fen,
            "qualifications": lot.qualifications, "disclosure_working_days": lot.disclosure_working_days,
            "opens_at": lot.opens_at, "registration_closes_at": lot.registration_closes_at,
            "last_day": last_day(lot), "working_days_left": working_days_left(now, last_day(lot)) if live else 0,
            "registrations": sum(r.status != RegistrationStatus.WITHDRAWN for r in lot.registrations),
            "conducted_by": conducted_by(lot), "previous_lot_id": lot.previous_lot_id, "deal_id": lot.deal_id,
            "is_auction": lot.method == LotMethod.AUCTION, "live": live,
            # The period runs into a year whose holiday notice chinese-calendar does not have yet.
            "calendar_estimated": is_workday(last_day(lot))[1]}


def list_lots(session: Session, limit: int = 200) -> list[Lot]:
    """Live lots first (the soonest to close first), then the most recently ended."""
    live = case((Lot.status.in_((LotStatus.OPEN, LotStatus.BIDDING)), 0), else_=1)
    return list(session.scalars(
        select(Lot).options(selectinload(Lot.registrations), selectinload(Lot.listing).selectinload(Listing.patent),
                            selectinload(Lot.seller))
        .order_by(live, Lot.registration_closes_at, Lot.id.desc()).limit(limit)))


def lot_or_none(session: Session, lot_id: int) -> Lot | None:
    return session.get(Lot, lot_id) if 0 < lot_id <= MAX_ID else None


def ledger(session: Session, lot: Lot) -> list[dict]:
    """The lot's ledger for the public page: what happened and when; a registrant is never named."""
    rows = session.scalars(select(LotEvent).where(LotEvent.lot_id == lot.id).order_by(LotEvent.seq))
    out = []
    for e in rows:
        words = LINE_WORDS.get(e.kind, (e.kind, e.kind))
        out.append({"seq": e.seq, "kind": e.kind, "at": e.at, "zh": words[0], "en": words[1],
                    "amount_fen": e.amount_fen if e.kind not in PRIVATE_LINES or e.kind == "DEPOSIT_APPLIED" else None,
                    "reason": (e.detail or {}).get("reason", "") if e.kind in ("UNSOLD", "WITHDRAWN") else ""})
    return out


def bids(session: Session, lot: Lot) -> list[Bid]:
    """The accepted bids for the public notice; none while a sealed bidding runs (opened at the close)."""
    if lot.status == LotStatus.BIDDING and lot.bidding_format == BiddingFormat.SEALED:
        return []
    return list(session.scalars(select(Bid).where(Bid.lot_id == lot.id).order_by(Bid.seq)))
