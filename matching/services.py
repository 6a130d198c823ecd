"""Demands and what enterprises do with their matches. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from listings.industries import all_industries
from listings.models import Listing
from listings.vocabulary import DealMode, ListingStatus
from market.accounts.models import User
from market.accounts.permissions import require_approved_org, require_buyer
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.i18n import article
from market.core.notifications import notify
from market.core.outbox import enqueue
from market.deals.hooks import own_demand
from market.deals.negotiation import request_deal as open_deal
from market.deals.vocabulary import NEGOTIATED_KINDS
from matching.models import Demand, Inquiry, MatchFeedback
from matching.vocabulary import DemandStatus, DismissReason, InquiryStatus, MatchState, Visibility

TOPIC_DEMAND = "match.demand"
DEMAND_TRANSITIONS = {
    (DemandStatus.OPEN, DemandStatus.MATCHED), (DemandStatus.OPEN, DemandStatus.CLOSED),
    (DemandStatus.OPEN, DemandStatus.WITHDRAWN), (DemandStatus.MATCHED, DemandStatus.CLOSED),
    (DemandStatus.MATCHED, DemandStatus.OPEN), (DemandStatus.MATCHED, DemandStatus.WITHDRAWN),
}
# Where a patentee's listing offers this mode, an enterprise may ask for it.
REQUESTABLE = tuple(DealMode)


def sees_patentee_demands(user: User | None) -> bool:
    """"Only to patentees" means organisations with patents on the shelves (and the chain's staff),
    not every enterprise that could list one some day."""
    if user is None or not user.organisation.is_approved:
        return False
    org = user.organisation
    if org.is_point_operator or org.is_bureau:
        return True
    return db.session.scalar(select(Listing.id).where(
        Listing.organisation_id == org.id, Listing.status == ListingStatus.PUBLISHED).limit(1)) is not None


def can_view_demand(user: User | None, demand: Demand) -> bool:
    if user is not None and user.organisation_id == demand.organisation_id:
        return True
    if demand.status == DemandStatus.WITHDRAWN:
        return False
    if demand.visibility == Visibility.PUBLIC:
        return True
    if demand.visibility == Visibility.PATENTEES:
        return sees_patentee_demands(user)
    return False


def owns_demand(user: User | None, demand: Demand) -> bool:
    return user is not None and user.organisation_id == demand.organisation_id


def get_demand(demand_id: int, user: User | None) -> Demand:
    demand = db.session.get(Demand, demand_id)
    # A demand one may not see does not exist as far as one can tell.
    if demand is None or not can_view_demand(user, demand):
        raise NotFound("demand_not_found", "需求不存在", "No such demand")
    return demand


def _check(fields: dict[str, Any]) -> None:
    low, high = fields.get("budget_min_fen"), fields.get("budget_max_fen")
    if low is not None and high is not None and low > high:
        raise DomainError("budget_range", "预算下限不能高于上限", "The budget minimum is above the maximum",
                          field="budget_min_fen")

    unknown = [i for i in fields.get("industries") or [] if i not in all_industries()]
    if unknown:
        raise DomainError("unknown_industry", f"未知的产业类别：{'、'.join(unknown)}",
                          f"Unknown industry: {', '.join(unknown)}", field="industries")


def post_demand(user: User, fields: dict[str, Any]) -> Demand:
    require_approved_org(user)
    _check(fields)
    demand = Demand(organisation_id=user.organisation_id, created_by_id=user.id, status=DemandStatus.OPEN,
                    **fields)
    db.session.add(demand)
    enqueue(db.session(), TOPIC_DEMAND, demand)  # match it against the shelves after commit
    return demand


def update_demand(user: User, demand: Demand, fields: dict[str, Any]) -> Demand:
    if not owns_demand(user, demand):
        raise Forbidden("not_your_demand", "只能修改本机构的需求", "You can only edit your own demands")
    if demand.status not in (DemandStatus.OPEN, DemandStatus.MATCHED):
        raise Conflict("demand_closed", "已关闭或撤回的需求不能修改", "A closed or withdrawn demand cannot be edited")
    _check(fields)
    for key, value in fields.items():
        setattr(demand, key, value)
    enqueue(db.session(), TOPIC_DEMAND, demand)
    return demand


def set_demand_status(user: User, demand: Demand, status: str) -> Demand:
    if not owns_demand(user, demand):
        raise Forbidden("not_your_demand", "只能操作本机构的需求", "You can only change your own demands")
    to = DemandStatus(status)
    if (DemandStatus(demand.status), to) not in DEMAND_TRANSITIONS:
        frm = DemandStatus(demand.status)
        raise Conflict("illegal_transition", f"需求状态不能从“{frm.zh}”变为“{to.zh}”",
                       f"A demand cannot go from {frm.en} to {to.en}")
    demand.status = to
    return demand


def _feedback(demand: Demand, listing_id: int) -> MatchFeedback:
    feedback = db.session.scalar(select(MatchFeedback).where(
        MatchFeedback.demand_id == demand.id, MatchFeedback.listing_id == listing_id))
    if feedback is None:
        listing = db.session.get(Listing, listing_id) if 0 < listing_id < 2**31 else None
        # A new match is with a listing on the shelf; another's unpublished listing does not exist here.
        if listing is None or listing.status != ListingStatus.PUBLISHED:
            raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
        feedback = MatchFeedback(demand_id=demand.id, listing_id=listing_id)
        db.session.add(feedback)
    return feedback


def save_match(user: User, demand: Demand, listing_id: int) -> MatchFeedback:
    if not owns_demand(user, demand):
        raise Forbidden("not_your_demand", "只能操作本机构的需求", "You can only act on your own demands")
    feedback = _feedback(demand, listing_id)
    feedback.state, feedback.reason, feedback.reason_text, feedback.user_id = MatchState.SAVED, None, "", user.id
    return feedback


def dismiss_match(user: User, demand: Demand, listing_id: int, reason: str, text: str = "") -> MatchFeedback:
    """The enterprise says why a match is not useful; that patent will not be proposed again."""
    if not owns_demand(user, demand):
        raise Forbidden("not_your_demand", "只能操作本机构的需求", "You can only act on your own demands")
    if reason not in DismissReason.__members__:
        raise DomainError("bad_reason", "请选择不合适的原因", "Choose why the match does not fit", field="reason")
    if reason == DismissReason.OTHER and not text.strip():
        raise DomainError("reason_text_required", "选择“其他”时请说明原因", "Say why when choosing “other”",
                          field="reason_text")
    feedback = _feedback(demand, listing_id)
    feedback.state, feedback.reason, feedback.reason_text = MatchState.DISMISSED, reason, text.strip()[:500]
    feedback.user_id = user.id
    return feedback


def excluded_listing_ids(demand: Demand) -> set[int]:
    return set(db.session.scalars(select(MatchFeedback.listing_id).where(
        MatchFeedback.demand_id == demand.id, MatchFeedback.state == MatchState.DISMISSED)))


def request_deal(user: User, listing: Listing, mode: str, message: str = "",
                 demand: Demand | None = None) -> Inquiry:
    """Start a deal from a listing or a match: a request in one of the modes the listing offers.

    A licence, transfer or equity request also opens the negotiated Deal (deal.inquiry_id points
    back here); an open licence is taken on its declared terms, so it stays a plain request.
    """
    require_buyer(user)
    if listing.status != ListingStatus.PUBLISHED:
        if listing.published_at is None:  # never on the shelf: it does not exist for buyers
            raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
        raise Conflict("not_on_shelf", "该专利目前不在货架上", "This patent is not on the shelf now")
    if listing.organisation_id == user.organisation_id:
        raise DomainError("own_listing", "不能对本机构的挂牌发起交易", "You cannot ask your own organisation for a deal")
    if mode not in listing.modes:
        raise DomainError("mode_not_offered", "该挂牌不提供此交易方式", "The listing does not offer this mode",
                          field="mode")
    if demand is not None and not owns_demand(user, demand):
        raise Forbidden("not_your_demand", "只能从本机构的需求发起", "Use one of your own demands")
    open_one = db.session.scalar(select(Inquiry.id).where(
        Inquiry.listing_id == listing.id, Inquiry.organisation_id == user.organisation_id,
        Inquiry.mode == mode, Inquiry.status == InquiryStatus.OPEN))
    if open_one:
        raise Conflict("already_requested", "您已就此专利发起过同类请求，正在等待回复",
                       "You already asked for this; the patentee has not answered yet")
    inquiry = Inquiry(listing=listing, organisation_id=user.organisation_id, user_id=user.id, mode=mode,
                      message=message.strip()[:2000], demand=demand)
    db.session.add(inquiry)
    if demand is not None:
        feedback = _feedback(demand, listing.id)
        feedback.state, feedback.user_id = MatchState.CONTACTED, user.id
        if demand.status == DemandStatus.OPEN:
            demand.status = DemandStatus.MATCHED
    if mode in NEGOTIATED_KINDS:
        # The negotiated deal grows out of the request (and notifies the patentee with its link).

        db.session.flush()
        open_deal(user, listing, mode, message=message, demand=demand, inquiry=inquiry)
        return inquiry

    mode_label = DealMode(mode)
    notify(listing.organisation_id, "deal_request",
           (f"{user.organisation.name} 希望以{mode_label.zh}方式受让/使用“{listing.patent.title}”",
            f"{user.organisation.name} asks for {article(mode_label.en)} of “{listing.patent.title}”"),
           body=(message[:300], message[:300]), link="/inquiries")
    return inquiry


def answer_inquiry(user: User, inquiry: Inquiry, reply: str, close: bool = False) -> Inquiry:
    if inquiry.listing.organisation_id != user.organisation_id:
        raise Forbidden("not_your_listing", "只能回复本机构挂牌收到的请求", "Only the patentee answers")
    if not reply.strip():
        raise DomainError("reply_required", "请填写回复内容", "Write a reply", field="reply")
    inquiry.reply = reply.strip()[:2000]
    inquiry.status = InquiryStatus.CLOSED if close else InquiryStatus.ANSWERED

    notify(inquiry.organisation_id, "deal_reply",
           (f"专利权人回复了您对“{inquiry.listing.patent.title}”的请求",
            f"The patentee answered your request on “{inquiry.listing.patent.title}”"),
           body=(inquiry.reply[:300], inquiry.reply[:300]), link="/inquiries")
    return inquiry


def dismissal_summary(organisation_id: int) -> list[tuple[str, int]]:
    """Why enterprises passed on this organisation's patents, in aggregate (no names)."""
    rows = db.session.execute(
        select(MatchFeedback.reason, func.count(MatchFeedback.id))
        .join(Listing, Listing.id == MatchFeedback.listing_id)
        .where(Listing.organisation_id == organisation_id, MatchFeedback.state == MatchState.DISMISSED)
        .group_by(MatchFeedback.reason).order_by(func.count(MatchFeedback.id).desc())).all()
    return [(reason, count) for reason, count in rows]


@own_demand.provide
def demand_of(demand_id: int, organisation_id: int) -> Demand | None:
    """The organisation's own demand, or None (another's answers like a missing one)."""
    demand = db.session.get(Demand, demand_id)
    return demand if demand is not None and demand.organisation_id == organisation_id else None
