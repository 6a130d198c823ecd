"""Contributors' reward floor of a deal (R-ST-5): the seller's costs, the money received. Never commits.

The figures are informational (for the unit's own reward decision and its annual report): a
university or research institute is bound by the floor of STL 45 / SH 34, an SOE is shown it
for reference. The seller's deductible costs are kept in `deal.approvals["REWARD"]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import select

from listings.vocabulary import OrgType
from market.accounts.models import User
from market.core.db import utcnow
from market.core.errors import Conflict, Forbidden, NotFound
from market.core.extensions import db
from market.deals.models import Deal
from market.deals.permissions import SELLER, require, role_of
from market.deals.rewards import services as rewards
from market.deals.vocabulary import DealKind, DealStatus, PaymentKind, PaymentStatus
from market.payments.models import Payment

KEY = "REWARD"
STATUTORY = frozenset({OrgType.UNIVERSITY, OrgType.RESEARCH_INSTITUTE})
INFORMATIONAL = frozenset({OrgType.SOE})
RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


@dataclass(frozen=True)
class RewardView:
    deal: Deal
    floor: rewards.RewardFloor
    statutory: bool  # a university or institute (an SOE sees the figures for reference)
    state_funded: bool  # STL 45: its own scheme must still meet the floor
    has_scheme: bool  # the unit has its own rules or agreement on rewards
    recorded_at: str | None

    @property
    def floor_binding(self) -> bool:
        """Does the statutory floor govern (no scheme, or a state-established unit's scheme)?"""
        return self.statutory and (not self.has_scheme or self.state_funded)


def min_pct() -> Decimal:
    """The district's minimum share (REWARD_MIN_PCT, default Shanghai's 70; never below 50)."""
    configured = current_app.config.get("REWARD_MIN_PCT") if has_app_context() else None
    return rewards.effective_pct(configured)


def applies(deal: Deal) -> bool:
    return deal.seller is not None and deal.seller.org_type in STATUTORY | INFORMATIONAL


def received_fen(deal: Deal) -> int:
    """Money that arrived under the deal and stays with the payee (net of refunds), in fen.

    Fees for technical services chosen with an open licence are not transfer/licence income (STL 45
    rewards that), so they are left out.
    """
    payments = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id, Payment.status.in_(RECEIVED),
                                                        Payment.kind != PaymentKind.SERVICE_FEE.value))
    return sum(p.amount_fen - p.refunded_fen for p in payments)


def recorded(deal: Deal) -> dict:
    return dict((deal.approvals or {}).get(KEY) or {})


def reward_view(deal: Deal, pct: Decimal | None = None) -> RewardView | None:
    """The floor for this deal, or None when its seller is not a unit the rule speaks to."""
    if not applies(deal):
        return None
    pct = pct if pct is not None else min_pct()
    record = recorded(deal)
    if deal.kind == DealKind.EQUITY:
        floor = rewards.equity_floor(deal.share_pct, deal.price_fen, pct)
    else:
        floor = rewards.income_floor(received_fen(deal), rewards.Costs.from_dict(record), pct)
    seller = deal.seller
    return RewardView(deal, floor, statutory=seller.org_type in STATUTORY,
                      state_funded=bool(seller.is_state_funded_rnd), has_scheme=bool(record.get("has_scheme")),
                      recorded_at=record.get("recorded_at"))


def record_costs(user: User, deal: Deal, costs: rewards.Costs, *, has_scheme: bool = False) -> RewardView:
    """The seller enters its deductible costs (taxes, maintenance, evaluation) and whether it has a scheme."""
    require(user, deal, SELLER)
    if not applies(deal):
        raise Conflict("reward.not_applicable", "只有高校、科研院所或国有企业作为卖方的交易需计算科技成果转化奖励。",
                       "Reward floors concern deals whose seller is a university, research institute or SOE.")
    if deal.status == DealStatus.VOID:
        raise Conflict("reward.deal_void", "交易已作废。", "The deal is void.")
    record = {**costs.to_dict(), "has_scheme": bool(has_scheme), "recorded_at": utcnow().isoformat(timespec="seconds"),
              "recorded_by_id": user.id}
    # A new dict, so the JSON column is seen as changed (and the deal's version moves on).
    deal.approvals = {**(deal.approvals or {}), KEY: record}
    return reward_view(deal)


def view_for(user: User | None, deal: Deal) -> RewardView:
    """The floor as the seller sees it; the other party, the point and the bureau may not (403)."""
    if role_of(user, deal) != SELLER:
        raise Forbidden("reward.seller_only", "科技成果转化奖励测算仅对卖方（成果完成单位）可见。",
                        "Only the seller (the unit that made the achievement) sees its reward floor.")
    view = reward_view(deal)
    if view is None:
        raise NotFound("reward.not_applicable", "只有高校、科研院所或国有企业作为卖方的交易需计算科技成果转化奖励。",
                       "Reward floors concern deals whose seller is a university, research institute or SOE.")
    return view
