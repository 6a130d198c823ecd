"""The listing lifecycle (domain.md §3.1): draft → submitted → published ⇄ suspended → withdrawn / dealt.

Services never commit; every transition is recorded as a ListingEvent and queues a search update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect, select

from listings.hooks import open_licence_in_effect
from listings.models import Listing, ListingEvent, Patent
from listings.search import queue_listing
from listings.vocabulary import DealMode, Encumbrance, LegalStatus, PricingMethod
from listings.vocabulary import ListingStatus as S
from market.accounts.hooks import organisation_listings
from market.accounts.models import Organisation, User
from market.accounts.permissions import can_manage_listing, can_review_listing, require_supplier
from market.accounts.points.models import Point
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.notifications import notify

# Which transitions exist, and who may make them.
TRANSITIONS = {
    (S.DRAFT, S.SUBMITTED): "owner", (S.DRAFT, S.WITHDRAWN): "owner",
    (S.SUBMITTED, S.PUBLISHED): "reviewer", (S.SUBMITTED, S.REJECTED): "reviewer",
    (S.SUBMITTED, S.DRAFT): "owner", (S.REJECTED, S.SUBMITTED): "owner",
    (S.REJECTED, S.WITHDRAWN): "owner", (S.PUBLISHED, S.SUSPENDED): "owner_or_reviewer",
    (S.PUBLISHED, S.WITHDRAWN): "owner", (S.SUSPENDED, S.PUBLISHED): "owner_or_reviewer",
    (S.SUSPENDED, S.WITHDRAWN): "owner", (S.PUBLISHED, S.DEALT): "system",
    (S.SUSPENDED, S.DEALT): "system",
}
# Fields whose change sends a published listing back to review.
REVIEWED_FIELDS = ("modes", "asking_price_fen", "price_negotiable", "pricing_method", "point_id")
EDITABLE_STATES = (S.DRAFT, S.REJECTED, S.PUBLISHED, S.SUSPENDED)
# The modes a patentee chooses; 开放许可 follows the CNIPA-announced declaration instead.
TYPED_MODES = tuple(m.value for m in DealMode if m != DealMode.OPEN_LICENSE)


def open_licence_not_typed_error(patent: Patent) -> DomainError:
    """Why 开放许可 cannot be ticked: it shows only while CNIPA's announced declaration is in effect."""
    where = f"/patents/{patent.application_number}/open-licence"
    return DomainError(
        "open_licence_not_declared",
        "“开放许可”不能手工选择：开放许可自国家知识产权局公告声明之日起生效，挂牌只在已公告的声明有效期内显示"
        f"开放许可（专利法第50条第1款，§3.2）。请通过开放许可声明助手（{where}）办理，声明公告后挂牌自动显示。",
        "“Open licence” cannot be chosen by hand: an open licence takes effect when CNIPA announces the "
        "declaration, and a listing shows it only while an announced declaration is in effect (Patent Law "
        f"art. 50(1), §3.2). Use the open-licence declaration assistant ({where}); once announced, the "
        "listing shows it by itself.", field="modes")


def derived_modes(patent: Patent, typed: list[str]) -> list[str]:
    """The modes a listing shows: what the patentee chose, plus 开放许可 while a declaration is in effect.

    A typed 开放许可 is refused unless the declaration is in effect (then it is what the listing
    shows anyway), so neither a form, the API nor an import can put it on the shelf by hand.
    """
    declared = bool(patent.id) and bool(open_licence_in_effect(patent.id))
    if DealMode.OPEN_LICENSE in typed and not declared:
        raise open_licence_not_typed_error(patent)
    modes = [m for m in typed if m != DealMode.OPEN_LICENSE]
    return [*modes, DealMode.OPEN_LICENSE.value] if declared else modes


