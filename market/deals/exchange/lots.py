"""Opening, withdrawing and re-opening lots, and settling those whose period has ended. Never commits.

A lot is opened by the listing's seller (an administrator of its organisation) or by the operator of
the listing's point. Its disclosure period is counted in working days from the server's clock. An
SOE lists at no less than its approved value (R-ST-3, SA78 §3(1)): that value is the lot's floor,
and the deal it makes is checked again against the valuation documented on the deal.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.accounts.models import User
from market.accounts.permissions import require_approved_org
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.money import yuan_grouped
from market.deals import approvals as rules
from market.deals.exchange import bidding
from market.deals.exchange.award import award, no_sale
from market.deals.exchange.deposits import is_qualified_bidder, lock_lot, lot_ledger, release_deposit
from market.deals.exchange.models import BiddingFormat, Lot, LotMethod, LotStatus
from market.deals.exchange.workdays import bidding_window, disclosure_period
from market.deals.negotiation.terms import require_patent_fit
from market.deals.vocabulary import DealKind

# The deals a lot can make: a transfer or a licence with one price (an equity deal needs its share agreed).
LOT_KINDS = (DealKind.TRANSFER, DealKind.LICENSE_ORDINARY, DealKind.LICENSE_SOLE, DealKind.LICENSE_EXCLUSIVE)
# [policy] A disclosure period of 5 to 60 working days; 20 unless the seller says otherwise.
MIN_WORKING_DAYS, MAX_WORKING_DAYS, DEFAULT_WORKING_DAYS = 5, 60, 20
# Bidding, when two or more buyers qualify (an auction: one), lasts an hour unless the lot announces
# longer: [policy] up to a week, as online auctions run for days so that bidders in office hours can
# all take part. The length is announced with the lot (its bidding window), never changed after.
BIDDING_MINUTES = 60
MAX_BIDDING_HOURS = 7 * 24
SELLER, OPERATOR = "seller", "operator"
log = logging.getLogger(__name__)


def role_in_lot(user: User | None, lot_or_listing) -> str | None:
    """SELLER for the listing's organisation, OPERATOR for its point's operator, else None."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    listing = lot_or_listing.listing if isinstance(lot_or_listing, Lot) else lot_or_listing
    if listing.organisation_id == user.organisation_id:
        return SELLER
    if listing.point is not None and listing.point.operator_id == user.organisation_id:
        return OPERATOR
    return None


def require_lot_manager(user: User, lot_or_listing) -> str:
    """The seller's or the point operator's administrator; anyone else is refused."""
    role = role_in_lot(user, lot_or_listing)
    if role is None or not user.is_admin:
        raise Forbidden("lot.not_manager", "只有卖方或网点运营机构的管理员可以办理此事项。",
                        "Only an administrator of the seller or of the point operator may do this.")
    require_approved_org(user)
    return role


