"""Input schemas for registration, login, tokens and organisation decisions."""

from __future__ import annotations

from marshmallow import fields, validate

from market.accounts.vocabulary import OrgType, SoeLevel
from market.core.schemas import BaseSchema, TrimmedString


def address_field() -> TrimmedString:
    """住所: contracts and licence filings name each party's registered address (REC 9), so it is
    asked where the organisation first appears and kept on its profile; a place name alone is no address."""
    return TrimmedString(required=True, validate=validate.Length(min=5, max=300))


class RegistrationSchema(BaseSchema):
    name = TrimmedString(required=True, validate=validate.Length(min=2, max=200))
    name_en = TrimmedString(load_default="", validate=validate.Length(max=200))
    org_type = fields.String(required=True, validate=validate.OneOf([t.value for t in OrgType]))
    soe_level = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf([s.value for s in SoeLevel] + [""]))
    uscc = TrimmedString(load_default="", validate=validate.Length(max=30))
    wholly_state_owned = fields.Boolean(load_default=False)
    is_state_funded_rnd = fields.Boolean(load_default=False)
    district = TrimmedString(load_default="", validate=validate.Length(max=40))
    address = address_field()
    contact_name = TrimmedString(required=True, validate=validate.Length(min=1, max=80))
    contact_phone = TrimmedString(load_default="", validate=validate.Length(max=40))
    email = fields.Email(required=True)
    user_name = TrimmedString(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OrganisationProfileSchema(BaseSchema):
    """What an organisation's admin keeps up to date itself; name, type and credit code stay as the
    bureau approved them."""

    address = address_field()
    district = TrimmedString(load_default="", validate=validate.Length(max=40))
    contact_name = TrimmedString(required=True, validate=validate.Length(min=1, max=80))
    contact_phone = TrimmedString(load_default="", validate=validate.Length(max=40))


class LoginSchema(BaseSchema):
    email = TrimmedString(required=True)
    password = fields.String(required=True)


class TokenSchema(BaseSchema):
    name = TrimmedString(load_default="API", validate=validate.Length(max=80))


class MemberSchema(BaseSchema):
    email = fields.Email(required=True)
    name = TrimmedString(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True)
    role = fields.String(load_default="MEMBER", validate=validate.OneOf(["ADMIN", "MEMBER"]))


class PasswordSchema(BaseSchema):
    current = fields.String(required=True)
    new = fields.String(required=True)


class BankAccountSchema(BaseSchema):
    bank_account_name = TrimmedString(required=True, validate=validate.Length(min=2, max=200))
    bank_name = TrimmedString(required=True, validate=validate.Length(min=2, max=200))
    # Mainland account numbers are 8–30 digits; spaces are only for reading.
    bank_account_no = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9 ]{8,40}$", error="账号只能包含数字 / The account number may contain digits only"))
