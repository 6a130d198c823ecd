"""Form input for listing pages: marshmallow schemas over request.form, prices typed in 元."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from listings.vocabulary import DealMode, Maturity, PricingMethod
from market.core.i18n import t
from market.core.money import MAX_FEN, AmountError, parse_yuan
from market.core.schemas import BaseSchema, TrimmedString


class YuanField(fields.Field):
    """An amount typed in 元 (at most two decimals), loaded as integer fen."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_yuan(str(value or ""))
        except AmountError as err:
            raise ValidationError(t(*_REFUSALS[err.reason])) from None


_REFUSALS = {
    "invalid": ("请输入金额（元），如 50000 或 12.50", "Enter an amount in yuan, e.g. 50000 or 12.50"),
    "negative": ("金额不能为负数", "The amount cannot be negative"),
    "decimals": ("金额最多精确到分（两位小数）", "At most two decimals (fen)"),
    "too_large": (f"数值过大，最大为 {MAX_FEN // 100:,} 元", f"Too large: the maximum is ¥{MAX_FEN // 100:,}"),
}


class ListingForm(BaseSchema):
    modes = fields.List(fields.String(validate=validate.OneOf([m.value for m in DealMode])),
                        load_default=list)
    asking_price_fen = YuanField(data_key="asking_price_yuan", load_default=None)
    price_negotiable = fields.Boolean(load_default=False)
    pricing_method = fields.String(load_default=PricingMethod.AGREEMENT,
                                   validate=validate.OneOf([m.value for m in PricingMethod]))
    point_id = fields.Integer(required=True)
    problem_solved = TrimmedString(load_default="", validate=validate.Length(max=2000))
    advantages = TrimmedString(load_default="", validate=validate.Length(max=2000))
    applications = TrimmedString(load_default="", validate=validate.Length(max=2000))
    maturity = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf([m.value for m in Maturity] + [""]))
    industry_tags = fields.List(fields.String(), load_default=None)

    @validates_schema
    def price_or_negotiable(self, data, **kwargs):
        if data.get("asking_price_fen") is None and not data.get("price_negotiable"):
            raise ValidationError(t("请填写价格或勾选“面议”", "Give a price or tick “negotiable”"),
                                  "asking_price_yuan")
        # A listing whose only mode is a declared open licence has nothing to tick; an empty
        # offer is refused when it is submitted for review (services.submit_listing).


class NewPatentForm(BaseSchema):
    """Bibliographic fields for a patent typed in by hand (kept raw; clean_patent validates)."""

    application_number = TrimmedString(required=True, validate=validate.Length(min=1, max=40))
    patent_type = TrimmedString(load_default="")
    title = TrimmedString(load_default="", validate=validate.Length(max=500))
    abstract = TrimmedString(load_default="", validate=validate.Length(max=5000))
    ipc = TrimmedString(load_default="", validate=validate.Length(max=500))
    locarno = TrimmedString(load_default="")
    filing_date = TrimmedString(load_default="")
    grant_date = TrimmedString(load_default="")
    inventors = TrimmedString(load_default="", validate=validate.Length(max=500))
    legal_status = TrimmedString(load_default="")
    # 专利包: further stored patents of the same patentee(s), one application number a line.
    package_numbers = TrimmedString(load_default="", validate=validate.Length(max=2000))


class EvaluationReportForm(BaseSchema):
    report_no = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    issued_on = fields.Date(required=True)
    conclusion = fields.String(required=True, validate=validate.OneOf(["NO_DEFECT", "DEFECT"]))


def form_data(form) -> dict:
    """request.form as a dict, with multi-valued fields kept as lists."""
    data = form.to_dict()
    data["modes"] = form.getlist("modes")
    # The form sends a marker with the checkboxes, so unticking every tag clears them.
    if "industry_tags" in form or "industry_tags_shown" in form:
        data["industry_tags"] = form.getlist("industry_tags")
    data["price_negotiable"] = "price_negotiable" in form
    return data
