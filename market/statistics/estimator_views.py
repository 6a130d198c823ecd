"""The open-licence fee estimator as a page and an HTML fragment (issue 14; the JSON is estimator_api.py).

The declaration assistant (market/deals, a lower floor) shows a panel when `fee_estimate_url` is in
its template context; the panel's small GET form loads the fragment in place (or opens this page
without JavaScript). "Use these terms" links back to the assistant with the fee fields in the query
string: nothing is written until the patentee submits the assistant's own form. Reading only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from listings.models import Patent
from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.money import yuan_plain
from market.core.time import today_local
from market.deals.open_licence.queries import fee_caps, owner_org_ids
from market.deals.vocabulary import FeeMode
from market.statistics import estimator, pricing, royalty_references
from market.statistics.pricing_views import MAX_TEXT, subject

bp = Blueprint("estimator", __name__, url_prefix="/pricing")
INPUTS = ("app_no", "ipc", "industry", "sales_yuan", "profit_yuan", "years", "entry_yuan", "rate")


def estimate_url(*, app_no: str | None = None, partial: bool = False) -> str:
    args = {"app_no": app_no} if app_no else {}
    if partial:
        args["partial"] = "1"
    if get_lang() == "en":
        args["lang"] = "en"
    return url_for("estimator.estimate", **args)


@bp.app_context_processor
def _offer_estimator() -> dict:
    return {"fee_estimate_url": estimate_url}


@dataclass
class Outcome:
    patent: Patent | None
    errors: dict[str, list[str]]
    result: estimator.Estimate | None = None
    table: royalty_references.Table = field(default_factory=royalty_references.load_table)


def max_years(patent: Patent | None, today) -> int:
    """Whole years of use the patent's remaining term allows (a licence ends with the patent, R-OL-6)."""
    if patent is None or patent.last_protected_day is None:
        return estimator.MAX_YEARS
    left = (patent.last_protected_day - today).days
    return max(1, min(estimator.MAX_YEARS, math.ceil(left / 365.25)))


def compute(args: Mapping[str, str], unit: str) -> Outcome:
    """Read the subject and the inputs, and estimate; every error beside its field, nothing raised."""
    lang, today = get_lang(), today_local()
    patent, ipc, industries, errors = None, "", [], {}
    if any((args.get(k) or "").strip() for k in ("app_no", "ipc", "industry")):
        patent, ipc, industries, errors = subject()
    inputs, input_errors = estimator.read_inputs(args, lang, unit=unit, max_years=max_years(patent, today))
    errors = {**errors, **input_errors}
    if errors:
        return Outcome(patent, errors)
    declared = royalty_references.declared_rates(
        db.session, base=inputs.base, ipc_main=ipc or None, industries=industries,
        exclude_patent_id=patent.id if patent is not None else None, today=today)
    return Outcome(patent, {}, estimator.estimate(inputs, declared, fee_caps()))


def prefill(out: Outcome, proposal: estimator.Proposal) -> dict:
    """The assistant's form fields (元, as typed) for a proposal."""
    terms = proposal.terms

    def yuan(fen):
        return yuan_plain(fen).removesuffix(".00") if fen else None

    values = {"mode": proposal.mode.value, "lump_yuan": yuan(terms.get("lump_fen")),
              "entry_fee_yuan": yuan(terms.get("entry_fee_fen")), "royalty_base": terms.get("royalty_base"),
              "royalty_rate": terms.get("royalty_rate"),
              "fee_basis_note": estimator.basis_note(out.result, proposal)}
    return {k: v for k, v in values.items() if v}


def use_url(out: Outcome, proposal: estimator.Proposal) -> str | None:
    """Where "Use these terms" goes: the patent's assistant, for its patentees only (others get a 404 there)."""
    if out.patent is None or current_user.organisation_id not in owner_org_ids(out.patent):
        return None
    args = prefill(out, proposal)
    if get_lang() == "en":
        args["lang"] = "en"
    return url_for("open_licence.new_declaration", app_no=out.patent.application_number, **args)


@bp.get("/estimate")
@login_required
def estimate():
    asked = any((request.args.get(k) or "").strip() for k in INPUTS if k != "app_no")
    values = {k: (request.args.get(k) or "").strip()[:MAX_TEXT] for k in INPUTS}
    out = compute(request.args, "yuan") if asked else Outcome(None, {})
    if not asked and values["app_no"]:
        out.patent = subject()[0]  # the page opened from a patent: show which, ask for the figures
    status = 422 if out.errors else 200
    template = "statistics/_estimate.html" if request.args.get("partial") else "statistics/estimate.html"
    return render_template(template, out=out, est=out.result, errors=out.errors, values=values, asked=asked,
                           caps=fee_caps_all(), use_url=use_url, prefill=prefill, fee_mode=FeeMode,
                           rate_source=estimator.rate_source_words(out.result, get_lang()) if out.result else "",
                           tier_words=pricing.TIER_WORDS, min_amounts=pricing.MIN_AMOUNTS,
                           min_sellers=pricing.MIN_SELLERS), status


def fee_caps_all() -> dict:
    return {**estimator.DEFAULT_CAPS, **(fee_caps() or {})}
