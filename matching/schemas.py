"""Input and output schemas for demands and matches (forms and the JSON API)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from listings.schemas import UtcDateTime
from listings.vocabulary import DealMode
from market.core.i18n import t
from market.core.numbers import NotANumber, parse_decimal
from market.core.schemas import BaseSchema, TrimmedString
from matching.vocabulary import DismissReason, Visibility

MAX_TEXT = 5000
MAX_FEN = 10**13


def check_budget_range(data: dict) -> None:
    low, high = data.get("budget_min_fen"), data.get("budget_max_fen")
    if low is not None and high is not None and low > high:
        raise ValidationError(t("预算下限不能高于上限", "The budget minimum is above the maximum"), "budget_min_fen")


def _long_text(minimum: int = 0) -> TrimmedString:
    return TrimmedString(load_default="", validate=validate.Length(min=minimum, max=MAX_TEXT))


class DemandInput(BaseSchema):
    """A demand as posted by an enterprise (JSON; the form posts the same names)."""

    title = TrimmedString(required=True, validate=validate.Length(min=2, max=200))
    problem = TrimmedString(required=True, validate=validate.Length(min=10, max=MAX_TEXT))
    expected_outcome = _long_text()
    existing_basis = _long_text()
    budget_min_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=MAX_FEN))
    budget_max_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=MAX_FEN))
    modes = fields.List(fields.String(validate=validate.OneOf([m.value for m in DealMode])), load_default=list)
    industries = fields.List(fields.String(), load_default=list)
    timeline = TrimmedString(load_default="", validate=validate.Length(max=200))
    visibility = fields.String(load_default=Visibility.PUBLIC, validate=validate.OneOf([v.value for v in Visibility]))

    @validates_schema(skip_on_field_errors=False)
    def budget_ordered(self, data, **kwargs):
        check_budget_range(data)


class MatchQuery(BaseSchema):
    """POST /api/v1/matches: match a text before (or without) posting a demand."""

    text = TrimmedString(required=True, validate=validate.Length(min=2, max=MAX_TEXT))
    limit = fields.Integer(load_default=10, strict=True, validate=validate.Range(min=1, max=50))
    filters = fields.Dict(keys=fields.String(validate=validate.OneOf(
        ["patent_type", "industry", "ipc_section", "ipc_class", "mode", "owner_type", "owner", "point",
         "legal_status", "price_band"])), values=fields.List(fields.String()), load_default=dict)
    modes = fields.List(fields.String(validate=validate.OneOf([m.value for m in DealMode])), load_default=list)
    budget_min_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=MAX_FEN))
    budget_max_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=MAX_FEN))

    @validates_schema(skip_on_field_errors=False)
    def budget_ordered(self, data, **kwargs):
        check_budget_range(data)


class DismissInput(BaseSchema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in DismissReason]))
    reason_text = TrimmedString(load_default="", validate=validate.Length(max=500))


class DealRequestInput(BaseSchema):
    mode = fields.String(required=True, validate=validate.OneOf([m.value for m in DealMode]))
    message = TrimmedString(load_default="", validate=validate.Length(max=2000))


class ReasonOut(BaseSchema):
    code = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


class MatchOut(BaseSchema):
    listing_id = fields.Integer(required=True)
    application_number = fields.String(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True)
    # "match": one a person in the field would look at twice; "weak": only the nearest there is.
    grade = fields.String(required=True, validate=validate.OneOf(["match", "weak"]))
    confidence = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    reasons = fields.List(fields.Nested(ReasonOut), required=True)
    # The demand's key words this patent does not mention.
    lacks = fields.List(fields.String(), required=True)


class MessageOut(BaseSchema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class NextStepOut(BaseSchema):
    code = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    query = fields.String(required=True)


class MatchListOut(BaseSchema):
    """Matches with what they amount to: `state` "match" (confident matches, maybe then a few weak
    results), "weak" (only the nearest few, each graded weak) or "none" (nothing on the shelf fits)."""

    state = fields.String(required=True, validate=validate.OneOf(["match", "weak", "none"]))
    message = fields.Nested(MessageOut, required=True)
    items = fields.List(fields.Nested(MatchOut), required=True)
    next_steps = fields.List(fields.Nested(NextStepOut), required=True)


class InquiryOut(BaseSchema):
    id = fields.Integer(required=True)
    listing_id = fields.Integer(required=True)
    mode = fields.String(required=True)
    message = fields.String(required=True)
    status = fields.String(required=True)
    demand_id = fields.Integer(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)


class DemandOut(BaseSchema):
    """A demand as others may see it; existing_basis only reaches the enterprise itself."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    problem = fields.String(required=True)
    expected_outcome = fields.String(required=True)
    budget_min_fen = fields.Integer(required=True, allow_none=True)
    budget_max_fen = fields.Integer(required=True, allow_none=True)
    modes = fields.List(fields.String(), required=True)
    industries = fields.List(fields.String(), required=True)
    timeline = fields.String(required=True)
    visibility = fields.String(required=True)
    status = fields.String(required=True)
    organisation = fields.Function(lambda d: d.organisation.name, required=True)
    created_at = UtcDateTime(required=True)


class OwnDemandOut(DemandOut):
    existing_basis = fields.String(required=True)


def form_to_demand_data(form) -> dict:
    """The demand form (budgets typed in 万元) as DemandInput data in fen."""

    data = {k: form.get(k, "") for k in ("title", "problem", "expected_outcome", "existing_basis", "timeline")}
    data["visibility"] = form.get("visibility") or Visibility.PUBLIC
    data["modes"] = form.getlist("modes")
    data["industries"] = form.getlist("industries")
    errors = {}
    for key in ("budget_min", "budget_max"):
        raw = (form.get(key) or "").strip().replace(",", "")
        if not raw:
            data[f"{key}_fen"] = None
            continue
        try:
            amount = parse_decimal(raw) * 1_000_000
            if amount < 0 or amount != amount.to_integral_value():
                raise NotANumber(raw)
        except NotANumber:
            errors[key] = [t("请填写以万元为单位的金额，如 50 或 12.5", "Enter an amount in units of ¥10,000, e.g. 50 or 12.5")]
            continue
        if amount > MAX_FEN:
            # The limit in the unit the field is typed in, not the fen the schema checks.
            top = f"{MAX_FEN // 1_000_000:,}"
            errors[key] = [t(f"数值过大，最大为 {top} 万元", f"Too large: the maximum is {top} (¥10,000).")]
            continue
        data[f"{key}_fen"] = int(amount)
    return data, errors