def shelf_blockers(patent: Patent, modes: list[str]) -> list[tuple[str, str]]:
    """Why this patent cannot be on the shelf now, as (zh, en) reasons; empty if it can."""
    reasons = []
    if patent.legal_status == LegalStatus.LAPSED:
        reasons.append(("专利已失效", "the patent has lapsed"))
    flags = patent.active_flags()
    if Encumbrance.SUSPENDED in flags:
        reasons.append(("专利权处于中止状态（权属纠纷）", "the patent is suspended (ownership dispute)"))
    if Encumbrance.PRESERVED in flags:
        reasons.append(("专利权已被法院保全", "the patent is preserved by a court"))
    if patent.legal_status == LegalStatus.FEE_GRACE and DealMode.OPEN_LICENSE in modes:
        reasons.append(("年费滞纳期内不能开放许可", "no open licence during the annual-fee grace period"))
    if DealMode.OPEN_LICENSE in modes and patent.legal_status == LegalStatus.PENDING:
        reasons.append(("开放许可仅适用于已授权专利", "open licences need a granted patent"))
    if DealMode.OPEN_LICENSE in modes and patent.legal_status == LegalStatus.UNKNOWN:
        reasons.append(("法律状态未知，开放许可须先核实专利已授权且有效",
                        "the legal status is unknown: an open licence needs a patent known to be in force"))
    return reasons


def _require(listing: Listing, to: S, actor: User | None) -> None:
    frm = S(listing.status)
    who = TRANSITIONS.get((frm, to))
    if who is None:
        raise Conflict("illegal_transition", f"挂牌状态不能从“{frm.zh}”变为“{to.zh}”",
                       f"A listing cannot go from {frm.en} to {to.en}")
    if who == "system" or actor is None:
        return
    owner = can_manage_listing(actor, listing)
    reviewer = can_review_listing(actor, listing)
    allowed = {"owner": owner, "reviewer": reviewer, "owner_or_reviewer": owner or reviewer}[who]
    if not allowed:
        raise Forbidden("not_allowed", "您无权对此挂牌执行该操作", "You may not do this to this listing")


def _move(listing: Listing, to: S, actor: User | None, note: str = "") -> Listing:
    listing.events.append(ListingEvent(from_status=listing.status, to_status=to,
                                       actor_id=actor.id if actor else None, note=note[:500]))
    listing.status = to
    listing.status_note = note[:500]
    if to == S.SUBMITTED:
        listing.submitted_at = utcnow()
    if to == S.PUBLISHED and listing.published_at is None:
        listing.published_at = utcnow()
    queue_listing(listing, published=to == S.PUBLISHED)
    return listing


def _clean_offer(fields: dict[str, Any], patent: Patent, *, package: bool = False) -> dict[str, Any]:
    modes = list(dict.fromkeys(fields.get("modes") or []))
    bad = [m for m in modes if m not in DealMode.__members__]
    if bad:
        raise DomainError("unknown_mode", f"未知的交易方式：{'、'.join(bad)}", f"Unknown mode: {', '.join(bad)}",
                          field="modes")
    if package:
        if DealMode.OPEN_LICENSE in modes:
            raise DomainError("package_open_licence",
                              "专利包不能以开放许可方式挂牌：开放许可声明一件专利一份（§2），请逐件声明。",
                              "A package cannot be offered as an open licence: a declaration covers one patent "
                              "(§2); declare each patent on its own.", field="modes")
    else:
        modes = derived_modes(patent, modes)
    price = fields.get("asking_price_fen")
    negotiable = bool(fields.get("price_negotiable"))
    if price is not None and (not isinstance(price, int) or isinstance(price, bool) or price < 0):
        raise DomainError("bad_price", "价格须为不小于 0 的整数（单位：分）",
                          "The price must be a whole, non-negative number of fen", field="asking_price_fen")
    if price is None and not negotiable:
        raise DomainError("price_required", "请填写价格或选择“面议”", "Give a price or mark it negotiable",
                          field="asking_price_fen")
    method = fields.get("pricing_method") or PricingMethod.AGREEMENT
    if method not in PricingMethod.__members__:
        raise DomainError("bad_pricing_method", "定价方式无效", "Unknown pricing method", field="pricing_method")
    out = {"modes": modes, "asking_price_fen": price, "price_negotiable": negotiable,
           "pricing_method": method}
    for key in ("problem_solved", "advantages", "applications", "maturity"):
        if key in fields:
            out[key] = fields[key] or ("" if key != "maturity" else None)
    return out


def _point(point_id: int | None) -> Point:
    point = db.session.get(Point, point_id) if point_id else None
    if point is None:
        raise DomainError("point_required", "请选择挂牌网点", "Choose the point this listing belongs to",
                          field="point_id")
    return point


