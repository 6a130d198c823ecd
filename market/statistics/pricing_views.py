"""Pricing guidance as a page, an HTML fragment and JSON (issue 14).

The listing form (listings) and the open-licence declaration assistant (market/deals) sit on lower
floors and cannot import this one: the blueprint puts `pricing_guidance_url` into every template's
context, and those pages, when it is there, show a panel that loads the fragment (a link to the
full page works without JavaScript). Reading only: nothing changes on these GETs.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from listings.models import Patent
from listings.numbers import parse_application_number
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.time import today_local
from market.statistics import pricing
from market.statistics.measures import DEAL_TYPES, StatType
from market.statistics.queries import tune

bp = Blueprint("pricing", __name__, url_prefix="/pricing")
MAX_TEXT = 40


def guidance_url(*, app_no: str | None = None, kind: str | None = None, partial: bool = False) -> str:
    args = {k: v for k, v in (("app_no", app_no), ("kind", kind)) if v}
    if partial:
        args["partial"] = "1"
    if get_lang() == "en":
        args["lang"] = "en"
    return url_for("pricing.guidance", **args)


@bp.app_context_processor
def _offer_guidance() -> dict:
    return {"pricing_guidance_url": guidance_url}


def _arg(name: str) -> str:
    return (request.args.get(name) or "").strip()[:MAX_TEXT]


def subject() -> tuple[Patent | None, str, list[str], dict]:
    """The patent (by application number) or the typed IPC and industry; errors beside their fields."""
    errors: dict[str, list[str]] = {}
    app_no, ipc, industry = _arg("app_no"), _arg("ipc"), _arg("industry")
    patent = None
    if app_no:
        try:
            number = parse_application_number(app_no, today=today_local()).normalised
        except DomainError as err:
            number, errors["app_no"] = None, [err.message(get_lang())]
        if number:
            patent = db.session.scalar(select(Patent).where(Patent.application_number == number))
            if patent is None:
                errors["app_no"] = [t("平台上没有这个申请号的专利。", "No patent with this application number is on record.")]
            else:
                return patent, patent.ipc_main or "", list(patent.industry_tags or []), errors
    if ipc:
        # Only the main (first) symbol counts, as on the listing form.
        ipc = ipc.replace("；", ";").split(";")[0].strip()
        if not pricing.tiers(ipc, []):
            errors["ipc"] = [t("IPC 分类号无效，应写作如 H01M 10/0525。", "The IPC symbol is invalid; write it like H01M 10/0525.")]
    if not (app_no or ipc or industry):
        errors["ipc"] = [t("请填写申请号或 IPC 分类号。", "Enter an application number or an IPC symbol.")]
    return None, ipc, [industry] if industry else [], errors


@bp.get("/guidance")
@login_required
def guidance():
    lang = get_lang()
    # A link without a kind (the listing form's, a bookmark) asks about transfers; a kind that was sent
    # but is empty or unknown is refused, and the form then shows "请选择", never a kind nobody asked for.
    kind = StatType.TRANSFER.value if "kind" not in request.args else _arg("kind")
    patent, ipc, industries, errors = subject()
    if kind not in pricing.KINDS:
        errors["kind"] = [t("请选择交易方式。", "Choose a kind of deal.")]
        kind = ""
    result = None
    if not errors:
        tune(db.session)
        try:
            result = pricing.guidance(db.session, kind=kind, ipc_main=ipc, industries=industries,
                                      viewer_org_id=current_user.organisation_id, today=today_local())
        except DomainError as err:  # the kind, checked above; kept so a refusal never answers 500
            errors[err.field or "kind"] = [err.message(lang)]
    status = 422 if errors else 200
    if request.args.get("format") == "json":
        return jsonify(_as_json(result, lang) if result else {"errors": errors}), status
    template = "statistics/_pricing_guidance.html" if request.args.get("partial") else "statistics/pricing.html"
    return render_template(template, g=result, errors=errors, kinds=DEAL_TYPES, kind=kind, patent=patent,
                           values={"ipc": ipc if patent is None else "", "industry": _arg("industry"),
                                   "app_no": _arg("app_no")},
                           explanation=pricing.explanation(result, lang) if result else ""), status


def _as_json(g: pricing.Guidance, lang: str) -> dict:
    def band(b):
        return None if b is None else {"low_fen": b.low_fen, "high_fen": b.high_fen}

    return {"kind": g.kind, "tier": g.tier, "tier_key": g.tier_key,
            "window": {"start": g.window.start.isoformat(), "end": g.window.end.isoformat()},
            "count": g.count, "priced": g.priced, "sellers": g.sellers,
            "suggested": {"low_fen": g.low_fen, "high_fen": g.high_fen} if g.has_range else None,
            "explanation": pricing.explanation(g, lang), "evidence": g.evidence,
            "comparables": [{"kind": c.kind, "basis_date": c.basis_date.isoformat(), "ipc_main": c.ipc_main,
                             "patent_type": c.patent_type, "evidence": c.evidence, "own": c.own,
                             "amount_fen": c.amount_fen, "band": band(c.band), "royalty_only": c.royalty_only}
                            for c in g.comparables]}
