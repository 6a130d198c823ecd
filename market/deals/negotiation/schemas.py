"""Input and output schemas of negotiated deals, for the deal pages' forms and the JSON API."""

from __future__ import annotations

from marshmallow import fields, validate

from listings.schemas import JsonBoolean, UtcDateTime
from listings.views.forms import YuanField
from market.core.schemas import BaseSchema, TrimmedString
from market.deals import evidence
from market.deals.vocabulary import (
    DealKind,
    DealStatus,
    EvidenceLevel,
    FeeMode,
    LedgerEvent,
    PaymentPeriod,
    RoyaltyBase,
)

MAX_INT = 2**31 - 1
MAX_FEN = 10**15


def _text(limit: int, **kw) -> TrimmedString:
    return TrimmedString(load_default="", validate=validate.Length(max=limit), **kw)


# ---- the JSON API: input ------------------------------------------------------------------------

class TermsIn(BaseSchema):
    """Proposed terms. Licences: a term and a fee (price_fen as a lump sum, or full fee_terms);
    transfers: price_fen; equity: price_fen (the agreed value) and share_pct."""

    price_fen = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=0, max=MAX_FEN))
    fee_terms = fields.Dict(load_default=None, allow_none=True, metadata={
        "description": "FeeTerms: mode (LUMP_SUM, INSTALLMENTS, ROYALTY, ENTRY_PLUS_ROYALTY, FREE), lump_fen, "
                       "instalments [{amount_fen, months_after_start}], entry_fee_fen, royalty_base, "
                       "royalty_rate (percent), rate_schedule, payment_period."})
    start_date = fields.Date(load_default=None, allow_none=True)
    end_date = fields.Date(load_default=None, allow_none=True)
    territory = _text(200)
    field_of_use = _text(500)
    sublicense_allowed = JsonBoolean(load_default=False)
    share_pct = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=12),
                              metadata={"description": "Equity: the share bought, in percent (e.g. \"12.5\")."})


class OfferIn(TermsIn):
    message = _text(2000)


class DealRequestIn(BaseSchema):
    listing_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_INT))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        [k.value for k in DealKind if k != DealKind.OPEN_LICENSE] + ["LICENSE"]),
        metadata={"description": "Omitted or LICENSE: an ordinary licence (R-LC-1)."})
    message = _text(2000)
    demand_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1, max=MAX_INT))
    terms = fields.Nested(TermsIn, load_default=None, allow_none=True)
    accept_listed_terms = JsonBoolean(load_default=False, metadata={
        "description": "Take a fixed-price listing on its listed terms: the deal is AGREED at once."})
    start_date = fields.Date(load_default=None, allow_none=True,
                             metadata={"description": "With accept_listed_terms: the licence's first day."})
    end_date = fields.Date(load_default=None, allow_none=True,
                           metadata={"description": "With accept_listed_terms: the licence's last day."})


class AcceptIn(BaseSchema):
    offer_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=MAX_INT),
                              metadata={"description": "The offer seen; refused if a newer one replaced it."})


class ReasonIn(BaseSchema):
    reason = TrimmedString(required=True, validate=validate.Length(min=1, max=500))


class EndingIn(BaseSchema):
    """A proposal to terminate or rescind (Civil Code 557, 562-563); the other party must confirm it."""

    ground = fields.String(required=True, metadata={"description": "AGREED_RESCISSION, AGREED_EVENT, FORCE_MAJEURE, "
                                                    "REPUDIATION, DELAY_AFTER_DEMAND, FUNDAMENTAL_BREACH, "
                                                    "AGREED_TERMINATION or PERFORMED"})
    explanation = TrimmedString(required=True, validate=validate.Length(min=1, max=1000))
    refund_fen = fields.Integer(load_default=0, validate=validate.Range(min=0))


class EndingAnswerIn(BaseSchema):
    accept = fields.Boolean(required=True, metadata={"description": "true ends the deal as proposed"})
    reason = TrimmedString(load_default="", validate=validate.Length(max=500))


class SignIn(BaseSchema):
    """A party's signature: the SHA-256 of the contract text it confirms (GET /deals/{id}: contract.sha256)."""

    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
                           metadata={"description": "SHA-256 of the contract text to sign (64 hex digits)"})