def _bad(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError(f"lot.{code}", zh, en, field=field)


def _check_terms(listing: Listing, data: dict) -> dict:
    """The lot's terms, checked together (each field's own shape was checked by the form)."""
    seller = listing.organisation
    method = LotMethod(data.get("method") or LotMethod.LISTING)
    kind = data.get("deal_kind")
    if kind not in LOT_KINDS or kind not in (listing.modes or []):
        raise _bad("kind", "请选择该挂牌提供的转让或许可方式。", "Choose a transfer or licence the listing offers.",
                   "deal_kind")
    price, deposit = data.get("price_fen"), data.get("deposit_fen") or 0
    if not price or price <= 0:
        raise _bad("price", "请填写挂牌价（元），须大于零。", "Enter the listing price in yuan, above zero.", "price_fen")
    floor = data.get("floor_fen")
    if rules.is_soe(seller):
        # R-ST-3 / SA78 §3(1): the first listing price is not below the approved (核准/备案) value.
        value = data.get("approved_value_fen")
        if not value:
            raise _bad("approved_value", "国有企业挂牌须填写经核准或备案的评估值（R-ST-3）。",
                       "An SOE gives the approved or filed evaluation value (R-ST-3).", "approved_value_fen")
        if not (data.get("valuation_filing_no") or "").strip():
            raise _bad("filing_no", "请填写评估结果核准或备案的文号。",
                       "Give the number of the evaluation's approval or filing.", "valuation_filing_no")
        if price < value:
            raise _bad("below_value", f"挂牌价不得低于经核准/备案的评估值 {yuan_grouped(value)} 元（国资厅发产权〔2013〕78号，R-ST-3）。",
                       f"The listing price may not be below the approved value of ¥{yuan_grouped(value)} "
                       "(SASAC notice [2013] 78, R-ST-3).", "price_fen")
        floor = value
    if floor is not None and floor > price:
        raise _bad("floor", "底价不能高于挂牌价。", "The floor cannot be above the listing price.", "floor_fen")
    if deposit < 0 or deposit > price:
        raise _bad("deposit", "保证金须在零与挂牌价之间。", "The deposit must be between zero and the listing price.",
                   "deposit_fen")
    reserve = data.get("reserve_fen") if method == LotMethod.AUCTION else None
    if reserve is not None and reserve < price:
        raise _bad("reserve", "保留价不能低于起拍价。", "The reserve cannot be below the starting price.", "reserve_fen")
    increment = data.get("increment_fen") or max(price // 100, 100)
    if increment <= 0:
        raise _bad("increment", "加价幅度须大于零。", "The increment must be above zero.", "increment_fen")
    days = data.get("disclosure_working_days") or DEFAULT_WORKING_DAYS
    if not MIN_WORKING_DAYS <= days <= MAX_WORKING_DAYS:
        raise _bad("days", f"公告期为 {MIN_WORKING_DAYS} 至 {MAX_WORKING_DAYS} 个工作日。",
                   f"The disclosure period is {MIN_WORKING_DAYS} to {MAX_WORKING_DAYS} working days.",
                   "disclosure_working_days")
    hours = data.get("bidding_hours")
    hours = BIDDING_MINUTES // 60 if hours is None else hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_BIDDING_HOURS:
        raise _bad("bidding_hours", f"竞价时长为 1 至 {MAX_BIDDING_HOURS} 小时。",
                   f"The bidding lasts 1 to {MAX_BIDDING_HOURS} hours.", "bidding_hours")
    qualifications = (data.get("qualifications") or "").strip()
    if not qualifications:
        raise _bad("qualifications", "请写明受让方（被许可方）应具备的资格条件。",
                   "State the qualifications a buyer must have.", "qualifications")
    return {"method": method.value, "deal_kind": kind, "price_fen": price, "floor_fen": floor,
            "reserve_fen": reserve, "increment_fen": increment, "deposit_fen": deposit,
            "qualifications": qualifications[:2000], "disclosure_working_days": days, "bidding_hours": hours,
            "bidding_format": BiddingFormat(data.get("bidding_format") or BiddingFormat.ASCENDING).value,
            "extension_minutes": data.get("extension_minutes") if data.get("extension_minutes") is not None else 5,
            "auction_house": (data.get("auction_house") or "").strip()[:200] if method == LotMethod.AUCTION else ""}


def open_lot(session: Session, user: User, listing: Listing, data: dict, *, at: datetime,
             previous: Lot | None = None) -> Lot:
    """Publish a lot on a live listing; its period starts now by the server's clock."""
    role = require_lot_manager(user, listing)
    if listing.status != ListingStatus.PUBLISHED:
        raise Conflict("lot.listing_not_live", "该专利不在货架上（未上架或已下架），不能挂牌交易。",
                       "The listing is not on the shelf; it cannot be offered.")
    terms = _check_terms(listing, data)
    # An auction is conducted by the point operator or a recorded auction house (拍卖法 art. 24),
    # never by the seller itself: the seller knows the reserve and would run its own sale.
    if terms["method"] == LotMethod.AUCTION and role != OPERATOR and not terms["auction_house"]:
        raise _bad("conductor", "拍卖须由网点运营机构主持，或填写受托的拍卖企业名称及其许可证号。",
                   "An auction is conducted by the point operator, or name the auction house (and its "
                   "licence number) instructed to conduct it.", "auction_house")
    if previous is not None:
        terms["floor_fen"] = previous.floor_fen if terms["floor_fen"] is None else terms["floor_fen"]
    require_patent_fit(DealKind(terms["deal_kind"]), listing.patent)
    period = disclosure_period(at, terms["disclosure_working_days"])
    # The window's length lives in the lot's announced window (bidding_opens_at/closes_at).
    opens, closes = bidding_window(period.last_day, terms.pop("bidding_hours") * 60)
    lot = Lot(listing_id=listing.id, listing=listing, seller_org_id=listing.organisation_id,
              point_id=listing.point_id, opened_by_id=user.id, status=LotStatus.OPEN, opens_at=at,
              registration_closes_at=period.closes_at, bidding_opens_at=opens, bidding_closes_at=closes,
              previous_lot_id=getattr(previous, "id", None),
              conductor_id=user.id if terms["method"] == LotMethod.AUCTION and role == OPERATOR else None,
              **terms)
    try:
        with session.begin_nested():
            session.add(lot)
            session.flush([lot])
    except IntegrityError:
        raise Conflict("lot.already_live", "该专利已有正在进行的挂牌或拍卖项目。",
                       "This listing already has a lot in progress.") from None
    lot.reference = f"{'PM' if lot.method == LotMethod.AUCTION else 'GP'}-{at.year}-{lot.id:06d}"
    lot_ledger(session, lot, "OPENED", at=at, actor=user, amount_fen=lot.price_fen, by=role,
               last_day=period.last_day.isoformat(), calendar_estimated=period.estimated,
               approved_value_fen=data.get("approved_value_fen") if rules.is_soe(listing.organisation) else None,
               valuation_filing_no=(data.get("valuation_filing_no") or "").strip()[:80] or None,
               previous_lot_id=lot.previous_lot_id)
    return lot


def reopen_lot(session: Session, user: User, previous: Lot, data: dict, *, at: datetime) -> Lot:
    """After no sale: a new lot on the same listing at a lower price, never below the floor."""
    require_lot_manager(user, previous)
    lock_lot(session, previous)
    if previous.status != LotStatus.UNSOLD:
        raise Conflict("lot.not_unsold", "只有未成交的项目可以重新挂牌。", "Only an unsold lot can be re-opened.")
    if session.scalar(select(Lot.id).where(Lot.previous_lot_id == previous.id)):
        raise Conflict("lot.already_reopened", "该项目已经重新挂牌。", "This lot has already been re-opened.")
    price = data.get("price_fen")
    if price is not None and price >= previous.price_fen:
        raise _bad("not_lower", f"重新挂牌价须低于上次挂牌价 {yuan_grouped(previous.price_fen)} 元。",
                   f"The new price must be below the last one (¥{yuan_grouped(previous.price_fen)}).", "price_fen")
    if price is not None and previous.floor_fen is not None and price < previous.floor_fen:
        raise _bad("below_floor", f"重新挂牌价不得低于底价 {yuan_grouped(previous.floor_fen)} 元。",
                   f"The new price may not be below the floor of ¥{yuan_grouped(previous.floor_fen)}.", "price_fen")
    lot = open_lot(session, user, previous.listing, data, at=at, previous=previous)
    lot_ledger(session, previous, "REOPENED", at=at, actor=user, new_lot_id=lot.id, amount_fen=lot.price_fen)
    return lot


def withdraw_lot(session: Session, user: User, lot: Lot, reason: str, *, at: datetime) -> Lot:
    """撤牌: before bidding starts, or after no sale; every deposit goes back."""
    require_lot_manager(user, lot)
    lock_lot(session, lot)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise _bad("reason", "请说明撤牌原因（将在公告页显示）。", "Say why the lot is withdrawn (shown publicly).", "reason")
    if lot.status not in (LotStatus.OPEN, LotStatus.UNSOLD):
        raise Conflict("lot.cannot_withdraw", f"项目当前为“{LotStatus(lot.status).zh}”，不能撤牌。",
                       f"The lot is {LotStatus(lot.status).en.lower()}; it cannot be withdrawn.")
    for registration in lot.registrations:
        release_deposit(session, lot, registration, at=at, actor=user, reason=f"撤牌 / withdrawn: {reason}")
    lot.status = LotStatus.WITHDRAWN
    lot_ledger(session, lot, "WITHDRAWN", at=at, actor=user, reason=reason)
    return lot


def qualified_bidders(lot: Lot) -> list:
    return [r for r in lot.registrations if is_qualified_bidder(lot, r)]


def settle_lot(session: Session, lot: Lot, *, at: datetime) -> str | None:
    """The end of one lot's disclosure period: what became of it (None while it goes on)."""
    lock_lot(session, lot)
    if lot.status != LotStatus.OPEN or lot.registration_closes_at > at:
        return None
    qualified = qualified_bidders(lot)
    if not qualified:
        no_sale(session, lot, at=at, reason="公告期满，无合格意向受让方 / no qualified buyer when the period ended")
        return LotStatus.UNSOLD
    if lot.method == LotMethod.LISTING and len(qualified) == 1:
        award(session, lot, qualified[0], lot.price_fen, at=at)
        return LotStatus.AWARDED
    # Two or more qualified buyers (or an auction): competitive bidding, market.deals.exchange.bidding.
    bidding.start_bidding(session, lot, at=at)
    return LotStatus.BIDDING


def settle_due_lots(session: Session, *, at: datetime) -> dict[int, str]:
    """Settle every lot whose period or bidding has ended; the daily job and the lot pages both call it."""
    due = list(session.scalars(select(Lot).where(Lot.status == LotStatus.OPEN, Lot.registration_closes_at <= at)
                               .order_by(Lot.id)))
    outcome = {}
    for lot in due:
        try:
            with session.begin_nested():
                result = settle_lot(session, lot, at=at)
        except DomainError as refused:
            # The award itself was refused (the patent's rights went to another deal meanwhile, the
            # patent lapsed): the lot ends without a sale, with the reason, and every deposit goes back.
            log.warning("lot %s could not be awarded: %s", lot.id, refused.code)
            with session.begin_nested():
                no_sale(session, lot, at=at, reason=f"{refused.message('zh')} / {refused.message('en')}")
            result = LotStatus.UNSOLD
        if result:
            outcome[lot.id] = result
    closing = list(session.scalars(select(Lot).where(Lot.status == LotStatus.BIDDING, Lot.bidding_closes_at <= at)
                                   .order_by(Lot.id)))
    for lot in closing:
        bidding.close_bidding(session, lot, at=at)
        outcome[lot.id] = lot.status
    return outcome