def hold_shelf(patents: list[Patent]) -> None:
    """Queue every request putting these patents on the shelf, then let it see the latest listings.

    A patent has one live listing, as lead or as a package member; the partial unique index covers
    only the lead, so two packages (or a package and a single listing) sharing a member made at the
    same moment would both pass the check below. The patents' row locks (PostgreSQL; SQLite has one
    writer), in id order so two overlapping requests cannot deadlock, make the second wait until
    the first commits; its check then sees the first listing and refuses with words, not a 500.
    """
    ids = sorted({p.id for p in patents if p.id is not None})
    if not ids:
        return
    db.session.execute(select(Patent.id).where(Patent.id.in_(ids)).order_by(Patent.id).with_for_update())
    for patent in patents:
        if not inspect(patent).persistent:
            continue
        # Loaded before the lock, these may predate the listing the first request just committed.
        db.session.expire(patent, ["listings", "package_memberships"])


def create_listing(actor: User | None, patent: Patent, organisation: Organisation,
                   fields: dict[str, Any], *, package: bool = False) -> Listing:
    hold_shelf([patent])
    if actor is not None:
        require_supplier(actor)
        if actor.organisation_id != organisation.id:
            raise Forbidden("not_your_org", "只能为本机构挂牌", "You can only list for your own organisation")
    if organisation.id not in {o.organisation_id for o in patent.owners}:
        raise Forbidden("not_owner", "只有专利权人可以挂牌该专利", "Only a patentee can list this patent")
    if patent.live_listing is not None:
        raise Conflict("already_listed", "该专利已有挂牌，请编辑现有挂牌", "This patent is already listed; edit that listing",
                       field="application_number")
    offer = _clean_offer(fields, patent, package=package)
    listing = Listing(patent=patent, organisation=organisation, point=_point(fields.get("point_id")),
                      created_by_id=actor.id if actor else None, status=S.DRAFT, **offer)
    listing.events.append(ListingEvent(from_status=None, to_status=S.DRAFT,
                                       actor_id=actor.id if actor else None))
    db.session.add(listing)
    return listing


def update_listing(actor: User, listing: Listing, fields: dict[str, Any]) -> Listing:
    if not can_manage_listing(actor, listing):
        raise Forbidden("not_owner", "只能修改本机构的挂牌", "You can only edit your own organisation's listings")
    if listing.status not in EDITABLE_STATES:
        raise Conflict("not_editable", f"“{S(listing.status).zh}”状态的挂牌不能修改",
                       f"A {S(listing.status).en} listing cannot be edited")
    offer = _clean_offer(fields, listing.patent, package=listing.is_package)
    point = _point(fields.get("point_id") or listing.point_id)
    changed = [k for k in REVIEWED_FIELDS
               if (point.id if k == "point_id" else offer.get(k)) != getattr(listing, k)]
    for key, value in offer.items():
        setattr(listing, key, value)
    listing.point = point
    if listing.status == S.PUBLISHED and changed:
        # Modes, price and point are what the point operator vetted: they go back to review.
        _move(listing, S.SUBMITTED, actor, "修改了交易方式/价格/网点，重新审核")
    else:
        queue_listing(listing)
    return listing


def submit_listing(actor: User, listing: Listing) -> Listing:
    _require(listing, S.SUBMITTED, actor)
    require_supplier(actor)
    if not listing.modes:
        raise DomainError("modes_required", "请至少选择一种交易方式", "Choose at least one mode", field="modes")
    _refuse_blocked(listing)
    return _move(listing, S.SUBMITTED, actor)


def recall_listing(actor: User, listing: Listing) -> Listing:
    """The owner takes a submitted listing back to draft before the point has reviewed it."""
    _require(listing, S.DRAFT, actor)
    return _move(listing, S.DRAFT, actor)


def _refuse_blocked(listing: Listing) -> None:
    blockers = []
    for patent in listing.members:
        # In a package every patent must be fit for the shelf; say which one is not.
        named = listing.is_package
        blockers += [(f"{patent.application_number}：{zh}" if named else zh, f"{patent.application_number}: {en}"
                      if named else en) for zh, en in shelf_blockers(patent, listing.modes)]
    if blockers:
        raise Conflict("patent_blocked", "不能上架：" + "；".join(b[0] for b in blockers),
                       "Cannot be on the shelf: " + "; ".join(b[1] for b in blockers))


