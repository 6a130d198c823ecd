"""Open-licence forms (amounts typed in 元) and the JSON API's shapes.

Forms check shape only; what makes a declaration acceptable is in checks.py, and who may do
what in services.py.
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from listings.schemas import PagingArgsSchema, UtcDateTime
from listings.views.forms import YuanField
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import t
from market.core.money import yuan_plain
from market.core.schemas import BaseSchema, TrimmedString
from market.deals.fees import FeeTerms
from market.deals.open_licence.extras import MAX_QUANTITY, taken_services
from market.deals.vocabulary import FeeMode, PaymentPeriod, RateSchedule, RoyaltyBase, ServiceKind
from market.payments.models import Payment

MAX_INSTALMENTS = 12


def _values(enum) -> list[str]:
    return [m.value for m in enum]


class DeclarationForm(BaseSchema):
    """The assistant's form: fee terms in every statutory form, term, territory, other terms."""

    mode = fields.String(required=True, validate=validate.OneOf(_values(FeeMode)))
    lump_fen = YuanField(data_key="lump_yuan", load_default=None)
    entry_fee_fen = YuanField(data_key="entry_fee_yuan", load_default=None)
    instalment_fen = fields.List(YuanField(allow_none=True), data_key="instalment_yuan", load_default=list)
    instalment_months = fields.List(fields.String(), load_default=list)
    royalty_base = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(_values(RoyaltyBase) + [""]))
    royalty_base_note = TrimmedString(load_default="", validate=validate.Length(max=200))
    royalty_rate = TrimmedString(load_default="", validate=validate.Length(max=12))
    rate_schedule = fields.String(load_default=RateSchedule.FIXED.value,
                                  validate=validate.OneOf(_values(RateSchedule)))
    rate_step = TrimmedString(load_default="", validate=validate.Length(max=12))
    min_annual_fen = YuanField(data_key="min_annual_yuan", load_default=None)
    payment_period = fields.String(load_default=PaymentPeriod.ANNUAL.value,
                                   validate=validate.OneOf(_values(PaymentPeriod)))
    payment_due_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=366))
    report_due_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=366))
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    territory = TrimmedString(load_default="", validate=validate.Length(max=200))
    other_terms = TrimmedString(load_default="", validate=validate.Length(max=4000))
    fee_basis_note = TrimmedString(load_default="", validate=validate.Length(max=4000))
    contact = TrimmedString(load_default="", validate=validate.Length(max=200))
    evaluation_report_id = fields.Integer(load_default=None, allow_none=True)
    pledgee_consent_doc = TrimmedString(load_default="", validate=validate.Length(max=300))

    @validates_schema
    def instalments_paired(self, data, **kwargs):
        amounts = [a for a in data.get("instalment_fen") or []]
        months = data.get("instalment_months") or []
        if len(amounts) > MAX_INSTALMENTS:
            raise ValidationError(t(f"最多{MAX_INSTALMENTS}期", f"At most {MAX_INSTALMENTS} instalments"),
                                  "instalment_yuan")
        for i, amount in enumerate(amounts):
            month = months[i].strip() if i < len(months) else ""
            if amount is not None and not month.isdigit():
                raise ValidationError(t(f"第{i + 1}期请填写付款月数", f"Give the month of instalment {i + 1}"),
                                      "instalment_months")


def fee_terms_from_form(data: dict) -> dict:
    """The FeeTerms dict of the chosen mode (fields of other modes are dropped, not kept hidden)."""
    mode = FeeMode(data["mode"])
    terms: dict = {"mode": mode.value, "payment_due_days": data.get("payment_due_days", 30)}
    if mode in (FeeMode.LUMP_SUM, FeeMode.INSTALLMENTS):
        terms["lump_fen"] = data.get("lump_fen")
    if mode == FeeMode.INSTALLMENTS:
        months = data.get("instalment_months") or []
        terms["instalments"] = [{"amount_fen": amount, "months_after_start": int(months[i])}
                                for i, amount in enumerate(data.get("instalment_fen") or []) if amount is not None]
        if terms.get("lump_fen") is None:
            terms["lump_fen"] = sum(i["amount_fen"] for i in terms["instalments"]) or None
    if mode == FeeMode.ENTRY_PLUS_ROYALTY:
        terms["entry_fee_fen"] = data.get("entry_fee_fen")
    if mode in (FeeMode.ROYALTY, FeeMode.ENTRY_PLUS_ROYALTY):
        terms.update(royalty_base=data.get("royalty_base") or None, royalty_base_note=data.get("royalty_base_note", ""),
                     royalty_rate=data.get("royalty_rate") or None, rate_schedule=data.get("rate_schedule"),
                     rate_step=data.get("rate_step") or None, payment_period=data.get("payment_period"),
                     report_due_days=data.get("report_due_days", 30))
        if data.get("min_annual_fen") is not None:
            terms["min_annual_fen"] = data["min_annual_fen"]
    return {k: v for k, v in terms.items() if v not in (None, "")}


