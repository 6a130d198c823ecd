"""Who may see a deal and who may act on it.

A deal is visible to its two parties, to the operator of the point it is credited to and to the
bureau (both read-only), and to the patent's other co-owners, who may only give their consent.
Everyone else is told it does not exist (404, so ids do not leak); someone who can see a deal
but may not do a thing to it gets 403.
"""

from __future__ import annotations

from market.accounts.models import User
from market.accounts.permissions import is_bureau
from market.core.errors import Forbidden, NotFound
from market.core.extensions import db
from market.deals.models import Deal

SELLER, BUYER, OPERATOR, BUREAU, CO_OWNER = "seller", "buyer", "operator", "bureau", "co_owner"
PARTY = "party"
MAX_ID = 2**31 - 1


def role_of(user: User | None, deal: Deal) -> str | None:
    """The part `user` plays in `deal`, the strongest first; None if it may not see it."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    org_id = user.organisation_id
    side = deal.party_of(org_id)
    if side:
        return side
    if deal.point is not None and deal.point.operator_id == org_id:
        return OPERATOR
    if is_bureau(user):
        return BUREAU
    if org_id in {o.organisation_id for o in deal.patent.owners}:
        return CO_OWNER
    return None


def deal_for(user: User | None, deal_id: int) -> Deal:
    """The deal if `user` may see it, else NotFound (the same answer as for a missing id)."""
    deal = db.session.get(Deal, deal_id) if 0 < deal_id <= MAX_ID else None
    if deal is None or role_of(user, deal) is None:
        raise NotFound("deal_not_found", "交易不存在", "No such deal")
    return deal


def can_act(user: User | None, deal: Deal, side: str = PARTY) -> bool:
    """May `user` act for `side` (seller, buyer, or either party) on this deal?"""
    role = role_of(user, deal)
    if role is None or not user.organisation.is_approved:
        return False
    if side == PARTY:
        return role in (SELLER, BUYER)
    return role == side


def require(user: User | None, deal: Deal, side: str = PARTY) -> None:
    """Raise Forbidden unless `user` may act for `side` (callers have already shown the deal)."""
    if can_act(user, deal, side):
        return
    who = {SELLER: ("卖方（许可方/转让方/出资方）", "the seller (licensor, assignor or investor)"),
           BUYER: ("买方（被许可方/受让方/被投资企业）", "the buyer (licensee, assignee or investee)"),
           }.get(side, ("交易双方", "the parties to the deal"))
    raise Forbidden("deal.not_allowed", f"只有{who[0]}可以执行此操作。", f"Only {who[1]} may do this.")
