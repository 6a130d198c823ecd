"""Who may see or change what. Views call these before a service; services re-check rules."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from market.accounts.models import User
from market.core.errors import Forbidden
from market.core.extensions import login_manager


def _user() -> User | None:
    return current_user if current_user.is_authenticated else None


def require_approved_org(user: User) -> None:
    if not user.organisation.is_approved:
        raise Forbidden("org_not_approved", "您的机构尚未通过区知识产权局审批，暂不能挂牌或交易",
                        "Your organisation has not been approved by the bureau yet")


def require_buyer(user: User) -> None:
    """Only organisations that can be party to a deal ask for one: the bureau regulates and counts
    the deals, point operators review and broker them; neither buys (as for open licences)."""
    require_approved_org(user)
    if user.organisation.is_bureau or user.organisation.is_point_operator:
        raise Forbidden("not_a_buyer", "区知识产权局和网点运营机构不能作为交易的买方",
                        "The bureau and point operators cannot be buyers in a deal")


def require_supplier(user: User) -> None:
    require_approved_org(user)
    if not user.organisation.is_supplier:
        raise Forbidden("not_a_supplier", "该机构类型不能挂牌专利", "This organisation type cannot list patents")


# Through the related objects, not the foreign-key columns: a listing not yet flushed has
# its relationships set but its *_id columns still empty.
def can_manage_listing(user: User | None, listing) -> bool:
    return user is not None and listing.organisation.id == user.organisation_id


def can_review_listing(user: User | None, listing) -> bool:
    return user is not None and listing.point.operator.id == user.organisation_id


def is_bureau(user: User | None) -> bool:
    return user is not None and user.organisation.is_bureau and user.organisation.is_approved


def bureau_required(view):
    """A view only the district bureau may open; 403 for everyone else."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = _user()
        if user is None:
            return login_manager.unauthorized()
        if not is_bureau(user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
