"""Open-licence pages: the declaration assistant, CNIPA's steps, the list, taking a licence."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from listings.numbers import parse_application_number
from listings.patents import get_patent
from listings.term import add_years
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.money import rmb_upper, yuan_text
from market.core.schemas import load
from market.core.time import today_local
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence import declarations as services
from market.deals.open_licence import extras
from market.deals.open_licence.acquisition import existing_licence, filing_months, refusal, take_open_licence
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.open_licence.schemas import (
    ConsentForm,
    DatedForm,
    DeclarationForm,
    fee_terms_from_form,
    form_data,
    form_values,
    quantities_from_form,
)
from market.deals.vocabulary import DealStatus, DeclarationStatus, FeeMode, PaymentPeriod, RateSchedule, RoyaltyBase
from market.payments.vocabulary import PaymentKind
from market.web.actions import run_action

bp = Blueprint("open_licence", __name__, cli_group="open-licences")


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _declaration(declaration_id: int) -> OpenLicenceDeclaration:
    try:
        decl = services.get_declaration(declaration_id)
    except DomainError:
        abort(404)
    if not services.can_view(_user(), decl):
        abort(404)
    return decl


def _patent(app_no: str):
    try:
        return get_patent(parse_application_number(app_no).normalised)
    except DomainError:
        abort(404)


def describe_fee(fee_terms: dict, lang: str | None = None) -> str:
    try:
        return FeeTerms.from_dict(fee_terms).describe(lang or get_lang())
    except DomainError:
        return t("（许可使用费尚未填写完整）", "(fee terms incomplete)")


def negotiate_url(listing) -> str | None:
    """Where an enterprise asks for different terms: an ordinary licence, negotiated (PL 51 ¶3)."""
    if listing is None:
        return None
    for endpoint in ("deals.request_deal", "deals.new_request", "deals.request"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, listing_id=listing.id, mode="LICENSE_ORDINARY")
    return url_for("listings.patent", app_no=listing.patent.application_number) + "#deal"


def panel_for(patent) -> dict | None:
    """What the patent page shows about open licences (used by templates/open_licence/_patent_panel.html)."""
    user = _user()
    live = services.live_declaration(patent.id)
    decl = live if live is not None and (live.status in services.PUBLIC or services.can_view(user, live)) else None
    if decl is None:
        decl = services.latest_public_declaration(patent.id)
    is_owner = user is not None and user.organisation_id in services.owner_org_ids(patent)
    if decl is None and not is_owner:
        return None
    today = today_local()
    mine = None
    if decl is not None and user is not None:
        mine = db.session.scalar(select(Deal).where(Deal.declaration_id == decl.id,
                                                    Deal.buyer_org_id == user.organisation_id,
                                                    Deal.status != "VOID"))
    takeable = decl is not None and services.is_takeable(decl, today)
    can_take = (takeable and user is not None and not is_owner and user.organisation.is_approved
                and not user.organisation.is_bureau and not user.organisation.is_point_operator)
    return {"decl": decl, "is_owner": is_owner, "takeable": takeable, "can_take": can_take, "mine": mine,
            "fee": describe_fee(decl.fee_terms) if decl is not None else "",
            "live": live, "negotiate_url": negotiate_url((decl.listing or decl.patent.live_listing) if decl is not None else None)}


@bp.app_context_processor
def inject() -> dict:
    return {"open_licence_panel": panel_for, "today_local": today_local, "declaration_status": DeclarationStatus,
            "fee_mode": FeeMode, "deal_status": DealStatus}


def _choices() -> dict:
    lang = get_lang()

    def choices(members) -> list[tuple[str, str]]:
        return [(m.value, m.label(lang)) for m in members]

    def report_choices(patent) -> list[tuple[int, str]]:
        return [(r.id, f"{r.report_no} · {r.issued_on.isoformat()} · "
                       + (t("未发现缺陷", "no defect") if r.conclusion == "NO_DEFECT" else t("发现缺陷", "defect found")))
                for r in patent.evaluation_reports]

    return {"fee_modes": list(FeeMode), "royalty_bases": list(RoyaltyBase), "rate_schedules": list(RateSchedule),
            "payment_periods": list(PaymentPeriod), "choices": choices, "report_choices": report_choices}


# Fee fields the fee estimator (market/statistics/estimator_views.py) may suggest in the query string.
SUGGESTED = {"lump_yuan": 40, "entry_fee_yuan": 40, "royalty_base": 20, "royalty_rate": 12, "fee_basis_note": 4000}
_FEE_BLANK = {"lump_yuan": "", "entry_fee_yuan": "", "royalty_base": "", "royalty_base_note": "", "royalty_rate": "",
              "rate_schedule": RateSchedule.FIXED.value, "rate_step": "", "min_annual_yuan": "",
              "instalment_yuan": [], "instalment_months": []}


def _suggested_terms() -> dict:
    """The fee terms suggested in the query string ("use these terms"), each cut to its field's size;
    empty unless the mode is a statutory one. Only these ever travel from the query to the form."""
    mode = request.args.get("mode", "")
    if mode not in {m.value for m in FeeMode}:
        return {}
    terms = {"mode": mode}
    for name, limit in SUGGESTED.items():
        value = (request.args.get(name) or "").strip()
        if value:
            terms[name] = value[:limit]
    return terms


def _suggested(values: dict) -> tuple[dict, bool]:
    """The form with the suggested fee terms: shown, never saved on this GET; the patentee's own
    submission of the form is checked like any other."""
    terms = _suggested_terms()
    return ({**values, **_FEE_BLANK, **terms}, True) if terms else (values, False)


def _fields_from(data: dict) -> dict:
    fields = {k: data.get(k) for k in ("term_start", "term_end", "territory", "other_terms", "fee_basis_note",
                                       "contact", "evaluation_report_id", "pledgee_consent_doc")}
    fields["fee_terms"] = fee_terms_from_form(data)
    return fields


# -- the list -------------------------------------------------------------------------------

@bp.get("/open-licences")
def declarations():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    items = services.announced_declarations(limit=50, offset=(page - 1) * 50)
    return render_template("open_licence/list.html", items=items, page=page, describe_fee=describe_fee,
                           today=today_local(), is_takeable=services.is_takeable)


# -- the assistant --------------------------------------------------------------------------

@bp.route("/patents/<app_no>/open-licence", methods=["GET", "POST"])
@login_required
def new_declaration(app_no: str):
    patent = _patent(app_no)
    if current_user.organisation_id not in services.owner_org_ids(patent):
        abort(404)
    live = services.live_declaration(patent.id)
    if live is not None:
        terms = _suggested_terms()
        if terms and live.status in services.EDITABLE and services.can_manage(current_user, live):
            # suggested terms go to the draft being edited
            return redirect(url_for("open_licence.edit_declaration", declaration_id=live.id, **terms))
        return redirect(url_for("open_licence.declaration", declaration_id=live.id))
    errors: dict = {}
    defaults = services.defaults_for(patent, current_user.organisation)
    values = {**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in defaults.items()},
              "mode": "", "instalment_yuan": [], "instalment_months": []}
    suggested = False
    if request.method == "GET":
        values, suggested = _suggested(values)
    if request.method == "POST":
        values = form_data(request.form)
        data, errors = load(DeclarationForm(), values)
        if not errors:
            done = run_action(lambda: services.start_declaration(current_user, patent, _fields_from(data)))
            if done.ok:
                flash(t("声明草稿已保存，请查看检查结果", "Draft saved; see the checks below"), "success")
                return redirect(url_for("open_licence.declaration", declaration_id=done.value.id))
            errors = done.field_errors("mode")
    return render_template("open_licence/form.html", patent=patent, decl=None, values=values, errors=errors,
                           suggested=suggested, **_choices()), 422 if errors else 200


@bp.route("/open-licences/<int:declaration_id>/edit", methods=["GET", "POST"])
@login_required
def edit_declaration(declaration_id: int):
    decl = _declaration(declaration_id)
    if not services.can_manage(current_user, decl):
        abort(403)
    errors: dict = {}
    values = form_values(decl)
    suggested = False
    if request.method == "GET":
        values, suggested = _suggested(values)
    if request.method == "POST":
        values = form_data(request.form)
        data, errors = load(DeclarationForm(), values)
        if not errors:
            done = run_action(lambda: services.update_declaration(current_user, decl, _fields_from(data)),
                              abort_on=(403,))
            if done.ok:
                flash(t("已保存", "Saved"), "success")
                return redirect(url_for("open_licence.declaration", declaration_id=decl.id))
            errors = done.field_errors("mode")
    return render_template("open_licence/form.html", patent=decl.patent, decl=decl, values=values,
                           errors=errors, suggested=suggested, **_choices()), 422 if errors else 200


@bp.get("/open-licences/<int:declaration_id>")
def declaration(declaration_id: int):
    decl = _declaration(declaration_id)
    user = _user()
    today = today_local()
    manager = services.can_manage(user, decl)
    problems = services.check(decl, today) if decl.status in services.EDITABLE and (
        manager or (user is not None and user.organisation_id in services.owner_org_ids(decl.patent))) else []
    own_owner = next((o for o in decl.patent.owners if user is not None
                      and o.organisation_id == user.organisation_id), None)
    licences = []
    if manager or (user is not None and user.organisation.is_bureau):
        licences = db.session.scalars(select(Deal).where(Deal.declaration_id == decl.id)
                                      .order_by(Deal.id.desc()).limit(500)).all()
    fee_year = _fee_year(decl.patent, today) if manager and decl.announce_date else None
    return render_template(
        "open_licence/declaration.html", decl=decl, patent=decl.patent, problems=problems, manager=manager,
        fee_year=fee_year, fee_year_days=services.in_effect_days(decl, fee_year[0], today) if fee_year else 0,
        reduction_pct=services.OPEN_LICENCE_FEE_REDUCTION_PCT,
        recorder=services.can_record_cnipa(user, decl), own_owner=own_owner, today=today,
        fee=describe_fee(decl.fee_terms), panel=panel_for(decl.patent), licences=licences,
        statuses=DeclarationStatus, service_label=extras.label,
        # Services of a withdrawn or ended declaration can no longer be chosen: not shown as an offer.
        offered_services=extras.offered_services(decl) if decl.status in services.LIVE else [])


def _fee_year(patent, today):
    """The patent's current fee year: annual fees fall due on the filing date's anniversaries."""
    if patent.filing_date is None:
        return None
    start = add_years(patent.filing_date, today.year - patent.filing_date.year)
    if start > today:
        start = add_years(patent.filing_date, today.year - patent.filing_date.year - 1)
    return start, add_years(start, 1) - timedelta(days=1)


def _act(decl: OpenLicenceDeclaration, action, success: tuple[str, str]):
    done = run_action(action, abort_on=(403,))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t(*success), "success")
        if isinstance(done.value, list) and done.value:
            flash(t("仍有提示：", "Warnings: ") + "；".join(p.message(get_lang()) for p in done.value), "warning")
    return redirect(url_for("open_licence.declaration", declaration_id=decl.id))


@bp.post("/open-licences/<int:declaration_id>/consent")
@login_required
def consent(declaration_id: int):
    decl = _declaration(declaration_id)
    data, errors = load(ConsentForm(), request.form)
    if errors:
        flash(t("请填写同意文件编号", "Give the consent document's reference"), "error")
        return redirect(url_for("open_licence.declaration", declaration_id=decl.id))
    return _act(decl, lambda: services.record_consent(current_user, decl, owner_name=data.get("owner_name") or None,
                                                      document_ref=data.get("document_ref", "")),
                ("已记录同意", "Consent recorded"))


@bp.post("/open-licences/<int:declaration_id>/eligible")
@login_required
def eligible(declaration_id: int):
    decl = _declaration(declaration_id)
    return _act(decl, lambda: services.confirm_eligible(current_user, decl),
                ("检查通过，可以向国家知识产权局提交声明", "Checks passed; the declaration can be filed with CNIPA"))


STEPS = {
    "filed": (lambda user, decl, f: services.record_filing(user, decl, f["on"]),
              ("已登记提交日", "Filing recorded")),
    "announced": (lambda user, decl, f: services.record_announcement(user, decl, f["on"], f["gazette_issue"]),
                  ("已登记公告，开放许可生效", "Announcement recorded; the open licence is in effect")),
    "not-announced": (lambda user, decl, f: services.record_not_announced(user, decl, f["reason"], f["on"]),
                      ("已登记不予公告", "Refusal recorded")),
    "withdrawal-requested": (lambda user, decl, f: services.record_withdrawal_request(user, decl, f["on"]),
                             ("已登记撤回申请", "Withdrawal request recorded")),
    "withdrawn": (lambda user, decl, f: services.record_withdrawal(user, decl, f["on"]),
                  ("已登记撤回公告；此前取得的许可继续有效", "Withdrawal recorded; licences already taken stay valid")),
}


@bp.post("/open-licences/<int:declaration_id>/<any(filed, announced, 'not-announced', 'withdrawal-requested', "
         "withdrawn):step>")
@login_required
def record_step(declaration_id: int, step: str):
    decl = _declaration(declaration_id)
    data, errors = load(DatedForm(), request.form)
    if errors:
        flash(t("请填写有效的日期（YYYY-MM-DD）", "Give a valid date (YYYY-MM-DD)"), "error")
        return redirect(url_for("open_licence.declaration", declaration_id=decl.id))
    action, success = STEPS[step]
    return _act(decl, lambda: action(current_user, decl, data), success)


# -- taking a licence -----------------------------------------------------------------------

def _take_terms(decl: OpenLicenceDeclaration, today) -> dict:
    """What the confirmation states: the announced fee, what falls due now and when, the term (R-OL-8, R-OL-9)."""
    terms = FeeTerms.from_dict(decl.fee_terms)
    return {"fee": describe_fee(decl.fee_terms), "terms": terms, "due": terms.upfront_schedule(today),
            "royalty": terms.has_royalty, "free": terms.mode == FeeMode.FREE,
            "filing_months": filing_months(), "payment_kind": PaymentKind, "rmb_upper": rmb_upper,
            "exact_yuan": lambda fen: yuan_text(fen, get_lang()),
            "negotiate_url": negotiate_url(decl.listing or decl.patent.live_listing)}


def _take_page(decl: OpenLicenceDeclaration, errors: dict | None = None, quantities: dict[int, int] | None = None,
               typed: dict[str, str] | None = None, offered: list | None = None):
    """The confirmation, with the optional services (as the caller read them, if it did) and the
    quantities chosen so far (0: not wanted)."""
    today = today_local()
    offered = extras.offered_services(decl) if offered is None else offered
    quantities = quantities or {}
    chosen = [(s, quantities[s.id], s.unit_price_fen * quantities[s.id]) for s in offered if quantities.get(s.id)]
    return render_template("open_licence/take.html", decl=decl, patent=decl.patent, today=today,
                           errors=errors or {}, services=offered, chosen=chosen, quoted=_quoted(quantities),
                           quantity=lambda s: (typed or {}).get(f"qty_{s.id}", str(quantities.get(s.id, 0))),
                           services_total=sum(amount for _, _, amount in chosen), service_label=extras.label,
                           service_due_days=extras.SERVICE_FEE_DUE_DAYS,
                           **_take_terms(decl, today)), 422 if errors else 200


def _quoted(quantities: dict[int, int]) -> str:
    """The services and quantities the page showed a total for, so the binding POST can match them."""
    return ",".join(f"{k}:{v}" for k, v in sorted(quantities.items()) if v)


def _refused(decl: OpenLicenceDeclaration, error: DomainError):
    if error.status == 403:  # not an approved enterprise: the bureau and point operators are never licensees
        return render_template("errors/error.html", status=403, message=error.message(get_lang())), 403
    flash(error.message(get_lang()), "error")
    return redirect(url_for("listings.patent", app_no=decl.patent.application_number))


def _already(deal: Deal):
    flash(t("本机构已取得（或正在取得）该开放许可，以下为原许可记录。",
            "Your organisation already took this open licence; here is its record."), "info")
    return redirect(url_for("deals.licence", deal_id=deal.id))


@bp.get("/open-licences/<int:declaration_id>/take")
@login_required
def take_page(declaration_id: int):
    """The confirmation before the written notice: what happens, to whom, for how much, for how long. No change."""
    decl = _declaration(declaration_id)
    had = existing_licence(decl.id, current_user.organisation_id)
    if had is not None:
        return _already(had)
    problem = refusal(decl, current_user.organisation)
    if problem is not None:
        return _refused(decl, problem)
    return _take_page(decl)


@bp.post("/open-licences/<int:declaration_id>/take")
@login_required
def take(declaration_id: int):
    decl = _declaration(declaration_id)
    had = existing_licence(decl.id, current_user.organisation_id)
    if had is not None:  # a second click: nothing new is taken, the first record stands
        return _already(had)
    problem = refusal(decl, current_user.organisation)
    if problem is not None:
        return _refused(decl, problem)
    offered = extras.offered_services(decl)
    quantities, errors = quantities_from_form(request.form, offered)
    errors.update({field: [msg[1] if get_lang() == "en" else msg[0]]
                   for field, msg in extras.quantity_errors(decl, quantities, on_offer={s.id: s for s in offered}).items()
                   if field not in errors})
    if errors:
        return _take_page(decl, errors, quantities, typed=request.form.to_dict(), offered=offered)
    if request.form.get("action") == "review":  # recompute the total; nothing is sent
        return _take_page(decl, quantities=quantities, offered=offered)
    if request.form.get("quoted", "") != _quoted(quantities):
        # The services changed after the total shown: the enterprise confirms the sum it saw, not another.
        return _take_page(decl, {"confirm": [t("所选技术服务已更改，请核对下方合计后再确认。",
                                               "The services chosen changed; check the total below, then confirm.")]},
                          quantities, offered=offered)
    if request.form.get("confirm") != "1":
        # The written notice binds the enterprise (PL 51 ¶1): it is sent only from the confirmation page.
        return _take_page(decl, {"confirm": [t("请勾选确认：您已阅读上述条款，并代表本单位向专利权人发出书面通知。",
                                               "Tick the box: you read these terms and send the written notice "
                                               "for your organisation.")]}, quantities, offered=offered)
    done = run_action(lambda: take_open_licence(decl.id, current_user.organisation, current_user,
                                                services=quantities))
    if not done.ok:
        if done.error.field and done.error.field.startswith("qty_"):
            return _take_page(decl, done.field_errors("confirm"), quantities)
        return _refused(decl, done.error)
    deal = done.value
    flash(t("书面通知已送达专利权人。", "Your written notice has reached the patentee.") + (
        t("请按声明的标准付款，到账后即取得许可。", " Pay the fee as declared; the licence follows the payment.")
        if deal.status == "PAYMENT_PENDING" else t("许可已生效。", " The licence is in force.")), "success")
    return redirect(url_for("deals.licence", deal_id=deal.id))


@bp.cli.command("end")
def end_command():
    """The daily job: end declarations whose term is over or whose patent has lapsed (§3.2)."""

    ended = services.end_declarations(today_local())
    db.session.commit()
    for decl in ended:
        click.echo(f"OL-{decl.id:06d} {decl.patent.application_number}: {decl.end_reason}")
    click.echo(f"{len(ended)} declaration(s) ended")
