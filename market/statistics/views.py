"""Pages: the bureau's dashboard, the deals behind a figure, exports, and the public figures."""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.db import write_intent
from market.core.extensions import db
from market.core.i18n import get_lang
from market.core.time import today_local
from market.deals.vocabulary import DealStatus, DeclarationStatus, LedgerEvent
from market.statistics import charts, dimensions, export, kept, queries, services
from market.statistics.measures import COLUMNS, Basis, Column, StatType
from market.statistics.periods import month, quarter, year, year_to_date

bp = Blueprint("statistics", __name__, url_prefix="/statistics")


def _selection():
    scope = services.scope_for(db.session, current_user, request.args.get("scope"))
    return services.parse_selection(request.args, scope=scope, today=today_local(),
                                    home_district=current_app.config.get("HOME_DISTRICT", "宝山区"))


def _args(sel, **changes) -> dict:
    """The query parameters of a selection, changed (None removes one): for links between pages."""
    args = {"from": sel.period.start.isoformat(), "to": sel.period.end.isoformat()}
    if sel.basis != Basis.FILING:
        args["basis"] = sel.basis.value if hasattr(sel.basis, "value") else sel.basis
    for name in ("scope", "by"):
        if request.args.get(name):
            args[name] = request.args[name]
    args.update(sel.filters)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    if request.args.get("lang"):
        args["lang"] = request.args["lang"]
    return args


def _quick_periods(today):
    last = year(today.year - 1)
    return [(year_to_date(today), "本年累计", "Year to date"),
            (month(today.year, today.month), "本月", "This month"),
            (quarter(today.year, (today.month - 1) // 3 + 1), "本季度", "This quarter"),
            (last, f"{last.start.year}年", str(last.start.year))]


@bp.get("/")
@login_required
def dashboard():
    sel = _selection()
    lang = get_lang()
    breakdowns = dimensions.parse_breakdowns(request.args.get("by"), default=services.DASHBOARD_BREAKDOWNS)
    if "period" in breakdowns:
        breakdowns.remove("period")  # the trend is always there
    # The charted breakdowns are always there too, each chart with its table (issue 15).
    shown = [*breakdowns, *(d for d in charts.CHARTED if d not in breakdowns)]
    report = services.report(db.session, sel, today=today_local(), lang=lang, breakdowns=shown)
    filters = [(dimensions.get(k), v, dimensions.get(k).key_label(v, lang, report.point_names))
               for k, v in sel.filters.items()]
    return render_template("statistics/dashboard.html", report=report, sel=sel, columns=COLUMNS, Column=Column,
                           StatType=StatType, filters=filters, args=lambda **c: _args(sel, **c),
                           quick=_quick_periods(today_local()), scope_label=services.scope_label(db.session, sel.scope, lang),
                           rules=services.rules(db.session, sel, lang, report.generated_at),
                           dimension=dimensions.get, bases=list(Basis),
                           revision_summary=services.revision_summary(report.revisions),
                           more=[d for d in (*services.DASHBOARD_BREAKDOWNS, *services.MORE_BREAKDOWNS)
                                 if d not in shown], breakdowns=breakdowns,
                           trend=charts.trend(report.trend, report.year_ago.trend if report.year_ago else None,
                                              sel.period.granularity(), lang),
                           type_chart=charts.types(report.totals, lang),
                           charted={d: charts.breakdown(report.breakdowns[d], lang) for d in charts.CHARTED},
                           service_fees=kept.service_figures(db.session, sel))


@bp.get("/revisions")
@login_required
def revisions():
    """What changed in a closed period after it closed, line by line, and its figures then and now."""
    sel = _selection()
    lang = get_lang()
    today = today_local()
    closed_at = queries.closing_instant(sel.period) if sel.period.closed(today) else None
    changes = queries.revisions(db.session, sel, closed_at) if closed_at else []
    now = queries.aggregate(db.session, sel).totals
    then = services.figures_at_close(db.session, sel, closed_at) if closed_at else None
    return render_template("statistics/revisions.html", sel=sel, changes=changes, now=now, then=then,
                           closed_at=closed_at, columns=COLUMNS, StatType=StatType, args=lambda **c: _args(sel, **c),
                           summary=services.revision_summary(changes), listed=queries.REVISIONS_LISTED,
                           scope_label=services.scope_label(db.session, sel.scope, lang))


@bp.get("/deals")
@login_required
def deals():
    sel = _selection()
    lang = get_lang()
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    result = services.deals_behind(db.session, sel, page=page)
    names = services.queries.point_names(db.session, lang)
    filters = [(dimensions.get(k), v, dimensions.get(k).key_label(v, lang, names)) for k, v in sel.filters.items()]
    return render_template("statistics/deals.html", sel=sel, result=result, filters=filters, names=names,
                           dimension=dimensions.get, StatType=StatType, args=lambda **c: _args(sel, **c),
                           page_url=lambda page: stats_url("statistics.deals", _args(sel, page=page)),
                           scope_label=services.scope_label(db.session, sel.scope, lang))


@bp.get("/export")
@login_required
def export_file():
    sel = _selection()
    fmt = request.args.get("format", "xlsx")
    if fmt not in export.FORMATS:
        raise services.bad_request("format_invalid", "导出格式须为 xlsx 或 csv。", "The export format is xlsx or csv.", "format")
    name = f"statistics-{sel.period.key.replace('..', '_')}"

    # A GET that writes: its read transaction ends first, then the entry is written under the write lock.
    db.session.commit()
    with write_intent():
        audit(AuditAction.STATISTICS_EXPORTED, actor=current_user._get_current_object(), object_type="statistics",
              object_id=fmt, summary=services.export_summary(db.session, sel, fmt, request.args.get("pivot")))
        db.session.commit()
    if fmt == "csv":
        pivot = request.args.get("pivot") or None
        if pivot not in (None, "detail", "cross"):
            dimensions.get(pivot)
        rows = export.csv_rows(db.session, sel, pivot)
        return Response(stream_with_context(export.csv_stream(rows)), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "Cache-Control": "no-store"})
    # An XLSX is a zip, complete only at the end: rows go to a temporary file, which is then streamed.
    handle = tempfile.NamedTemporaryFile(prefix="psm-stats-", suffix=".xlsx", delete=False)
    handle.close()
    try:
        export.write_xlsx(handle.name, db.session, sel, today=today_local())
    except BaseException:
        os.unlink(handle.name)
        raise
    return Response(_file_chunks(handle.name),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"',
                             "Content-Length": str(os.path.getsize(handle.name)), "Cache-Control": "no-store"})


