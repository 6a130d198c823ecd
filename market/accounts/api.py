"""Organisations and the caller's own account on the JSON API (routes on market.web.api.bp)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from market.accounts import services
from market.accounts.models import Organisation, User
from market.accounts.vocabulary import OrgStatus, OrgType, Role, SoeLevel
from market.core.errors import NotFound
from market.core.extensions import db
from market.core.schemas import MAX_INT, BaseSchema, PagingArgsSchema, UtcDateTime, load_args
from market.web.actions import run_api_action
from market.web.api import paginated, route
from market.web.openapi import describe, query_params


class OrganisationArgsSchema(PagingArgsSchema):
    org_type = fields.String(load_default=None, validate=validate.OneOf([t.value for t in OrgType]),
                             metadata={"description": "Only organisations of this type."})


class OrganisationSchema(BaseSchema):
    """What anyone may read about an approved organisation."""

    id = fields.Integer()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    org_type = fields.String(validate=validate.OneOf([t.value for t in OrgType]))
    soe_level = fields.String(allow_none=True, validate=validate.OneOf([s.value for s in SoeLevel]))
    district = fields.String()
    province = fields.String()
    country = fields.String()
    description = fields.String()
    status = fields.String(validate=validate.OneOf([s.value for s in OrgStatus]))
    approved_at = UtcDateTime(allow_none=True)


class OwnOrganisationSchema(OrganisationSchema):
    """An organisation as its own members see it, with registration and contact details."""

    uscc = fields.String(allow_none=True)
    address = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.String()
    status_note = fields.String()


class UserSchema(BaseSchema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    language = fields.String()
    active = fields.Boolean()


class MeSchema(BaseSchema):
    user = fields.Nested(UserSchema)
    organisation = fields.Nested(OwnOrganisationSchema)
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))


@route("/organisations", summary="Approved organisations", tag="organisations",
       params=query_params(OrganisationArgsSchema), response=OrganisationSchema, paginated=True)
def organisation_list():
    args = load_args(OrganisationArgsSchema(), request.args)
    stmt = select(Organisation).where(Organisation.status == OrgStatus.APPROVED).order_by(Organisation.name)
    if args["org_type"]:
        stmt = stmt.where(Organisation.org_type == args["org_type"])
    page = db.paginate(stmt, page=args["page"], per_page=args["per_page"], error_out=False)
    return paginated(OrganisationSchema(many=True).dump(page.items), page.total or 0,
                     args["page"], args["per_page"])


@route("/organisations/<int:id>", summary="One approved organisation (or your own, in any status)",
       tag="organisations", response=OrganisationSchema)
def organisation_get(id: int):
    own = current_user.is_authenticated and current_user.organisation_id == id
    org = db.session.get(Organisation, id) if id <= MAX_INT else None
    if org is None or not (org.status == OrgStatus.APPROVED or own):
        raise NotFound("org_not_found", "机构不存在", "No such organisation")
    return OrganisationSchema().dump(org)


@route("/me", summary="The token's user, organisation and role", tag="account", auth=True,
       response=MeSchema)
def me():
    user = current_user._get_current_object()
    return MeSchema().dump({"user": user, "organisation": user.organisation, "role": user.role})


# A member may read its own organisation before it is approved.
describe("organisation_get", optional_auth=True)


@route("/members", summary="The members of your organisation", tag="account", auth=True,
       response=UserSchema, many=True)
def member_list():
    members = db.session.scalars(select(User).where(User.organisation_id == current_user.organisation_id)
                                 .order_by(User.id)).all()
    return UserSchema(many=True).dump(members)


@route("/members/<int:id>/deactivate", methods=("POST",), summary="Deactivate a member of your organisation "
       "(admins only): their sessions and API tokens end at once", tag="account", auth=True, response=UserSchema)
def member_deactivate(id: int):
    member = run_api_action(lambda: services.deactivate_member(current_user._get_current_object(), id))
    return UserSchema().dump(member)
