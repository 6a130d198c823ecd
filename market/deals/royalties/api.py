"""Running royalties on the JSON API: a licence's periods and reports, filing and answering them.

Routes on market.web.api.bp. Amounts are integer fen, as everywhere in the API.
"""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from listings.schemas import UtcDateTime
from market.core.errors import NotFound
from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.schemas import BaseSchema, TrimmedString
from market.core.time import today_local
from market.deals.fees import MAX_FEN
from market.deals.models import Deal, RoyaltyReport
from market.deals.permissions import deal_for
from market.deals.royalties import services as royalties
from market.deals.vocabulary import PaymentPeriod, PaymentStatus, RoyaltyBase, RoyaltyReportStatus
from market.payments.models import Payment
from market.web.api import body_of, route

TAG = "royalties"
_REPORT_STATUSES = [s.value for s in RoyaltyReportStatus]


class RoyaltyReportSchema(BaseSchema):
    """One period's report: the licensee's base, the royalty computed from the terms, the answer."""

    id = fields.Integer()
    deal_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    base_kind = fields.String(validate=validate.OneOf([b.value for b in RoyaltyBase]))
    base_amount_fen = fields.Integer(validate=validate.Range(min=0))
    rate = fields.String(metadata={"description": "Percent, as a decimal string (e.g. \"5\", \"6.5\")."})
    amount_due_fen = fields.Integer(validate=validate.Range(min=0),
                                    metadata={"description": "Royalty due, including any yearly-minimum top-up."})
    payment_due_date = fields.Date()
    status = fields.String(validate=validate.OneOf(_REPORT_STATUSES))
    note = fields.String()
    dispute_reason = fields.String()
    submitted_at = UtcDateTime()
    answered_at = UtcDateTime(allow_none=True)
    payment_id = fields.Integer(allow_none=True)
    payment_status = fields.Method("_payment_status", allow_none=True,
                                   metadata={"json_schema": {"type": "string", "nullable": True,
                                                             "enum": [s.value for s in PaymentStatus] + [None]}})

    def _payment_status(self, report: RoyaltyReport) -> str | None:
        payment = db.session.get(Payment, report.payment_id) if report.payment_id else None
        return payment.status if payment else None


class RoyaltyPeriodSchema(BaseSchema):
    number = fields.Integer(validate=validate.Range(min=1))
    start = fields.Date()
    end = fields.Date()
    report_due = fields.Date()
    contract_year = fields.Integer(attribute="year", validate=validate.Range(min=1))
    rate = fields.String(metadata={"description": "The royalty rate of this period's contract year, in percent."})
    report_overdue = fields.Boolean()
    report_id = fields.Integer(allow_none=True, metadata={"description": "The period's report in `reports`."})


class RoyaltyOverviewSchema(BaseSchema):
    """A royalty licence's reporting periods, each with its report once filed."""

    deal_id = fields.Integer()
    royalty_base = fields.String(validate=validate.OneOf([b.value for b in RoyaltyBase]))
    payment_period = fields.String(validate=validate.OneOf([p.value for p in PaymentPeriod]))
    terms = fields.String(metadata={"description": "The fee terms in words, in the request's language."})
    reported_due_fen = fields.Integer(validate=validate.Range(min=0))
    paid_fen = fields.Integer(validate=validate.Range(min=0))
    periods = fields.List(fields.Nested(RoyaltyPeriodSchema))
    reports = fields.List(fields.Nested(RoyaltyReportSchema))


class RoyaltyReportInputSchema(BaseSchema):
    """File the report of an ended period; filing a DISPUTED period again corrects it."""

    period_start = fields.Date(required=True, metadata={"description": "First day of the reporting period."})
    base_amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN),
                                     metadata={"description": "The period's royalty base (sales, profit…) in fen."})
    note = TrimmedString(load_default="", validate=validate.Length(max=2000))


class RoyaltyDisputeSchema(BaseSchema):
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=royalties.MAX_REASON))


def _me():
    return current_user._get_current_object()


def _overview(deal: Deal) -> dict:
    summary = royalties.summary(deal)
    if summary is None:
        raise NotFound("royalty.no_royalty", "该交易的许可使用费不含提成。", "This deal's fee has no royalty.")
    today = today_local()
    periods = [{"number": p.number, "start": p.start, "end": p.end, "report_due": p.report_due, "year": p.year,
                "rate": royalties.rate_text(summary.terms.rate_for_year(p.year)),
                "report_overdue": p.report_overdue(today), "report_id": p.report.id if p.report else None}
               for p in summary.periods]
    return RoyaltyOverviewSchema().dump({
        "deal_id": deal.id, "royalty_base": summary.terms.royalty_base.value,
        "payment_period": summary.terms.payment_period.value, "terms": summary.terms.describe(get_lang()),
        "reported_due_fen": summary.due_fen, "paid_fen": summary.paid_fen, "periods": periods,
        "reports": [p.report for p in summary.periods if p.report is not None]})


@route("/deals/<int:deal_id>/royalty-reports", summary="A royalty licence's reporting periods and reports",
       tag=TAG, auth=True, response=RoyaltyOverviewSchema)
def royalty_reports_list(deal_id: int):
    return _overview(deal_for(_me(), deal_id))


@route("/deals/<int:deal_id>/royalty-reports", methods=("POST",), tag=TAG, auth=True, status=201,
       summary="File a royalty report (licensee only); filing a disputed period again corrects it",
       body=RoyaltyReportInputSchema, response=RoyaltyReportSchema)
def royalty_report_file(deal_id: int):
    deal = deal_for(_me(), deal_id)
    data = body_of(RoyaltyReportInputSchema())
    report = royalties.file_report(deal, _me(), period_start=data["period_start"],
                                   base_fen=data["base_amount_fen"], note=data["note"])
    db.session.commit()
    return RoyaltyReportSchema().dump(report), 201


@route("/deals/<int:deal_id>/royalty-reports/<int:report_id>/confirm", methods=("POST",), tag=TAG, auth=True,
       summary="Confirm a submitted royalty report (licensor only; once)", response=RoyaltyReportSchema)
def royalty_report_confirm(deal_id: int, report_id: int):
    deal = deal_for(_me(), deal_id)
    report = royalties.answer_report(deal, report_id, _me(), confirm=True)
    db.session.commit()
    return RoyaltyReportSchema().dump(report)


@route("/deals/<int:deal_id>/royalty-reports/<int:report_id>/dispute", methods=("POST",), tag=TAG, auth=True,
       summary="Dispute a submitted royalty report with a reason (licensor only; once per version)",
       body=RoyaltyDisputeSchema, response=RoyaltyReportSchema)
def royalty_report_dispute(deal_id: int, report_id: int):
    deal = deal_for(_me(), deal_id)
    data = body_of(RoyaltyDisputeSchema())
    report = royalties.answer_report(deal, report_id, _me(), confirm=False, reason=data["reason"])
    db.session.commit()
    return RoyaltyReportSchema().dump(report)
