"""Contributors' reward floor on the JSON API (R-ST-5), for the seller. Routes on market.web.api.bp."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from market.core.i18n import get_lang
from market.core.schemas import BaseSchema
from market.deals.permissions import deal_for
from market.deals.rewards import contributors as contributor_rewards
from market.deals.rewards import services as rewards
from market.web.api import route
from market.web.openapi import describe

_PCT = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "A percentage as a decimal string."}


class RewardSchema(BaseSchema):
    """The statutory floor of contributors' rewards for one deal (STL 45; SH 34), informational."""

    deal_id = fields.Integer()
    basis = fields.String(validate=validate.OneOf([rewards.INCOME, rewards.EQUITY]), metadata={
        "description": "INCOME: a share of the net transfer/licence income; EQUITY: a share of the shares formed."})
    statutory = fields.Boolean(metadata={"description": "The seller is a university or research institute "
                                                        "(an SOE is shown the figures for reference)."})
    state_funded = fields.Boolean()
    has_scheme = fields.Boolean(metadata={"description": "The unit has its own reward rules or agreement."})
    floor_binding = fields.Boolean()
    min_pct = fields.String(metadata={"json_schema": _PCT})
    national_pct = fields.String(metadata={"json_schema": _PCT})
    income_fen = fields.Integer(validate=validate.Range(min=0), metadata={"description": "Money received (PAID)."})
    taxes_fen = fields.Integer(validate=validate.Range(min=0))
    maintenance_fen = fields.Integer(validate=validate.Range(min=0))
    evaluation_fen = fields.Integer(validate=validate.Range(min=0))
    net_income_fen = fields.Integer(metadata={"description": "Income less the three costs; may be negative."})
    floor_fen = fields.Integer(validate=validate.Range(min=0), metadata={
        "description": "Contributors' minimum in fen at min_pct, rounded half up (EQUITY: of the agreed value)."})
    national_floor_fen = fields.Integer(validate=validate.Range(min=0))
    share_pct = fields.String(allow_none=True, metadata={"json_schema": {**_PCT, "nullable": True}})
    floor_share_pct = fields.String(allow_none=True, metadata={"json_schema": {**_PCT, "nullable": True}})
    value_fen = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    explanation = fields.List(fields.String())


def dump(view: contributor_rewards.RewardView) -> dict:
    floor = view.floor
    return RewardSchema().dump({
        "deal_id": view.deal.id, "basis": floor.basis, "statutory": view.statutory, "state_funded": view.state_funded,
        "has_scheme": view.has_scheme, "floor_binding": view.floor_binding, "min_pct": rewards.pct_text(floor.min_pct),
        "national_pct": rewards.pct_text(floor.national_pct), "income_fen": floor.income_fen,
        **floor.costs.to_dict(), "net_income_fen": floor.net_income_fen, "floor_fen": floor.floor_fen,
        "national_floor_fen": floor.national_floor_fen,
        "share_pct": rewards.pct_text(floor.share_pct) if floor.share_pct is not None else None,
        "floor_share_pct": rewards.pct_text(floor.floor_share_pct) if floor.floor_share_pct is not None else None,
        "value_fen": floor.value_fen, "explanation": rewards.explanation(floor, get_lang())})


@route("/deals/<int:deal_id>/reward", summary="The contributors' reward floor of a deal (seller only)",
       tag="rewards", auth=True, response=RewardSchema)
def deal_reward(deal_id: int):
    user = current_user._get_current_object()
    return dump(contributor_rewards.view_for(user, deal_for(user, deal_id)))


describe("deal_reward", errors=[403, 404])
