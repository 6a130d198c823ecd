"""The annual transformation report of a university or institute (R-ST-7): page and XLSX.

Its own administrators see their unit's report; the district bureau sees any reporting unit's.
"""

from __future__ import annotations

import io
from decimal import Decimal

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from listings.vocabulary import OrgType
from market.accounts.models import Organisation
from market.accounts.vocabulary import Role
from market.core import money
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.spreadsheets import add_sheet, new_workbook, save_workbook
from market.core.time import today_local
from market.deals.vocabulary import EvidenceLevel
from market.statistics import annual
from market.statistics.measures import StatType

bp = Blueprint("annual_report", __name__, url_prefix="/statistics/annual")
FIRST_YEAR = 2015  # STL as amended in 2015 asks for the report


def _unit_and_year() -> tuple[Organisation, int, list[Organisation]]:
    """Which unit (403 beyond what the user may see) and which year (404 for a year out of range)."""
    me = current_user.organisation
    today = today_local()
    raw_year = request.args.get("year", "")
    year = int(raw_year) if raw_year.isdigit() else today.year - 1
    if not FIRST_YEAR <= year <= today.year:
        abort(404)
    if me.org_type == OrgType.BUREAU:
        units = db.session.scalars(select(Organisation).where(Organisation.org_type.in_(annual.REPORTING_TYPES))
                                   .order_by(Organisation.name)).all()
        wanted = request.args.get("org", "")
        unit = next((u for u in units if str(u.id) == wanted), None)
        if unit is None:
            if wanted:
                abort(404)
            unit = units[0] if units else None
        if unit is None:
            abort(404)
        return unit, year, units
    if me.org_type not in annual.REPORTING_TYPES or current_user.role != Role.ADMIN:
        abort(403)
    return me, year, []


@bp.get("/")
@login_required
def report():
    unit, year, units = _unit_and_year()
    result = annual.annual_report(db.session, unit, year)
    return render_template("statistics/annual.html", r=result, units=units, years=_years(),
                           methods=annual.METHODS, pricing=annual.PRICING, levels=list(EvidenceLevel),
                           StatType=StatType)


def _years() -> list[int]:
    return list(range(today_local().year, FIRST_YEAR - 1, -1))


@bp.get("/xlsx")
@login_required
def report_xlsx():
    unit, year, _ = _unit_and_year()
    r = annual.annual_report(db.session, unit, year)
    out = io.BytesIO()
    save_workbook(workbook(r, get_lang()), out)
    return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="annual-report-{unit.id}-{year}.xlsx"',
                             "Cache-Control": "no-store"})


def workbook(r: annual.AnnualReport, lang: str):
    def name(pair):
        return pair[1] if lang == "en" else pair[0]

    def wan(fen: int) -> Decimal:
        return Decimal(fen) / money.FEN_PER_WAN

    heading = [[t(f"{r.organisation.name} {r.year} 年度科技成果转化情况（专利）",
                  f"{r.organisation.name}: technology transfer in {r.year} (patents)")],
               [t("依据《促进科技成果转化法》第二十一条；口径与区交易统计相同（按登记/备案等依据日期计入，作废不计）；金额单位：万元",
                  "STL art. 21; counted as in the district statistics (by registration/filing date, void deals excluded); amounts in 10,000 yuan")]]
    wb = new_workbook()
    head = [t("分类", "Breakdown"), t("项", "Item"), t("次数（次）", "Deals (count)"), t("专利数（件）", "Patents (count)"),
            t("合同金额（万元）", "Contract amount (10,000 yuan)"), t("年末到账（万元）", "Received by year end (10,000 yuan)")]
    rows = [head]
    for key, pair in annual.METHODS.items():
        x = r.by_method.get(key, annual.Total())
        rows.append([t("转化方式", "Method"), name(pair), x.deals, len(x.patents), wan(x.contract_fen), wan(x.received_fen)])
    for key, pair in annual.PRICING.items():
        x = r.by_pricing.get(key, annual.Total())
        rows.append([t("定价方式", "Pricing"), name(pair), x.deals, len(x.patents), wan(x.contract_fen), wan(x.received_fen)])
    for level in EvidenceLevel:
        x = r.by_evidence.get(level.value, annual.Total())
        rows.append([t("证据等级", "Evidence"), level.label(lang), x.deals, len(x.patents), wan(x.contract_fen),
                     wan(x.received_fen)])
    rows.append([t("合计", "Total"), "", r.total.deals, len(r.total.patents), wan(r.total.contract_fen),
                 wan(r.total.received_fen)])
    rows.append([t("本年到账收入", "Income received in the year"), "", len(r.income), "", "", wan(r.income_fen)])
    rows.append([t("技术服务收入（随开放许可，另计）", "Technical services income (with open licences, apart)"), "",
                 len(r.service_income), "", "", wan(r.service_income_fen)])
    rows.append([t("奖励下限（法定最低，非实发）", "Reward floor (statutory minimum, not paid)"), "", "", "", "",
                 wan(r.reward_floor_fen)])
    add_sheet(wb, t("汇总", "Summary"), rows, {"A": 22, "B": 24, "C": 12, "D": 12, "E": 18, "F": 22}, heading=heading)
    detail = [[t("交易编号", "Deal"), t("类型", "Type"), t("定价方式", "Pricing"), t("计数日期", "Basis date"),
               t("申请号", "Application no."), t("专利名称", "Title"), t("受让/被许可/被投资方", "Counterparty"),
               t("合同金额（元）", "Contract (yuan)"), t("年末到账（元）", "Received by year end (yuan)"),
               t("奖励下限（元）", "Reward floor (yuan)"), t("证据等级", "Evidence")]]
    for x in r.lines:
        detail.append([x.reference or f"DEAL-{x.deal_id}", StatType(x.stat_type).label(lang),
                       name(annual.PRICING.get(x.price_formed_by, (x.price_formed_by,) * 2)), x.basis_date.isoformat(),
                       x.application_number, x.title, x.buyer, money.to_yuan(x.contract_fen),
                       money.to_yuan(x.received_fen),
                       "" if x.reward_floor_fen is None else money.to_yuan(x.reward_floor_fen),
                       EvidenceLevel(x.evidence).label(lang)])
    add_sheet(wb, t("交易明细", "Deals"), detail, {"A": 20, "F": 40, "G": 28}, heading=heading)
    income = [[t("交易编号", "Deal"), t("转化方式", "Method"), t("到账日期", "Date"), t("金额（元）", "Amount (yuan)")]]
    income += [[i.reference or f"DEAL-{i.deal_id}", name(annual.METHODS[i.method]), i.occurred_on.isoformat(),
                money.to_yuan(i.amount_fen)] for i in r.income]
    add_sheet(wb, t("本年到账", "Income"), income, {"A": 20}, heading=heading)
    return wb
