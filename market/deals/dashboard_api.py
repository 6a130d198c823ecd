"""The dashboard on the JSON API: what the caller's organisation must do next, and its deadlines."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from market.core.i18n import get_lang
from market.core.schemas import BaseSchema
from market.core.time import today_local
from market.deals.dashboard import board_for
from market.deals.reminders import DeadlineKind
from market.deals.vocabulary import DealStatus
from market.web.api import route

ACTION_CODES = ["ANSWER_OFFER", "APPROVE", "SIGN", "PAY", "CONFIRM_RECEIPT", "FILE", "REGISTER", "CAPITAL",
                "REPORT_ROYALTY", "CORRECT_ROYALTY", "ANSWER_ROYALTY"]


class PendingActionSchema(BaseSchema):
    code = fields.String(validate=validate.OneOf(ACTION_CODES))
    title = fields.String(metadata={"description": "What to do, in the request's language."})
    deal_id = fields.Integer()
    deal_reference = fields.String()
    due = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    link = fields.String(metadata={"description": "The page where it is done."})


class DeadlineSchema(BaseSchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in DeadlineKind]))
    label = fields.String()
    due = fields.Date()
    overdue = fields.Boolean()
    days_left = fields.Integer(metadata={"description": "Negative once overdue."})
    subject = fields.String()
    deal_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    link = fields.String()


class DealCountsSchema(BaseSchema):
    seller = fields.Dict(keys=fields.String(validate=validate.OneOf([s.value for s in DealStatus])),
                         values=fields.Integer(validate=validate.Range(min=0)),
                         metadata={"description": "Deals as licensor, assignor or investor, by status."})
    buyer = fields.Dict(keys=fields.String(validate=validate.OneOf([s.value for s in DealStatus])),
                        values=fields.Integer(validate=validate.Range(min=0)),
                        metadata={"description": "Deals as licensee, assignee or investee, by status."})


class DashboardSchema(BaseSchema):
    """The caller's organisation: pending actions (overdue first), deadlines by date, deal counts."""

    today = fields.Date(metadata={"description": "Today in Asia/Shanghai, which `overdue` is judged by."})
    actions = fields.List(fields.Nested(PendingActionSchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    deals = fields.Nested(DealCountsSchema)
    unread_notifications = fields.Integer(validate=validate.Range(min=0))


@route("/dashboard", summary="Your organisation's pending deal actions, deadlines and deal counts",
       tag="deals", auth=True, response=DashboardSchema)
def dashboard_get():
    today = today_local()
    board = board_for(current_user.organisation_id, today)
    lang = get_lang()
    return DashboardSchema().dump({
        "today": today,
        "actions": [{"code": a.code, "title": a.title(lang), "deal_id": a.deal_id, "deal_reference": a.deal_ref,
                     "due": a.due, "overdue": a.overdue(today), "link": a.link} for a in board.actions],
        "deadlines": [{"kind": d.kind.value, "label": d.label(lang), "due": d.due, "overdue": d.overdue(today),
                       "days_left": d.days_left(today), "subject": d.subject_en if lang == "en" else d.subject_zh,
                       "deal_id": d.deal_id, "amount_fen": d.amount_fen, "link": d.link} for d in board.deadlines],
        "deals": {"seller": dict(board.counts["seller"]), "buyer": dict(board.counts["buyer"])},
        "unread_notifications": board.unread})
