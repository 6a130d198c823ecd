"""Deal disputes on the JSON API (R-OL-13): list, raise, escalate, resolve. Routes on market.web.api.bp."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from listings.schemas import UtcDateTime
from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.schemas import BaseSchema, TrimmedString
from market.deals.disputes import services as disputes
from market.deals.disputes.models import Dispute, DisputeOutcome, DisputeStage
from market.deals.models import Deal
from market.deals.negotiation.common import stale_as_conflict
from market.deals.permissions import deal_for
from market.web.api import body_of, route
from market.web.openapi import describe

TAG = "disputes"
_STAGES = [s.value for s in DisputeStage]
_OUTCOMES = [o.value for o in DisputeOutcome]


class DisputeSchema(BaseSchema):
    """A dispute under a deal: its stage on the path negotiation → mediation → court, and its end."""

    id = fields.Integer()
    deal_id = fields.Integer()
    opened_by_org_id = fields.Integer()
    stage = fields.String(validate=validate.OneOf(_STAGES))
    stage_label = fields.Method("_stage_label", metadata={
        "json_schema": {"type": "string"},
        "description": "The stage in words; an open licence's mediation is CNIPA's (PL art. 52)."})
    subject = fields.String()
    reason = fields.String()
    forum = fields.String(metadata={"description": "The mediator or court handling the current stage."})
    case_no = fields.String()
    opened_on = fields.Date()
    escalated_on = fields.Date(allow_none=True)
    resolved_on = fields.Date(allow_none=True)
    outcome = fields.String(allow_none=True, validate=validate.OneOf(_OUTCOMES))
    note = fields.String()
    is_open = fields.Boolean()
    created_at = UtcDateTime()

    def _stage_label(self, dispute: Dispute) -> str:
        return disputes.stage_label(db.session.get(Deal, dispute.deal_id), dispute.stage, get_lang())


class DisputeInputSchema(BaseSchema):
    subject = TrimmedString(required=True, validate=validate.Length(min=1, max=disputes.MAX_SUBJECT))
    reason = TrimmedString(load_default="", validate=validate.Length(max=disputes.MAX_TEXT))


class DisputeEscalationSchema(BaseSchema):
    stage = fields.String(required=True, validate=validate.OneOf(["CNIPA_MEDIATION", "LITIGATION"]),
                          metadata={"description": "Forward only: NEGOTIATION → CNIPA_MEDIATION or LITIGATION; "
                                                   "CNIPA_MEDIATION → LITIGATION."})
    forum = TrimmedString(load_default="", validate=validate.Length(max=disputes.MAX_FORUM))
    case_no = TrimmedString(load_default="", validate=validate.Length(max=disputes.MAX_CASE_NO))
    note = TrimmedString(load_default="", validate=validate.Length(max=disputes.MAX_TEXT))


class DisputeResolutionSchema(BaseSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(_OUTCOMES), metadata={
        "description": "SETTLED or WITHDRAWN (by the party that raised it) at any stage; MEDIATED in "
                       "mediation or court; JUDGED in court."})
    resolved_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "Default today; not before the dispute was raised."})
    note = TrimmedString(load_default="", validate=validate.Length(max=disputes.MAX_TEXT))


def _me():
    return current_user._get_current_object()


def _commit() -> None:
    with stale_as_conflict():
        db.session.commit()


@route("/deals/<int:deal_id>/disputes", summary="A deal's disputes, the open one first", tag=TAG, auth=True,
       response=DisputeSchema, many=True)
def dispute_list(deal_id: int):
    return DisputeSchema(many=True).dump(disputes.disputes_of(deal_for(_me(), deal_id)))


@route("/deals/<int:deal_id>/disputes", methods=("POST",), tag=TAG, auth=True, status=201,
       summary="Raise a dispute (a party; the deal must have binding terms; one open dispute per deal)",
       body=DisputeInputSchema, response=DisputeSchema)
def dispute_create(deal_id: int):
    deal = deal_for(_me(), deal_id)
    data = body_of(DisputeInputSchema())
    dispute = disputes.raise_dispute(_me(), deal, subject=data["subject"], reason=data["reason"])
    _commit()
    return DisputeSchema().dump(dispute), 201


@route("/deals/<int:deal_id>/disputes/<int:dispute_id>/escalate", methods=("POST",), tag=TAG, auth=True,
       summary="Take an open dispute to mediation or to court (forward only)", body=DisputeEscalationSchema,
       response=DisputeSchema)
def dispute_escalate_api(deal_id: int, dispute_id: int):
    deal = deal_for(_me(), deal_id)
    data = body_of(DisputeEscalationSchema())
    dispute = disputes.escalate(_me(), deal, dispute_id, to_stage=data["stage"], forum=data["forum"],
                                case_no=data["case_no"], note=data["note"])
    _commit()
    return DisputeSchema().dump(dispute)


@route("/deals/<int:deal_id>/disputes/<int:dispute_id>/resolve", methods=("POST",), tag=TAG, auth=True,
       summary="Record how an open dispute ended", body=DisputeResolutionSchema, response=DisputeSchema)
def dispute_resolve_api(deal_id: int, dispute_id: int):
    deal = deal_for(_me(), deal_id)
    data = body_of(DisputeResolutionSchema())
    dispute = disputes.resolve(_me(), deal, dispute_id, outcome=data["outcome"], note=data["note"],
                               on=data["resolved_on"])
    _commit()
    return DisputeSchema().dump(dispute)


for _endpoint in ("dispute_list", "dispute_create", "dispute_escalate_api", "dispute_resolve_api"):
    describe(_endpoint, errors=[403, 404, 409])