def form_values(decl) -> dict:
    """A declaration back into the form's fields (amounts in 元 as typed)."""
    terms = decl.fee_terms or {}

    def yuan(fen):
        return "" if fen in (None, "") else yuan_plain(int(fen)).rstrip("0").rstrip(".")

    instalments = terms.get("instalments") or []
    return {"mode": terms.get("mode", ""), "lump_yuan": yuan(terms.get("lump_fen")),
            "entry_fee_yuan": yuan(terms.get("entry_fee_fen")),
            "instalment_yuan": [yuan(i["amount_fen"]) for i in instalments],
            "instalment_months": [str(i["months_after_start"]) for i in instalments],
            "royalty_base": terms.get("royalty_base", ""), "royalty_base_note": terms.get("royalty_base_note", ""),
            "royalty_rate": terms.get("royalty_rate", ""), "rate_schedule": terms.get("rate_schedule", "FIXED"),
            "rate_step": terms.get("rate_step", "") if terms.get("rate_step") not in ("0", 0) else "",
            "min_annual_yuan": yuan(terms.get("min_annual_fen")),
            "payment_period": terms.get("payment_period", "ANNUAL"),
            "payment_due_days": terms.get("payment_due_days", 30), "report_due_days": terms.get("report_due_days", 30),
            "term_start": decl.term_start.isoformat() if decl.term_start else "",
            "term_end": decl.term_end.isoformat() if decl.term_end else "",
            "territory": decl.territory, "other_terms": decl.other_terms, "fee_basis_note": decl.fee_basis_note,
            "contact": decl.contact, "evaluation_report_id": decl.evaluation_report_id or "",
            "pledgee_consent_doc": decl.pledgee_consent_doc}


def form_data(form) -> dict:
    data = form.to_dict()
    data["instalment_yuan"] = [v for v in form.getlist("instalment_yuan")]
    data["instalment_months"] = form.getlist("instalment_months")
    # Blank rows of the instalment table are not instalments.
    pairs = [(a, m) for a, m in zip(data["instalment_yuan"], data["instalment_months"] + [""] * 99)
             if a.strip() or m.strip()]
    data["instalment_yuan"] = [a for a, _ in pairs]
    data["instalment_months"] = [m for _, m in pairs]
    if not data.get("evaluation_report_id"):
        data["evaluation_report_id"] = None
    return data


class DatedForm(BaseSchema):
    """A CNIPA date recorded by the patentee (filing, announcement, withdrawal)."""

    on = fields.Date(required=True)
    gazette_issue = TrimmedString(load_default="", validate=validate.Length(max=60))
    reason = TrimmedString(load_default="", validate=validate.Length(max=500))


class ConsentForm(BaseSchema):
    owner_name = TrimmedString(load_default=None, allow_none=True, validate=validate.Length(max=200))
    document_ref = TrimmedString(load_default="", validate=validate.Length(max=300))


class ServiceForm(BaseSchema):
    """A technical service offered beside a declaration (its price typed in 元, stored in fen)."""

    kind = fields.String(required=True, validate=validate.OneOf(_values(ServiceKind)))
    description = TrimmedString(required=True, validate=validate.Length(min=2, max=1000))
    unit = TrimmedString(required=True, validate=validate.Length(min=1, max=20))
    unit_price_fen = YuanField(data_key="unit_price_yuan", required=True)
    max_quantity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_QUANTITY))

    @validates_schema
    def priced(self, data, **kwargs):
        if data.get("unit_price_fen") is None or data["unit_price_fen"] <= 0:
            raise ValidationError(t("请填写大于零的单价（元）", "Give a unit price above zero (yuan)"), "unit_price_yuan")


def service_form_data(form) -> dict:
    data = form.to_dict()
    if not (data.get("max_quantity") or "").strip():
        data["max_quantity"] = None
    return data


def quantities_from_form(form, services) -> tuple[dict[int, int], dict[str, list[str]]]:
    """The take form's quantity of each offered service (blank = 0); a non-number is an error on its field."""
    quantities, errors = {}, {}
    for service in services:
        name = f"qty_{service.id}"
        raw = (form.get(name) or "").strip() or "0"
        if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
            errors[name] = [t("请填写整数数量（0 表示不需要）", "Give a whole number (0: not wanted)")]
        else:
            quantities[service.id] = int(raw)
    return quantities, errors


# -- JSON API --------------------------------------------------------------------------------

class DeclarationArgsSchema(PagingArgsSchema):
    pass


