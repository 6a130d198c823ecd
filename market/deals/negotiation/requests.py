"""Requests, offers, counter-offers and acceptance of negotiated deals (domain.md §3.4–3.6). Never commits.

A deal starts NEGOTIATING when an enterprise asks for it (from a listing or a match); the
parties exchange offers; the party that did not make the latest open offer may accept it, and
the deal becomes AGREED on those terms. Agreement is where rights are taken: a sole or exclusive
licence holds its period on the patent, a transfer or equity deal holds the patent itself, and
the database refuses a second holder, however many requests arrive at once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.accounts.models import User
from market.accounts.permissions import require_buyer
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.i18n import article
from market.core.time import today_local
from market.deals import claims, ledger
from market.deals.approvals import AGREEMENT, CO_OWNER_CONSENT
from market.deals.models import Deal, DealPatent, Offer, PatentClaim
from market.deals.negotiation.common import assign_reference, other_org_id, tell
from market.deals.negotiation.contract import prior_licences
from market.deals.negotiation.steps import required
from market.deals.negotiation.terms import Terms, clean_terms, deal_kind, require_patent_fit
from market.deals.permissions import require
from market.deals.vocabulary import EXCLUSIVE_KINDS, LICENCE_KINDS, OWNERSHIP_KINDS, ClaimGroup, DealKind, LedgerEvent
from market.deals.vocabulary import DealStatus as S

OPEN, ACCEPTED, SUPERSEDED, DECLINED, WITHDRAWN = "OPEN", "ACCEPTED", "SUPERSEDED", "DECLINED", "WITHDRAWN"
TERM_KEYS = ("price_fen", "fee_terms", "start_date", "end_date", "territory", "field_of_use",
             "sublicense_allowed", "share_pct")


def lock_members(patents: list) -> None:
    """Lock every patent a deal covers, in id order so two package deals cannot deadlock."""
    for patent_id in sorted({p.id for p in patents}):
        claims.lock_patent(patent_id)


def _not_negotiating(deal: Deal) -> Conflict:
    status = S(deal.status)
    return Conflict("deal.not_negotiating", f"交易当前为“{status.zh}”，不能再报价或接受报价。",
                    f"The deal is “{status.en}”; offers can no longer be made or accepted.")


def _check_listing(user: User, listing: Listing, kind: DealKind) -> None:
    require_buyer(user)
    if listing.status != ListingStatus.PUBLISHED:
        if listing.published_at is None:  # never on the shelf: it does not exist for buyers
            raise NotFound("listing_not_found", "挂牌不存在", "No such listing", field="listing_id")
        raise Conflict("deal.not_on_shelf", "该专利目前不在货架上，不能发起交易。", "This patent is not on the shelf now.")
    if listing.organisation_id == user.organisation_id:
        raise DomainError("deal.own_listing", "不能对本机构的挂牌发起交易。",
                          "You cannot ask your own organisation for a deal.")
    if kind not in listing.modes:
        raise DomainError("deal.mode_not_offered", f"该挂牌不提供“{kind.zh}”。",
                          f"The listing does not offer a {kind.en.lower()}.", field="kind")
    if user.organisation_id in {o.organisation_id for p in listing.members for o in p.owners}:
        raise DomainError("deal.buyer_is_patentee", "贵单位已是该专利的专利权人之一。",
                          "Your organisation is already a patentee of this patent.")


def _check_rights_free(patent_id: int, kind: DealKind, start: date, end: date | None) -> None:
    """Refuse early what agreement would refuse: a right already held that this deal needs."""
    if kind in OWNERSHIP_KINDS or kind in EXCLUSIVE_KINDS:
        group = ClaimGroup.OWNERSHIP if kind in OWNERSHIP_KINDS else ClaimGroup.EXCLUSIVITY
        held = claims.active_claims(patent_id, group, start, end or claims.FOREVER)
        if held:
            raise claims.conflict_error(held[0], group)
    transferred = db.session.scalar(select(PatentClaim.id).where(
        PatentClaim.patent_id == patent_id, PatentClaim.claim_group == ClaimGroup.OWNERSHIP,
        PatentClaim.active.is_(True), PatentClaim.transferred.is_(True)))
    if transferred:
        raise claims.conflict_error(None, ClaimGroup.OWNERSHIP)


def _open_declaration_blocks(patent_id: int, kind: DealKind) -> None:
    """R-OL-7: while an open licence is announced, no sole or exclusive licence may even be asked for."""
    if kind not in EXCLUSIVE_KINDS:
        return
    today = today_local()
    held = db.session.scalar(select(PatentClaim).where(
        PatentClaim.patent_id == patent_id, PatentClaim.claim_group == ClaimGroup.EXCLUSIVITY,
        PatentClaim.active.is_(True), PatentClaim.declaration_id.is_not(None), PatentClaim.ends_on >= today))
    if held is not None:
        raise claims.conflict_error(held, ClaimGroup.EXCLUSIVITY)


def _new_deal(user: User, listing: Listing, kind: DealKind, message: str, demand=None, inquiry=None) -> Deal:
    deal = Deal(kind=kind.value, status=S.NEGOTIATING, patent_id=listing.patent_id, patent=listing.patent,
                listing_id=listing.id, listing=listing, seller_org_id=listing.organisation_id,
                buyer_org_id=user.organisation_id, point_id=listing.point_id,
                # The listing's label is kept for the record; the price the parties now negotiate is an
                # agreement price whatever it says (only the platform's listing/auction sets another).
                pricing_method=listing.pricing_method, price_formed_by=AGREEMENT, requested_by_id=user.id,
                demand_id=getattr(demand, "id", None), inquiry_id=getattr(inquiry, "id", None),
                fee_terms={}, valuation={}, approvals={})
    # A package deal covers the patents the package holds now, whatever the listing later becomes.
    deal.further_patents = [DealPatent(patent=m.patent, position=m.position) for m in listing.further_members]
    db.session.add(deal)
    db.session.flush()
    assign_reference(deal)
    ledger.append(deal, LedgerEvent.REQUESTED, actor=user, note=message,
                  evidence={"listing_id": listing.id, "kind": kind.value,
                            **({"patents": [p.application_number for p in listing.members]}
                               if listing.is_package else {}),
                            **({"demand_id": demand.id} if demand is not None else {}),
                            **({"inquiry_id": inquiry.id} if inquiry is not None else {})})
    return deal


def request_deal(user: User, listing: Listing, kind: str | None, *, terms: dict | None = None,
                 message: str = "", demand=None, inquiry=None) -> Deal:
    """An enterprise asks for a licence, transfer or equity deal on a listing (or from a match)."""
    kind = deal_kind(kind)
    _check_listing(user, listing, kind)
    if demand is not None and demand.organisation_id != user.organisation_id:
        raise Forbidden("deal.not_your_demand", "只能从本机构的需求发起交易。", "Use one of your own demands.")
    patent = listing.patent
    for member in listing.members:  # a package: every patent it sells must allow the deal
        require_patent_fit(kind, member)
        _open_declaration_blocks(member.id, kind)
        if kind in OWNERSHIP_KINDS:
            _check_rights_free(member.id, kind, today_local(), None)
    message = (message or "").strip()[:2000]
    proposed = None
    if terms and any(terms.get(k) not in (None, "", {}, False) for k in TERM_KEYS):
        proposed = clean_terms(kind, patent, terms, complete=False)
    already = db.session.scalar(select(Deal.id).where(
        Deal.listing_id == listing.id, Deal.buyer_org_id == user.organisation_id, Deal.kind == kind.value,
        Deal.status == S.NEGOTIATING))
    if already:
        raise Conflict("deal.already_requested", "您已就此专利发起过同类交易，正在洽谈中。",
                       "You already have this kind of deal under negotiation for this patent.")
    deal = _new_deal(user, listing, kind, message, demand, inquiry)
    if proposed is not None:
        _add_offer(user, deal, proposed, message)
    tell(deal.seller_org_id, deal, "requested",
         f"{user.organisation.name} 希望以{kind.zh}方式洽谈", f"{user.organisation.name} asks for {article(kind.en)}",
         body=(message[:300], message[:300]))
    return deal


def open_offer(deal: Deal) -> Offer | None:
    """The offer on the table (the latest still open), if any."""
    return next((o for o in reversed(deal.offers) if o.status == OPEN), None)


def _add_offer(user: User | None, deal: Deal, terms: Terms, message: str, *, from_org_id: int | None = None) -> Offer:
    for earlier in deal.offers:
        if earlier.status == OPEN:
            earlier.status = SUPERSEDED
    offer = Offer(deal_id=deal.id, from_org_id=from_org_id or user.organisation_id,
                  by_user_id=getattr(user, "id", None), message=message, status=OPEN,
                  **terms.as_offer_fields())
    db.session.add(offer)
    deal.offers.append(offer)
    db.session.flush()
    ledger.append(deal, LedgerEvent.OFFER, amount_fen=terms.price_fen, actor=user,
                  actor_org_id=offer.from_org_id, note=message,
                  evidence={"offer_id": offer.id, "counter": len(deal.offers) > 1})
    return offer


def make_offer(user: User, deal: Deal, raw_terms: dict, message: str = "") -> Offer:
    """An offer or counter-offer; it replaces whatever offer was on the table."""
    require(user, deal)
    if deal.status != S.NEGOTIATING:
        raise _not_negotiating(deal)
    terms = clean_terms(deal.kind, deal.patent, raw_terms, complete=False)
    if terms == Terms() and not message.strip():
        raise DomainError("deal.offer_empty", "请填写报价条件或留言。", "Give some terms or a message.", field="price_fen")
    offer = _add_offer(user, deal, terms, (message or "").strip()[:2000])
    tell(other_org_id(deal, user.organisation_id), deal, "offer", "收到新的报价", "A new offer arrived",
         body=(offer.message[:300], offer.message[:300]))
    return offer


def post_message(user: User, deal: Deal, text: str) -> None:
    require(user, deal)
    text = (text or "").strip()
    if not text:
        raise DomainError("deal.message_empty", "请填写留言内容。", "Write a message.", field="message")
    if deal.status in (S.VOID, S.DECLINED, S.CANCELLED):
        raise Conflict("deal.closed", "交易已结束，不能再留言。", "The deal is closed.")
    ledger.append(deal, LedgerEvent.MESSAGE, actor=user, note=text[:2000])
    tell(other_org_id(deal, user.organisation_id), deal, "message", "收到新留言", "A new message", body=(text[:300],) * 2)


def accept_offer(user: User, deal: Deal, offer_id: int | None = None) -> Deal:
    """Accept the offer on the table; only the party that did not make it may."""
    require(user, deal)
    lock_members(deal.members)
    # What the deal looked like before the lock may be stale: a double click's first request won.
    db.session.refresh(deal)
    if deal.status != S.NEGOTIATING:
        raise _not_negotiating(deal)
    offer = open_offer(deal)
    if offer is None or (offer_id is not None and offer.id != offer_id):
        raise Conflict("deal.offer_superseded", "该报价已被新的报价取代或已失效，请查看最新报价。",
                       "That offer has been replaced or withdrawn; look at the latest one.")
    if offer.from_org_id == user.organisation_id:
        raise Conflict("deal.own_offer", "这是贵方提出的报价，须由对方接受。",
                       "You made this offer; the other party accepts it.")
    terms = clean_terms(deal.kind, deal.patent, {k: getattr(offer, k) for k in TERM_KEYS}, complete=True)
    return _agree(user, deal, offer, terms)


def accept_listed_terms(user: User, listing: Listing, kind: str | None, *, start_date: date | None = None,
                        end_date: date | None = None, message: str = "", demand=None) -> Deal:
    """Take a fixed-price listing on its listed terms: request and acceptance in one step."""
    kind = deal_kind(kind)
    _check_listing(user, listing, kind)
    if listing.price_negotiable or listing.asking_price_fen is None:
        raise Conflict("deal.price_negotiable", "该挂牌价格面议，请发起洽谈并报价。",
                       "This listing's price is negotiable; request a deal and make an offer.")
    if kind == DealKind.EQUITY:
        raise Conflict("deal.equity_negotiated", "作价投资须就股权比例洽谈，请发起洽谈。",
                       "An equity investment needs the share agreed; request a deal and negotiate.")
    patent = listing.patent
    # Everyone taking this patent's rights queues here; the winner's claim is visible to the next.
    lock_members(listing.members)
    for member in listing.members:
        require_patent_fit(kind, member)
    raw = {"price_fen": listing.asking_price_fen}
    if kind in LICENCE_KINDS:
        raw.update(start_date=start_date or today_local(), end_date=end_date or patent.last_protected_day)
    terms = clean_terms(kind, patent, raw, complete=True)
    for member in listing.members:
        _check_rights_free(member.id, kind, terms.start_date or today_local(), terms.end_date)
    deal = _new_deal(user, listing, kind, (message or "").strip()[:2000], demand)
    offer = _add_offer(None, deal, terms, "挂牌条件 / listed terms", from_org_id=listing.organisation_id)
    return _agree(user, deal, offer, terms)


def take_rights(deal: Deal, kind: DealKind, terms: Terms, today: date) -> None:
    """The exclusivity or ownership claims of an agreed deal, on every patent it covers."""
    # Rights first, on every patent of a package: if another deal holds one, nothing below happens
    # (all are looked at before any is taken, so a refusal names the patent and leaves no claim).
    for member in deal.members:
        require_patent_fit(kind, member)
        if kind in EXCLUSIVE_KINDS or kind in OWNERSHIP_KINDS:
            group = ClaimGroup.OWNERSHIP if kind in OWNERSHIP_KINDS else ClaimGroup.EXCLUSIVITY
            starts = today if kind in OWNERSHIP_KINDS else terms.start_date
            held = claims.active_claims(member.id, group, starts, (terms.end_date if kind in EXCLUSIVE_KINDS
                                                                   else None) or claims.FOREVER)
            if held:
                err = claims.conflict_error(held[0], group)
                raise type(err)(err.code, f"专利 {member.application_number}：{err.zh}",
                                f"Patent {member.application_number}: {err.en}") if deal.is_package else err
    for member in deal.members:
        if kind in EXCLUSIVE_KINDS:
            claims.take(member.id, ClaimGroup.EXCLUSIVITY, kind.value, starts_on=terms.start_date,
                        ends_on=terms.end_date, deal_id=deal.id)
        elif kind in OWNERSHIP_KINDS:
            claims.take(member.id, ClaimGroup.OWNERSHIP, kind.value, starts_on=today, deal_id=deal.id,
                        from_org_id=deal.seller_org_id)


def _agree(user: User, deal: Deal, offer: Offer, terms: Terms) -> Deal:
    kind = DealKind(deal.kind)
    today = today_local()
    take_rights(deal, kind, terms, today)
    deal.price_fen = terms.price_fen
    deal.fee_terms = dict(terms.fee_terms or {})
    deal.start_date, deal.end_date = terms.start_date, terms.end_date
    deal.territory, deal.field_of_use = terms.territory, terms.field_of_use
    deal.sublicense_allowed = terms.sublicense_allowed
    deal.share_pct = terms.share_pct
    deal.agreed_at = utcnow()
    offer.status = ACCEPTED
    ledger.move(deal, S.AGREED, LedgerEvent.ACCEPTED, amount_fen=terms.price_fen, actor=user,
                evidence={"offer_id": offer.id})
    if kind in OWNERSHIP_KINDS:
        deal.approvals = {**(deal.approvals or {}), "prior_licences": prior_licences(deal)}
        close_other_requests(deal, user)
    tell(other_org_id(deal, user.organisation_id), deal, "agreed", "双方已就条件达成一致，请办理审批与签约",
         "The terms are agreed; approvals and signature are next")
    _ask_co_owners(deal)
    return deal


def _ask_co_owners(deal: Deal) -> None:
    """R-LC-4 / R-TR-3: co-owners on the platform are asked for the consent the deal needs."""

    if CO_OWNER_CONSENT not in required(deal):
        return
    for owner in deal.patent.owners:
        if owner.organisation_id and owner.organisation_id not in (deal.seller_org_id, deal.buyer_org_id):
            tell(owner.organisation_id, deal, "consent_needed", "作为共有人，请确认是否同意本交易",
                 "As a co-owner, please say whether you consent to this deal")


def close_other_requests(deal: Deal, user: User | None) -> list[Deal]:
    """A transfer or equity deal that binds ends the patent's other negotiations (their buyers are told)."""
    ids = [p.id for p in deal.members]
    others = list(db.session.scalars(select(Deal).where(
        (Deal.patent_id.in_(ids) | Deal.further_patents.any(DealPatent.patent_id.in_(ids))),
        Deal.id != deal.id, Deal.status == S.NEGOTIATING)))
    for other in others:
        for offer in other.offers:
            if offer.status == OPEN:
                offer.status = WITHDRAWN
        ledger.move(other, S.CANCELLED, LedgerEvent.CANCELLED, actor=user, actor_org_id=deal.seller_org_id,
                    note=f"该专利已与他方达成{DealKind(deal.kind).zh}（{deal.reference}），本次洽谈关闭。",
                    evidence={"closed_by_deal_id": deal.id})
        tell(other.buyer_org_id, other, "closed", "专利权人已与他方达成转让或作价投资，本次洽谈已关闭",
             "The patentee agreed a transfer or equity deal with someone else; this negotiation is closed")
    return others


def decline(user: User, deal: Deal, reason: str = "") -> Deal:
    """A party ends a negotiation without agreement."""
    require(user, deal)
    reason = (reason or "").strip()[:500]
    ledger.move(deal, S.DECLINED, LedgerEvent.DECLINED, actor=user, note=reason)
    for offer in deal.offers:
        if offer.status == OPEN:
            offer.status = DECLINED
    tell(other_org_id(deal, user.organisation_id), deal, "declined", "对方结束了洽谈", "The other party declined",
         body=(reason, reason))
    return deal


def cancel(user: User, deal: Deal, reason: str) -> Deal:
    """A party calls off a deal before signature; whatever right it held is released."""
    require(user, deal)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请说明取消的原因。", "Say why the deal is cancelled.", field="reason")
    ledger.move(deal, S.CANCELLED, LedgerEvent.CANCELLED, actor=user, note=reason)
    for offer in deal.offers:
        if offer.status == OPEN:
            offer.status = WITHDRAWN
    claims.release(deal_id=deal.id)
    tell(other_org_id(deal, user.organisation_id), deal, "cancelled", "对方取消了交易", "The other party cancelled",
         body=(reason, reason))
    return deal