class FilingIn(BaseSchema):
    record_no = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    filing_date = fields.Date(required=True)


class RegistrationIn(BaseSchema):
    registered_on = fields.Date(required=True)
    registration_no = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    application_number = TrimmedString(load_default=None, validate=validate.Length(max=40), metadata={
        "description": "For a package (专利包): which of its patents CNIPA registered; each is registered on its own."})


# ---- the JSON API: output ------------------------------------------------------------------------

class PartyOut(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    org_type = fields.String()


class OfferOut(BaseSchema):
    id = fields.Integer()
    from_org_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(["OPEN", "ACCEPTED", "SUPERSEDED", "DECLINED", "WITHDRAWN"]))
    price_fen = fields.Integer(allow_none=True)
    fee_terms = fields.Dict()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    territory = fields.String()
    field_of_use = fields.String()
    sublicense_allowed = fields.Boolean()
    share_pct = fields.String(allow_none=True)
    message = fields.String()
    created_at = UtcDateTime()


class LedgerLineOut(BaseSchema):
    seq = fields.Integer()
    kind = fields.String(validate=validate.OneOf([k.value for k in LedgerEvent]))
    occurred_on = fields.Date()
    recorded_at = UtcDateTime()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    amount_fen = fields.Integer(allow_none=True)
    actor_org_id = fields.Integer(allow_none=True)
    note = fields.String()
    evidence = fields.Dict()


class ApprovalOut(BaseSchema):
    code = fields.String()
    rule = fields.String()
    title = fields.String()
    basis = fields.String(metadata={"description": "The law that requires this approval, in words."})
    done = fields.Boolean()
    sign_from = fields.Date(allow_none=True, metadata={"description": "Publicity: the first day to sign."})


