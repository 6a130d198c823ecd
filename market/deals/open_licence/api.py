"""Open licences on the JSON API: the announced declarations, and taking one (routes on market.web.api.bp)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from listings.schemas import MAX_INT, load_args
from market.core.errors import NotFound
from market.core.extensions import db
from market.deals.open_licence import declarations as services
from market.deals.open_licence.acquisition import existing_licence, take_open_licence
from market.deals.open_licence.schemas import DeclarationArgsSchema, DeclarationSchema, LicenceSchema, TakeBodySchema
from market.web.api import body_of, paginated, route
from market.web.openapi import describe, query_params


@route("/open-licences", summary="Open-licence declarations in effect (announced by CNIPA), newest first",
       tag="open licences", params=query_params(DeclarationArgsSchema), response=DeclarationSchema, paginated=True)
def open_licence_list():
    args = load_args(DeclarationArgsSchema(), request.args)
    items = services.announced_declarations(limit=args["per_page"], offset=(args["page"] - 1) * args["per_page"])
    return paginated(DeclarationSchema(many=True).dump(items), services.count_announced(), args["page"],
                     args["per_page"])


@route("/open-licences/<int:declaration_id>/take", methods=("POST",), tag="open licences", auth=True,
       summary="Take an announced open licence for your organisation: the written notice is delivered, the fee "
               "computed; repeating the call returns the same licence. An optional body chooses offered technical "
               "services ({\"services\": [{\"id\": 1, \"quantity\": 2}]}); the licence never depends on them",
       body=TakeBodySchema, response=LicenceSchema, status=201)
def open_licence_take(declaration_id: int):
    if declaration_id > MAX_INT:
        raise NotFound("open_licence.not_found", "开放许可声明不存在", "No such open-licence declaration")
    user = current_user._get_current_object()
    decl = services.get_declaration(declaration_id)
    if not services.can_view(user, decl):  # a draft of another organisation does not exist here
        raise NotFound("open_licence.not_found", "开放许可声明不存在", "No such open-licence declaration")
    # The body is optional: a take without one chooses no services.
    chosen = body_of(TakeBodySchema()) if request.get_data(cache=True) else {"services": []}
    quantities = {s["id"]: s["quantity"] for s in chosen["services"]}
    had = existing_licence(declaration_id, user.organisation_id)
    try:
        deal = take_open_licence(declaration_id, user.organisation, user, services=quantities)
        db.session.commit()
    except IntegrityError:  # a concurrent double submit committed first: answer with its licence
        db.session.rollback()
        deal = existing_licence(declaration_id, user.organisation_id)
        if deal is None:
            raise
        had = deal
    return LicenceSchema().dump(deal), 200 if had is not None else 201


describe("open_licence_take", body_required=False,
         also={200: "Your organisation had already taken this licence: the same one"})
