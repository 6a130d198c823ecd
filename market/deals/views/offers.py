"""Deal requests, offers and acceptance on the pages: forms that keep their input, acceptance confirmed first.

A refused offer or request comes back as the same form, every input kept and every problem beside
its field at once (issue 15 §6): the form's own checks (marshmallow, localised) and then the terms'
check of the service, so that a bad amount and a term past the patent's life are both named in one
submit. Accepting an offer or the listed terms binds the organisation to a price: a page says what
will happen, with whom and for how much, and the POST needs its explicit confirmation (as `sign`).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from listings.services import get_listing
from listings.vocabulary import ListingStatus
from market.core.errors import DomainError
from market.core.i18n import get_lang, t
from market.core.schemas import load
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.hooks import own_demand
from market.deals.models import Deal
from market.deals.negotiation.schemas import OfferForm
from market.deals.permissions import can_act
from market.deals.views.blueprint import bp
from market.deals.views.negotiated import act, confirmed, deal_or_404, render_deal
from market.deals.vocabulary import LICENCE_KINDS, DealKind, PaymentPeriod, RoyaltyBase
from market.web.actions import run_action

# The service names the terms' fields; the form names its inputs (an amount is typed in 元).
FORM_FIELD = {"price_fen": "price_yuan", "lump_fen": "price_yuan", "entry_fee_fen": "price_yuan",
              "fee_terms": "fee_mode", "mode": "fee_mode", "instalments": "fee_mode"}
OFFER_INPUTS = ("price_yuan", "fee_mode", "royalty_base", "royalty_rate", "payment_period", "start_date",
                "end_date", "territory", "field_of_use", "sublicense_allowed", "share_pct", "message")


def _field_of(error: DomainError) -> str:
    return FORM_FIELD.get(error.field or "", error.field or "price_yuan")


def offer_input(kind: str | None, patent) -> tuple[dict, dict]:
    """The typed offer and every problem with it: the form's, then the terms' own check on what was valid."""
    values, errors = load(OfferForm(), request.form)
    try:
        if kind in DealKind.__members__:
            n.clean_terms(kind, patent, OfferForm().to_terms(values), complete=False)
    except DomainError as err:
        # A field that already has the form's complaint keeps it: one clear message per field.
        errors.setdefault(_field_of(err), [err.message(get_lang())])
    return values, errors


def typed() -> dict:
    """What the user typed, to put back into the form."""
    return {name: request.form.get(name, "") for name in OFFER_INPUTS}


def _listing(raw: str):
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    try:
        listing = get_listing(int(raw))
    except DomainError:
        abort(404)
    if listing.status != ListingStatus.PUBLISHED:
        abort(404)
    return listing


def _kinds(listing) -> list[str]:
    return [k for k in listing.modes if k != DealKind.OPEN_LICENSE]


def _render_new(listing, kind: str, demand_id: str, values: dict | None = None, errors: dict | None = None):
    return render_template("deals/new.html", listing=listing, kind=kind, kinds=_kinds(listing),
                           royalty_bases=list(RoyaltyBase), periods=list(PaymentPeriod),
                           fixed=not listing.price_negotiable and listing.asking_price_fen is not None,
                           demand_id=demand_id, values=values or {}, errors=errors or {}), 422 if errors else 200


@bp.get("/new")
@login_required
def new():
    """The request form for a listing: a licence, transfer or equity deal, with optional first terms."""
    listing = _listing(request.args.get("listing", ""))
    kind = request.args.get("kind") or ""
    kinds = _kinds(listing)
    if kind not in kinds:
        kind = kinds[0] if kinds else ""
    return _render_new(listing, kind, request.args.get("demand", ""))


@bp.get("/new/listed")
@login_required
def listed_confirm():
    """What taking the listed terms binds the buyer to: the seller, the price, the term; nothing changes on GET."""
    listing = _listing(request.args.get("listing", ""))
    kind = request.args.get("kind") or ""
    if kind not in _kinds(listing) or kind == DealKind.EQUITY or listing.price_negotiable \
            or listing.asking_price_fen is None:
        abort(404)
    patent = listing.patent
    start, end = request.args.get("start_date", ""), request.args.get("end_date", "")
    return render_template("deals/confirm_listed.html", listing=listing, patent=patent, kind=kind,
                           licence=kind in LICENCE_KINDS, start=start, end=end,
                           shown_start=start or today_local().isoformat(),
                           shown_end=end or (patent.last_protected_day.isoformat() if patent.last_protected_day else ""),
                           demand_id=request.args.get("demand", ""))


@bp.post("/new")
@login_required
def create():
    listing = _listing(request.form.get("listing_id", ""))
    kind = request.form.get("kind") or None
    demand_id = request.form.get("demand_id", "")
    demand = None
    if demand_id.isdigit():
        demand = own_demand(int(demand_id), current_user.organisation_id)
        if demand is None:
            abort(404)
    listed = bool(request.form.get("accept_listed"))
    values, errors = offer_input(None if listed else kind, listing.patent)
    if errors and not listed:
        return _render_new(listing, kind or "", demand_id, typed(), errors)

    def request_it():
        if errors:  # the listed terms' dates: the confirmation page took them as typed
            field, messages = next(iter(errors.items()))
            raise DomainError("deal.form", messages[0], messages[0], field=field)
        if listed:
            confirmed()
            made = n.accept_listed_terms(current_user, listing, kind, start_date=values.get("start_date"),
                                         end_date=values.get("end_date"), message=values.get("message", ""),
                                         demand=demand)
            return made, ("已按挂牌条件达成一致，请办理审批与签约", "Agreed on the listed terms; approvals and signature are next")
        made = n.request_deal(current_user, listing, kind, terms=OfferForm().to_terms(values),
                              message=values.get("message", ""), demand=demand)
        return made, ("交易已发起，等待专利权人答复", "Deal requested; waiting for the patentee")

    done = run_action(request_it, abort_on=(403,))
    if not done.ok:
        if not listed and done.error.field not in (None, "kind", "listing_id"):
            return _render_new(listing, kind or "", demand_id, typed(), {_field_of(done.error): [done.message]})
        flash(done.message, "error")
        return redirect(url_for("deals.new", listing=listing.id, kind=kind or ""))
    made, message = done.value
    flash(t(*message), "success")
    return redirect(url_for("deals.deal", deal_id=made.id))


# ---- negotiation ------------------------------------------------------------------------------------

@bp.post("/<int:deal_id>/offers")
@login_required
def offer(deal_id: int):
    item = deal_or_404(deal_id)
    if not can_act(current_user, item):
        abort(403)
    values, errors = offer_input(item.kind, item.patent)
    if errors:
        return render_deal(item, offer_values=typed(), offer_errors=errors), 422

    def run(stored):
        n.make_offer(current_user, item, OfferForm().to_terms(values), values.get("message", ""))

    return act(item, run, ("报价已发送", "Offer sent"), anchor="offers")


def _offer_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31 else None


@bp.get("/<int:deal_id>/accept")
@login_required
def accept_page(deal_id: int):
    """The confirmation before accepting: the terms, the other party, the amount; nothing changes on GET."""
    item = deal_or_404(deal_id)
    if not can_act(current_user, item):
        abort(403)
    offer = n.open_offer(item) if item.status == "NEGOTIATING" else None
    wanted = _offer_id(request.args.get("offer_id", ""))
    if offer is None or (wanted is not None and offer.id != wanted):
        flash(t("该报价已被新的报价取代或已失效，请查看最新报价。",
                "That offer has been replaced or withdrawn; look at the latest one."), "error")
        return redirect(url_for("deals.deal", deal_id=item.id) + "#offers")
    side = item.party_of(current_user.organisation_id)
    other = item.buyer if side == "seller" else item.seller
    return render_template("deals/confirm_accept.html", deal=item, offer=offer, other=other, side=side)


@bp.post("/<int:deal_id>/accept")
@login_required
def accept(deal_id: int):
    item: Deal = deal_or_404(deal_id)
    offer_id = _offer_id(request.form.get("offer_id", ""))

    def run(stored):
        if can_act(current_user, item):
            confirmed()
        n.accept_offer(current_user, item, offer_id)

    return act(item, run, ("已接受报价，双方达成一致", "Offer accepted; the terms are agreed"))