def review_listing(actor: User, listing: Listing, *, approve: bool, note: str = "") -> Listing:
    to = S.PUBLISHED if approve else S.REJECTED
    _require(listing, to, actor)
    if approve:
        _refuse_blocked(listing)
    elif not note.strip():
        raise DomainError("note_required", "驳回时请说明理由", "Say why the listing is rejected", field="note")
    listing.reviewed_at = utcnow()
    listing.reviewed_by_id = actor.id
    _move(listing, to, actor, note)
    if not approve:
        _tell_lister_of_rejection(listing, note.strip())
    return listing


def _tell_lister_of_rejection(listing: Listing, note: str) -> None:
    """The review form promises the lister the reason: in the inbox, and by e-mail through the outbox."""
    title = listing.patent.title
    notify(listing.organisation_id, "listing_rejected",
           (f"挂牌“{title}”未通过网点审核", f"Your listing “{title}” was not approved by the point"),
           body=(f"驳回理由：{note}。修改后可重新提交审核。", f"Reason: {note}. You may change it and submit it again."),
           link=f"/listings/{listing.id}/edit")


def each_listing(listings: list[Listing], act: Callable[[Listing], object]) -> list[Listing]:
    """Apply `act` to every listing, or refuse naming the one that stopped the batch.

    The caller's one commit keeps all or (after the refusal rolls back) none of the batch.
    """
    if not listings:
        raise DomainError("nothing_chosen", "请先勾选挂牌", "Tick some listings first", field="listing_ids")
    for listing in listings:
        try:
            act(listing)
        except DomainError as err:
            raise type(err)(err.code, f"“{listing.patent.title}”：{err.zh}（本批均未执行，请取消勾选该项后重试）",
                            f"“{listing.patent.title}”: {err.en} (nothing of the batch was done; untick it and "
                            f"try again)", field="listing_ids", status=err.status) from err
    return listings


def review_listings(actor: User, listings: list[Listing]) -> list[Listing]:
    """Approve several submitted listings at once: all of them, or (on any refusal) none."""
    return each_listing(listings, lambda listing: review_listing(actor, listing, approve=True))


def publish_without_review(listing: Listing, note: str) -> Listing:
    """For trusted bulk imports run from the command line (`--publish`)."""
    if listing.status == S.PUBLISHED:
        return listing
    _refuse_blocked(listing)
    listing.reviewed_at = utcnow()
    listing.events.append(ListingEvent(from_status=listing.status, to_status=S.PUBLISHED, note=note))
    listing.status = S.PUBLISHED
    listing.published_at = listing.published_at or utcnow()
    queue_listing(listing, published=True)
    return listing


def suspend_listing(actor: User | None, listing: Listing, reason: str) -> Listing:
    _require(listing, S.SUSPENDED, actor)
    return _move(listing, S.SUSPENDED, actor, reason)


def resume_listing(actor: User, listing: Listing) -> Listing:
    _require(listing, S.PUBLISHED, actor)
    _refuse_blocked(listing)
    return _move(listing, S.PUBLISHED, actor)


def withdraw_listing(actor: User, listing: Listing, reason: str = "") -> Listing:
    _require(listing, S.WITHDRAWN, actor)
    return _move(listing, S.WITHDRAWN, actor, reason)


def enforce_shelf_rules(patent: Patent) -> list[Listing]:
    """Suspend the published listings of a patent that can no longer be on the shelf."""
    suspended = []
    for listing in [*patent.listings, *(m.listing for m in patent.package_memberships)]:
        if listing.status != S.PUBLISHED:
            continue
        blockers = shelf_blockers(patent, listing.modes)
        if blockers:
            _move(listing, S.SUSPENDED, None, "法律状态变更自动暂停：" + "；".join(b[0] for b in blockers))
            suspended.append(listing)
    return suspended


def get_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("listing_not_found", "挂牌不存在", "No such listing")
    return listing


@organisation_listings.provide
def published_listings_of(org_id: int, limit: int = 50) -> list[Listing]:
    return list(db.session.scalars(select(Listing).where(
        Listing.organisation_id == org_id, Listing.status == S.PUBLISHED)
        .order_by(Listing.published_at.desc()).limit(limit)))


def deal_listing(listing: Listing, note: str) -> Listing:
    """A transfer or equity deal moved the patent to its buyer: the listing leaves the shelf as dealt."""
    _require(listing, S.DEALT, None)
    return _move(listing, S.DEALT, None, note)
