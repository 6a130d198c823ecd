"""The lot form and API bodies: amounts typed in 元 (fen in the services), a period in working days."""

from __future__ import annotations

from marshmallow import fields, validate

from listings.views.forms import YuanField
from market.core.schemas import BaseSchema, TrimmedString
from market.deals.exchange.lots import LOT_KINDS, MAX_BIDDING_HOURS, MAX_WORKING_DAYS, MIN_WORKING_DAYS
from market.deals.exchange.models import BiddingFormat, LotMethod

_KINDS = [k.value for k in LOT_KINDS]


class LotForm(BaseSchema):
    """Opening (or re-opening) a lot. Whether the terms fit together is the service's check."""

    method = fields.String(load_default=LotMethod.LISTING.value, validate=validate.OneOf([m.value for m in LotMethod]))
    deal_kind = fields.String(required=True, validate=validate.OneOf(_KINDS))
    price_fen = YuanField(data_key="price_yuan", required=True)
    floor_fen = YuanField(data_key="floor_yuan", load_default=None)
    approved_value_fen = YuanField(data_key="approved_value_yuan", load_default=None)
    valuation_filing_no = TrimmedString(load_default="", validate=validate.Length(max=80))
    reserve_fen = YuanField(data_key="reserve_yuan", load_default=None)
    increment_fen = YuanField(data_key="increment_yuan", load_default=None)
    deposit_fen = YuanField(data_key="deposit_yuan", load_default=None)
    qualifications = TrimmedString(required=True, validate=validate.Length(min=1, max=2000))
    disclosure_working_days = fields.Integer(load_default=20, validate=validate.Range(MIN_WORKING_DAYS, MAX_WORKING_DAYS))
    bidding_format = fields.String(load_default=BiddingFormat.ASCENDING.value,
                                   validate=validate.OneOf([b.value for b in BiddingFormat]))
    extension_minutes = fields.Integer(load_default=5, validate=validate.Range(0, 60))
    bidding_hours = fields.Integer(load_default=1, validate=validate.Range(1, MAX_BIDDING_HOURS))
    auction_house = TrimmedString(load_default="", validate=validate.Length(max=200))


def _fen(required: bool = False, minimum: int = 0):
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return fields.Integer(strict=True, validate=validate.Range(minimum, 10**13), **kwargs)


class LotApiInput(BaseSchema):
    """Opening a lot on the API: amounts are integer fen (as every amount on the API)."""

    listing_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    method = fields.String(load_default=LotMethod.LISTING.value, validate=validate.OneOf([m.value for m in LotMethod]))
    deal_kind = fields.String(required=True, validate=validate.OneOf(_KINDS))
    price_fen = _fen(required=True, minimum=1)
    floor_fen = _fen()
    approved_value_fen = _fen()
    valuation_filing_no = TrimmedString(load_default="", validate=validate.Length(max=80))
    reserve_fen = _fen(minimum=1)
    increment_fen = _fen(minimum=1)
    deposit_fen = _fen()
    qualifications = TrimmedString(required=True, validate=validate.Length(min=1, max=2000))
    disclosure_working_days = fields.Integer(strict=True, load_default=20,
                                             validate=validate.Range(MIN_WORKING_DAYS, MAX_WORKING_DAYS))
    bidding_format = fields.String(load_default=BiddingFormat.ASCENDING.value,
                                   validate=validate.OneOf([b.value for b in BiddingFormat]))
    extension_minutes = fields.Integer(strict=True, load_default=5, validate=validate.Range(0, 60))
    bidding_hours = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, MAX_BIDDING_HOURS))
    auction_house = TrimmedString(load_default="", validate=validate.Length(max=200))


class RegistrationInput(BaseSchema):
    statement = TrimmedString(load_default="", validate=validate.Length(max=1000))


class LotOut(BaseSchema):
    """A lot as the public sees it: no registrant's name, never an auction's reserve."""

    id = fields.Integer()
    reference = fields.String()
    listing_id = fields.Integer()
    patent_title = fields.String()
    application_number = fields.String()
    seller = fields.String()
    method = fields.String()
    deal_kind = fields.String()
    status = fields.String()
    price_fen = fields.Integer()
    deposit_fen = fields.Integer()
    increment_fen = fields.Integer()
    qualifications = fields.String()
    disclosure_working_days = fields.Integer()
    opens_at = fields.DateTime()
    registration_closes_at = fields.DateTime()
    last_day = fields.Date()
    working_days_left = fields.Integer()
    registrations = fields.Integer(metadata={"description": "How many have registered (never who)"})
    conducted_by = fields.String()
    previous_lot_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)


class RegistrationOut(BaseSchema):
    id = fields.Integer()
    lot_id = fields.Integer()
    status = fields.String()
    decision_reason = fields.String()
    deposit_status = fields.String()
    deposit_payment_id = fields.Integer(allow_none=True)