def _file_chunks(path: str, size: int = 256 * 1024):
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(size):
                yield chunk
    finally:
        os.unlink(path)


@bp.get("/public")
def public():
    """政务公开: the chain's totals, live from the ledger; nothing to log in for."""
    lang = get_lang()
    figures = services.public_figures(db.session, today=today_local(),
                                      home_district=current_app.config.get("HOME_DISTRICT", "宝山区"), lang=lang)
    trend = charts.trend(figures.trend, figures.trend_year_ago, figures.this_year.granularity(), lang)
    charted = {d: charts.breakdown(p, lang) for d, p in figures.breakdowns.items()}
    response = current_app.make_response(render_template(
        "statistics/public.html", f=figures, Column=Column, trend=trend, charted=charted,
        type_chart=charts.types(figures.totals, lang)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("stats_url")
def stats_url(endpoint: str, args: dict) -> str:
    return url_for(endpoint) + ("?" + urlencode(args) if args else "")


def _vocabulary_label(enum, value: str | None) -> str:
    if not value:
        return ""
    try:
        return enum(value).label(get_lang())
    except ValueError:
        return value


@bp.app_template_filter("ledger_label")
def ledger_label(kind: str | None) -> str:
    return _vocabulary_label(LedgerEvent, kind)


@bp.app_template_filter("declaration_label")
def declaration_label(status: str | None) -> str:
    return _vocabulary_label(DeclarationStatus, status)


@bp.app_template_filter("deal_status_label")
def deal_status_label(status: str | None) -> str:
    return _vocabulary_label(DealStatus, status)


bp.add_app_template_filter(charts.wan_cell, "wan_cell")


# The evidence worth showing beside a ledger line: identifiers a person can look up, not the
# full texts the ledger also keeps (the notice itself, for instance).
EVIDENCE_KEYS = {
    "contract_no": ("合同编号", "Contract no."), "record_no": ("备案号", "Filing no."),
    "filing_record_no": ("备案号", "Filing no."), "registration_no": ("登记号", "Registration no."),
    "gazette_issue": ("公告卷期", "Gazette issue"), "notice_sha256": ("通知摘要", "Notice digest"),
    "payment_id": ("付款单", "Payment"), "provider_ref": ("支付流水号", "Provider ref."),
    "bank_ref": ("银行流水号", "Bank ref."), "payment_ref": ("付款参考号", "Payment ref."),
    "receipt_document_id": ("付款凭证", "Receipt"), "document_id": ("文件", "Document"),
    "report_no": ("评估报告号", "Valuation report"), "filing_no": ("核准/备案文号", "Approval/filing no."),
    "licence_no": ("出口许可证号", "Export licence"), "effective_date": ("生效日", "Effective"),
}


@bp.app_template_filter("evidence_items")
def evidence_items(evidence: dict | None) -> list[tuple[str, str]]:
    lang = get_lang()
    out = []
    for key, (zh, en) in EVIDENCE_KEYS.items():
        value = (evidence or {}).get(key)
        if value in (None, "", [], {}):
            continue
        text = str(value)
        if key == "notice_sha256":
            text = text[:12] + "…"
        out.append((en if lang == "en" else zh, text[:60]))
    return out
