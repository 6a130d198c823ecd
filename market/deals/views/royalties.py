"""Deal pages: running royalties — the licensee files period reports, the licensor answers them."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.money import yuan_grouped, yuan_plain
from market.core.time import today_local
from market.deals.models import Deal
from market.deals.permissions import BUYER, SELLER, deal_for, role_of
from market.deals.royalties import services as royalties
from market.deals.views.blueprint import bp
from market.deals.vocabulary import PaymentStatus, RoyaltyBase, RoyaltyReportStatus
from market.web.actions import run_action


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _labeller(enum):
    def label(value: str | None) -> str:
        try:
            return enum(value).label(get_lang())
        except ValueError:
            return value or ""
    return label


def exact_money(fen: int | None) -> str:
    """Royalty figures to the fen (the site's `yuan` rounds large sums to 万元)."""
    if fen is None:
        return ""
    text = yuan_grouped(fen)
    return t(f"{text} 元", f"¥{text}")


LABELS = SimpleNamespace(report=_labeller(RoyaltyReportStatus), payment=_labeller(PaymentStatus),
                         base=_labeller(RoyaltyBase))


@bp.app_template_global("royalty_panel")
def royalty_panel(deal: Deal) -> dict | None:
    """What the deal page's royalty panel shows; None when the fee has no royalty."""
    summary = royalties.summary(deal)
    if summary is None:
        return None
    role = role_of(_user(), deal)
    return {"summary": summary, "role": role, "is_licensee": role == BUYER, "is_licensor": role == SELLER,
            "today": today_local(), "url": url_for("deals.royalties_page", deal_id=deal.id), "labels": LABELS,
            "money": exact_money}


def _render(deal: Deal, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    role = role_of(_user(), deal)
    summary = royalties.summary(deal)
    return render_template("deals/royalties/index.html", deal=deal, summary=summary,
                           role=role, is_licensee=role == BUYER, is_licensor=role == SELLER,
                           today=today_local(), errors=errors or {}, values=values or {}, labels=LABELS,
                           yuan_text=yuan_plain, money=exact_money,
                           rate_of=lambda p: royalties.rate_text(summary.terms.rate_for_year(p.year))), status


@bp.get("/<int:deal_id>/royalties")
@login_required
def royalties_page(deal_id: int):
    deal = deal_for(_user(), deal_id)
    return _render(deal)


@bp.post("/<int:deal_id>/royalties")
@login_required
def file_royalty_report(deal_id: int):
    deal = deal_for(_user(), deal_id)
    values = {k: request.form.get(k, "") for k in ("period", "base_amount", "note")}

    def file_it():
        try:
            period_start = date.fromisoformat(values["period"])
        except ValueError:
            raise DomainError("royalty.period_unknown", "请选择结算期间。", "Choose a reporting period.",
                              field="period") from None
        base_fen = royalties.parse_yuan(values["base_amount"])
        return royalties.file_report(deal, _user(), period_start=period_start, base_fen=base_fen,
                                     note=values["note"])

    done = run_action(file_it, raise_on=(403, 404))
    if not done.ok:
        return _render(db.session.get(Deal, deal_id), errors=done.field_errors("form"), values=values,
                       status=done.error.status)
    report = done.value
    flash(t(f"提成报告已提交，应付提成 {yuan_grouped(report.amount_due_fen)} 元。",
            f"Report filed; royalty due ¥{yuan_grouped(report.amount_due_fen)}."), "success")
    return redirect(url_for("deals.royalties_page", deal_id=deal_id))


@bp.post("/<int:deal_id>/royalties/<int:report_id>/<any(confirm, dispute):decision>")
@login_required
def answer_royalty_report(deal_id: int, report_id: int, decision: str):
    deal = deal_for(_user(), deal_id)
    reason = request.form.get("reason", "")
    done = run_action(lambda: royalties.answer_report(deal, report_id, _user(), confirm=decision == "confirm",
                                                      reason=reason), raise_on=(403, 404))
    if not done.ok:
        return _render(db.session.get(Deal, deal_id), status=done.error.status,
                       errors={f"{done.error.field or 'answer'}-{report_id}": [done.message]},
                       values={f"reason-{report_id}": reason})
    flash(t("已确认提成报告。", "Report confirmed.") if decision == "confirm"
          else t("已提出异议，等待被许可方更正。", "Dispute sent; the licensee will correct the report."), "success")
    return redirect(url_for("deals.royalties_page", deal_id=deal_id))