class ServiceSchema(BaseSchema):
    """A technical service on offer beside the declaration: optional, never part of the declared terms."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "SERVICE 技术服务, CONSULTING 技术咨询 or TRAINING 技术培训"})
    description = fields.String()
    unit = fields.String()
    unit_price_fen = fields.Integer()
    max_quantity = fields.Integer(allow_none=True)


class TakenServiceSchema(BaseSchema):
    """A service chosen with the licence, as offered at the take (its own sum, apart from the patent fee)."""

    service_id = fields.Integer()
    kind = fields.String()
    description = fields.String()
    unit = fields.String()
    unit_price_fen = fields.Integer()
    quantity = fields.Integer()
    amount_fen = fields.Integer()


class ChosenServiceSchema(BaseSchema):
    id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_QUANTITY))


class TakeBodySchema(BaseSchema):
    """Optional body of the take: the offered services wanted, with their quantities (none is required)."""

    services = fields.List(fields.Nested(ChosenServiceSchema), load_default=list,
                           validate=validate.Length(max=50))

    @validates_schema
    def distinct(self, data, **kwargs):
        ids = [s["id"] for s in data.get("services") or []]
        if len(ids) != len(set(ids)):
            raise ValidationError(t("每项服务只能出现一次", "Each service may appear once"), "services")


class DeclarationSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String()
    patent_id = fields.Integer()
    application_number = fields.String(attribute="patent.application_number")
    patent_no = fields.String(attribute="patent.patent_no")
    title = fields.String(attribute="patent.title")
    patent_type = fields.String(attribute="patent.patent_type")
    legal_status = fields.String(attribute="patent.legal_status")
    patentees = fields.List(fields.String())
    listing_id = fields.Integer(allow_none=True)
    fee_terms = fields.Dict(metadata={"description": "FeeTerms: mode, amounts in fen, royalty base and rate"})
    fee_description = fields.Method("describe_zh", metadata={
        "json_schema": {"type": "string", "description": "The fee standard in words (Chinese)."}})
    fee_description_en = fields.Method("describe_en", metadata={
        "json_schema": {"type": "string", "description": "The fee standard in words (English)."}})
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    territory = fields.String()
    other_terms = fields.String()
    fee_basis_note = fields.String()
    contact = fields.String()
    cnipa_filing_date = fields.Date(allow_none=True)
    announce_date = fields.Date(allow_none=True)
    gazette_issue = fields.String()
    withdraw_request_date = fields.Date(allow_none=True)
    withdraw_announce_date = fields.Date(allow_none=True)
    updated_at = UtcDateTime()
    services = fields.Nested(ServiceSchema, many=True, attribute="services_on_offer", metadata={
        "description": "Optional priced technical services on offer beside the licence (amounts in fen); "
                       "the platform's offer, not part of the declaration"})

    def describe_zh(self, decl) -> str:
        return _describe(decl, "zh")

    def describe_en(self, decl) -> str:
        return _describe(decl, "en")


def _describe(decl, lang: str) -> str:
    try:
        return FeeTerms.from_dict(decl.fee_terms).describe(lang)
    except DomainError:
        return ""


class LicenceSchema(BaseSchema):
    """An open licence taken: the deal, its contract number, status, dates and sums due."""

    id = fields.Integer()
    reference = fields.String()
    kind = fields.String()
    status = fields.String()
    declaration_id = fields.Integer()
    patent_id = fields.Integer()
    application_number = fields.String(attribute="patent.application_number")
    seller_org_id = fields.Integer()
    buyer_org_id = fields.Integer()
    point_id = fields.Integer(allow_none=True)
    price_fen = fields.Integer(allow_none=True)
    fee_terms = fields.Dict()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    territory = fields.String()
    licensed_date = fields.Date(allow_none=True)
    filing_deadline = fields.Date(allow_none=True)
    notice_delivered_at = UtcDateTime(allow_none=True)
    # Issue 12 §4: SELF_DECLARED, DOCUMENTED (the platform's notice and payment records) or VERIFIED.
    services = fields.Method("taken_of", metadata={"json_schema": {
        "type": "array", "items": {"type": "object", "properties": {
            "service_id": {"type": "integer"}, "kind": {"type": "string"}, "description": {"type": "string"},
            "unit": {"type": "string"}, "unit_price_fen": {"type": "integer"}, "quantity": {"type": "integer"},
            "amount_fen": {"type": "integer"}}},
        "description": "Technical services chosen with the licence; their fee is the SERVICE_FEE payment"}})
    evidence_level = fields.String(metadata={"description": "SELF_DECLARED, DOCUMENTED or VERIFIED (CNIPA register "
                                                            "or the point operator); public figures count VERIFIED only"})
    payments = fields.Method("payments_of", metadata={"json_schema": {
        "type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "sequence": {"type": "integer"},
            "amount_fen": {"type": "integer"}, "due_date": {"type": "string", "format": "date", "nullable": True},
            "status": {"type": "string"}}}}})
    links = fields.Method("links_of", metadata={"json_schema": {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "Contract (HTML, PDF), written notice and filing package"}})

    def taken_of(self, deal) -> list[dict]:
        return TakenServiceSchema(many=True).dump(taken_services(deal))

    def payments_of(self, deal) -> list[dict]:
        return [{"id": p.id, "kind": p.kind, "sequence": p.sequence, "amount_fen": p.amount_fen,
                 "due_date": p.due_date.isoformat() if p.due_date else None, "status": p.status}
                for p in db.session.scalars(select(Payment).where(Payment.deal_id == deal.id).order_by(Payment.id))]

    def links_of(self, deal) -> dict:
        base = f"/deals/{deal.id}"
        return {"licence": base + "/licence", "contract": base + "/contract", "contract_pdf": base + "/contract.pdf",
                "notice": base + "/notice", "filing_package": base + "/filing-package",
                "filing_package_pdf": base + "/filing-package.pdf"}