class PaymentOut(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    sequence = fields.Integer()
    amount_fen = fields.Integer()
    currency = fields.String()
    due_date = fields.Date(allow_none=True)
    status = fields.String()


class DealOut(BaseSchema):
    id = fields.Integer()
    reference = fields.String(allow_none=True)
    kind = fields.String(validate=validate.OneOf([k.value for k in DealKind]))
    status = fields.String(validate=validate.OneOf([s.value for s in DealStatus]))
    patent_id = fields.Integer()
    application_number = fields.String(attribute="patent.application_number")
    title = fields.String(attribute="patent.title")
    listing_id = fields.Integer(allow_none=True)
    seller = fields.Nested(PartyOut)
    buyer = fields.Nested(PartyOut)
    point_id = fields.Integer(allow_none=True)
    pricing_method = fields.String(allow_none=True, metadata={
        "description": "The listing's pricing label as the seller typed it; shown, never relied on."})
    price_formed_by = fields.String(metadata={
        "description": "How the price was formed: AGREEMENT unless the platform's own listing or auction set it."})
    price_fen = fields.Integer(allow_none=True)
    fee_terms = fields.Dict()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    territory = fields.String()
    field_of_use = fields.String()
    sublicense_allowed = fields.Boolean()
    share_pct = fields.String(allow_none=True)
    signed_date = fields.Date(allow_none=True)
    effective_date = fields.Date(allow_none=True)
    filing_deadline = fields.Date(allow_none=True)
    filing_date = fields.Date(allow_none=True)
    filing_record_no = fields.String(allow_none=True)
    registration_filed_date = fields.Date(allow_none=True)
    registration_date = fields.Date(allow_none=True)
    registration_no = fields.String(allow_none=True)
    capital_registered_date = fields.Date(allow_none=True)
    completed_date = fields.Date(allow_none=True)
    void_reason = fields.String()
    # Issue 12 §4: how far the record can be checked; the public figures count VERIFIED deals only.
    evidence_level = fields.String(validate=validate.OneOf([e.value for e in EvidenceLevel]),
                                   metadata={"description": "SELF_DECLARED (the parties' word), DOCUMENTED (an "
                                             "authority's certificate, a payment the payee confirmed, or the platform's "
                                             "own records) or VERIFIED (CNIPA register or the point operator)"})
    # An amount above DEAL_AMOUNT_REVIEW_FEN counts in no figure until the point operator confirms it.
    amount_under_review = fields.Function(evidence.awaits_amount_review, metadata={"type": "boolean"})
    created_at = UtcDateTime()


class ContractOut(BaseSchema):
    sha256 = fields.String(allow_none=True, metadata={
        "description": "What a party confirms to sign (POST /deals/{id}/sign); null before agreement"})
    frozen = fields.Boolean(metadata={"description": "The text was frozen by a first signature"})
    signed_by = fields.List(fields.String(), metadata={"description": "seller / buyer: who confirmed this text"})
    pdf_sha256 = fields.String(allow_none=True)


class DealDetailOut(DealOut):
    contract = fields.Nested(ContractOut, attribute="contract_out")
    filing_evidence = fields.String(allow_none=True, metadata={
        "description": "declared (a party typed the filing number) or verified (register or point operator)"})
    registration_evidence = fields.String(allow_none=True, metadata={
        "description": "declared or verified, as filing_evidence"})
    offers = fields.List(fields.Nested(OfferOut))
    approvals = fields.List(fields.Nested(ApprovalOut), attribute="checklist_out")
    payments = fields.List(fields.Nested(PaymentOut), attribute="payments_out")
    ledger = fields.List(fields.Nested(LedgerLineOut), attribute="ledger_out")


# ---- the deal pages' forms -----------------------------------------------------------------------

class FormDate(fields.Date):
    """An optional date of an HTML form: a browser sends the field empty when nobody filled it in,
    and the label promises a default then ("默认今天", "默认同签约日"), not a format error."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize(None if value == "" else value, attr, data, **kwargs)


class OfferForm(BaseSchema):
    """An offer as typed on the deal page: amounts in 元, a fee mode, dates, scope."""

    price_fen = YuanField(data_key="price_yuan", load_default=None)
    fee_mode = fields.String(load_default="", validate=validate.OneOf(
        ["", FeeMode.LUMP_SUM.value, FeeMode.ROYALTY.value, FeeMode.ENTRY_PLUS_ROYALTY.value, FeeMode.FREE.value]))
    royalty_base = fields.String(load_default="", validate=validate.OneOf([""] + [b.value for b in RoyaltyBase]))
    royalty_rate = _text(12)
    payment_period = fields.String(load_default="", validate=validate.OneOf([""] + [p.value for p in PaymentPeriod]))
    start_date = FormDate(load_default=None, allow_none=True)
    end_date = FormDate(load_default=None, allow_none=True)
    territory = _text(200)
    field_of_use = _text(500)
    sublicense_allowed = fields.Boolean(load_default=False)
    share_pct = _text(12)
    message = _text(2000)

    def to_terms(self, data: dict) -> dict:
        """The service's terms dict; a royalty mode builds fee_terms, otherwise the price is a lump sum."""
        terms = {k: data.get(k) for k in ("price_fen", "start_date", "end_date", "territory", "field_of_use",
                                          "sublicense_allowed", "share_pct")}
        mode = data.get("fee_mode")
        if mode == FeeMode.FREE:
            terms["fee_terms"] = {"mode": mode}
        elif mode in (FeeMode.ROYALTY, FeeMode.ENTRY_PLUS_ROYALTY):
            fee = {"mode": mode, "royalty_base": data.get("royalty_base"), "royalty_rate": data.get("royalty_rate"),
                   "payment_period": data.get("payment_period") or PaymentPeriod.ANNUAL.value}
            if mode == FeeMode.ENTRY_PLUS_ROYALTY:
                fee["entry_fee_fen"] = data.get("price_fen")
            else:
                terms["price_fen"] = None
            terms["fee_terms"] = fee
        return terms


class DateForm(BaseSchema):
    on = fields.Date(required=True)


class FilingForm(BaseSchema):
    record_no = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    filing_date = fields.Date(required=True)


class RegistrationForm(BaseSchema):
    registered_on = fields.Date(required=True)
    registration_no = TrimmedString(required=True, validate=validate.Length(min=1, max=60))
    application_number = TrimmedString(load_default=None, validate=validate.Length(max=40), metadata={
        "description": "For a package (专利包): which of its patents CNIPA registered; each is registered on its own."})
