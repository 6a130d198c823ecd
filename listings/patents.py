"""Patent records: create or update from clean values, owners, legal events. Never commits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from listings.industries import all_industries, industries_for_ipc
from listings.legal_status import apply_events, map_cnipa_event
from listings.models import EvaluationReport, LegalEvent, Patent, PatentFlag, PatentOwner
from listings.term import DESIGN_TERM_CHANGE, last_protected_day
from listings.vocabulary import CONFIRMED_SOURCES, LapseReason, LegalStatus, PatentType, Source
from market.accounts.models import Organisation
from market.accounts.permissions import can_review_listing
from market.core import audit
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.names import fold_name

BIBLIO_FIELDS = ("title", "title_en", "abstract", "first_claim", "agent", "filing_date", "grant_date",
                 "ipc_main", "ipc_all", "locarno", "publication_numbers")


def get_patent(application_number: str) -> Patent:
    patent = db.session.scalar(select(Patent).where(Patent.application_number == application_number))
    if patent is None:
        raise NotFound("patent_not_found", f"专利 {application_number} 不存在",
                       f"No patent {application_number}")
    return patent


_UNKNOWN = object()


def find_patents(numbers: list[str]) -> dict[str, Patent]:
    """Stored patents by normalised application number, with owners, flags, listings and events loaded."""
    if not numbers:
        return {}
    rows = db.session.scalars(select(Patent).where(Patent.application_number.in_(numbers)).options(
        selectinload(Patent.owners), selectinload(Patent.flags), selectinload(Patent.listings),
        selectinload(Patent.legal_events)))
    return {p.application_number: p for p in rows}


def upsert_patent(values: dict[str, Any], *, owners: list[str] | None = None,
                  inventors: list[str] | None = None, legal_status: LegalStatus | None = None,
                  existing: Patent | None | object = _UNKNOWN, source: str = Source.USER) -> tuple[Patent, bool]:
    """Create a patent or update it by application number; returns (patent, created).

    `source` says where the values came from (a person, an export file, the register): it is
    recorded with the owners, status and dates, and what the register confirmed a person cannot
    overwrite. Bulk callers pass `existing` (looked up in batches with find_patents) to spare a query.
    """
    patent = existing if existing is not _UNKNOWN else db.session.scalar(
        select(Patent).where(Patent.application_number == values["application_number"]))
    created = patent is None
    if created:
        patent = Patent(application_number=values["application_number"],
                        patent_type=values["patent_type"],
                        legal_status=legal_status or LegalStatus.PENDING,
                        owners_source=source, dates_source=source, legal_status_source=source)
        db.session.add(patent)
    elif values.get("patent_type") and patent.patent_type != values["patent_type"]:
        raise DomainError("type_changed", "专利类型与已有记录不一致", "The patent type differs from the stored record",
                          field="patent_type")
    if not created and source != Source.REGISTER:
        _keep_register_facts(patent, values, legal_status)
    if not created and any(values.get(k) and values[k] != getattr(patent, k) for k in ("filing_date", "grant_date")):
        patent.dates_source = source
    for key in BIBLIO_FIELDS:
        # A re-import never blanks out what an earlier one (or a person) filled in.
        if values.get(key) not in (None, "", []):
            if key == "publication_numbers":
                values[key] = list(dict.fromkeys([*(patent.publication_numbers or []), *values[key]]))
            setattr(patent, key, values[key])
    if legal_status is not None and not created and legal_status != patent.legal_status:
        patent.legal_status = legal_status
        patent.legal_status_source = source
    if inventors:
        patent.inventors = inventors
    if owners:
        if not created and source != Source.REGISTER:
            keep_co_owners(patent, owners)
        if [o.name for o in patent.owners] != owners:
            patent.owners_source = source
        set_owners(patent, owners)
    refresh_derived(patent)
    return patent, created


def _keep_register_facts(patent: Patent, values: dict[str, Any], legal_status: LegalStatus | None) -> None:
    """A person's or an export's values never overwrite what the CNIPA register confirmed."""
    if patent.dates_source == Source.REGISTER:
        for key, zh, en in (("filing_date", "申请日", "filing date"), ("grant_date", "授权公告日", "grant date")):
            if values.get(key) and getattr(patent, key) and values[key] != getattr(patent, key):
                raise Conflict("register_dates", f"{zh}已由国知局登记簿确认为{getattr(patent, key).isoformat()}，"
                               f"不能改为{values[key].isoformat()}；如登记簿有误，请向国知局请求更正后重新导入法律状态。",
                               f"The {en} is confirmed by the CNIPA register as {getattr(patent, key).isoformat()} "
                               f"and cannot be changed to {values[key].isoformat()}; if the register is wrong, have "
                               "CNIPA correct it and import the status again.", field=key)
    if (patent.legal_status_source in CONFIRMED_SOURCES and legal_status is not None
            and legal_status != patent.legal_status):
        raise Conflict("register_status", "法律状态以国知局登记簿为准，不能由用户修改；请导入登记簿的最新法律状态"
                       "（数据完整性，R-DI-1）。",
                       "The legal status follows the CNIPA register and cannot be set by a user; import the "
                       "register's current status (data integrity, R-DI-1).", field="legal_status")


def keep_co_owners(patent: Patent, names: list[str]) -> None:
    """A user or an export file may not drop a patentee: owners change only through the register."""
    given = {fold_name(n) for n in names}
    dropped = [o.name for o in patent.owners if fold_name(o.name) not in given]
    if dropped:
        raise Conflict("owners_dropped", f"不能删除专利权人：{'、'.join(dropped)}。共有专利的专利权人只能通过国知局登记的"
                       "转移变更（导入登记簿的转移事件），不能由一方删除（专利法第10条、第14条，R-TR-3）。",
                       f"Patentees cannot be removed: {', '.join(dropped)}. The owners of a patent change only "
                       "through a transfer recorded by CNIPA (import the register's transfer event), never by one "
                       "owner (Patent Law arts. 10 and 14, R-TR-3).", field="owners")


def organisation_ids_by_name(names: list[str]) -> dict[str, int]:
    """Platform organisations by lower-cased registered name, cached for the transaction."""
    cache: dict[str, int | None] = db.session().info.setdefault("org_ids_by_name", {})
    missing = [n.lower() for n in names if n.lower() not in cache]
    if missing:
        found = dict(db.session.execute(select(func.lower(Organisation.name), Organisation.id)
                                        .where(func.lower(Organisation.name).in_(missing))).all())
        for name in missing:
            cache[name] = found.get(name)
    return {n: cache[n.lower()] for n in names if cache[n.lower()] is not None}


def set_owners(patent: Patent, names: list[str]) -> None:
    """Owners in register order, linked to platform organisations by their registered name."""
    if [o.name for o in patent.owners] == names:
        return
    if patent.owners:
        patent.owners.clear()
        db.session.flush()  # the old (patent, position) rows must go before the new ones arrive
    ids = organisation_ids_by_name(names)
    for position, name in enumerate(names, start=1):
        patent.owners.append(PatentOwner(position=position, name=name, organisation_id=ids.get(name)))


def design_term_change() -> date:
    """DESIGN_15Y_FROM: designs filed from this day get 15 years (domain.md §1.1, §7.1)."""
    configured = current_app.config.get("DESIGN_15Y_FROM") if current_app else None
    if isinstance(configured, date):
        return configured
    return date.fromisoformat(configured) if configured else DESIGN_TERM_CHANGE


def refresh_derived(patent: Patent) -> None:
    """Recompute what follows from the bibliographic data: term end and industry tags."""
    if patent.filing_date:
        patent.last_protected_day = last_protected_day(
            PatentType(patent.patent_type), patent.filing_date, patent.term_extension_days or 0,
            design_term_change=design_term_change())
    if not patent.industry_tags_edited:
        patent.industry_tags = industries_for_ipc(patent.ipc_all or [])
    expire_if_term_ended(patent)


def set_industry_tags(patent: Patent, tags: list[str]) -> None:
    known = set(all_industries())
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise DomainError("unknown_industry", f"未知的产业类别：{'、'.join(unknown)}",
                          f"Unknown industry: {', '.join(unknown)}", field="industry_tags")
    patent.industry_tags = tags
    patent.industry_tags_edited = True


def apply_legal_events(patent: Patent, events: list[tuple[date | None, str]], *,
                       source: str = Source.EXPORT) -> list[str]:
    """Record CNIPA events, then re-derive status and flags from the patent's whole history.

    Returns the events that were not recognised, for the caller to report.
    """
    unknown: list[str] = []
    for when, text in events:
        text = (text or "").strip()
        if not text:
            continue
        event, _ = record_event(patent, when, text, source=source)
        if not event.recognised:
            unknown.append(text)
    refold(patent, source=source)
    return unknown


def record_event(patent: Patent, when: date | None, text: str, *, source: str = Source.EXPORT,
                 details: dict | None = None, detail_key: str = "") -> tuple[LegalEvent, bool]:
    """Store one register event unless the same one (date, name and details) is stored: (event, created)."""
    with db.session.no_autoflush:
        found = next((e for e in patent.legal_events
                      if (e.event_date, e.event, e.detail_key) == (when, text, detail_key)), None)
    if found is not None:
        return found, False
    kind = (details or {}).get("licence_kind")
    event = LegalEvent(patent=patent, event_date=when, event=text, source=source, details=details or {},
                       detail_key=detail_key, recognised=map_cnipa_event(text, kind).recognised)
    db.session.add(event)
    return event, True


def refold(patent: Patent, *, source: str = Source.EXPORT) -> None:
    """Re-derive status and flags from every stored event of the patent, and say where they came from."""
    with db.session.no_autoflush:
        history = list(patent.legal_events)
    before = (patent.legal_status, patent.lapse_reason)
    fold = apply_events([(e.event_date or date.min, e.event, (e.details or {}).get("licence_kind"))
                         for e in history], last_protected_day=patent.last_protected_day)
    if fold.legal_status is not None:
        patent.legal_status = fold.legal_status
        patent.lapse_reason = fold.lapse_reason
        patent.legal_status_date = fold.status_date if fold.status_date != date.min else None
    if patent.legal_status == LegalStatus.VALID and not patent.grant_date and fold.status_date:
        patent.grant_date = fold.status_date if fold.status_date != date.min else None
    _sync_flags(patent, fold.flags)
    expire_if_term_ended(patent)
    derive_fee_grace(patent)
    confirmed = patent.legal_status_source in CONFIRMED_SOURCES
    if source != Source.REGISTER and confirmed and before == (patent.legal_status, patent.lapse_reason):
        return  # an export agreeing with the register neither confirms nor unconfirms it
    patent.status_checked_at = utcnow()
    patent.legal_status_source = source
    if source == Source.REGISTER:
        patent.register_checked_at = patent.status_checked_at


def derive_fee_grace(patent: Patent, today: date | None = None) -> None:
    """A patent in force whose annual fee is paid only to a past day is in the grace period (R-OL-4, R-LC-8)."""
    today = today or date.today()
    paid = patent.annual_fee_paid_through
    if paid is None or patent.legal_status not in (LegalStatus.VALID, LegalStatus.FEE_GRACE):
        return
    patent.legal_status = LegalStatus.FEE_GRACE if paid < today else LegalStatus.VALID


def enter_fee_grace(today: date) -> list[Patent]:
    """Patents in force whose annual fee is paid only to a day now past: into the grace period (IR 115)."""
    due = list(db.session.scalars(select(Patent).where(
        Patent.legal_status == LegalStatus.VALID, Patent.annual_fee_paid_through < today)))
    for patent in due:
        derive_fee_grace(patent, today)
    return due


def status_age_days(patent: Patent, now: datetime | None = None) -> int | None:
    """Whole days since the register last confirmed the legal status; None if it never did."""
    if patent.legal_status_source not in CONFIRMED_SOURCES or patent.register_checked_at is None:
        return None
    now = now or utcnow()
    checked = patent.register_checked_at
    if checked.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    return (now - checked) // timedelta(days=1)


def status_confirmable(patent: Patent) -> bool:
    """Whether a point may vouch for the status shown: one an export or the register gave, never a user's word."""
    return patent.legal_status_source != Source.USER


def may_confirm_status(user, patent: Patent) -> bool:
    """The approved operator of the point the patent is listed at, and not its patentee or lister:
    whoever vouches for a status must not be the one who gains from it (records are evidence)."""
    listing = patent.live_listing
    if user is None or listing is None or not user.organisation.is_approved:
        return False
    own = {o.organisation_id for o in patent.owners} | {listing.organisation_id}
    return can_review_listing(user, listing) and user.organisation_id not in own


def confirm_status_by_point(actor, patent: Patent) -> None:
    """The point operator looked the patent up in the CNIPA register and found the status shown (R-DI-1).

    Kept in the audit log.
    """
    if not may_confirm_status(actor, patent):
        raise Forbidden("status_not_confirmer",
                        "只有专利挂牌所在服务点的运营机构可以确认法律状态，专利权人或挂牌机构本身不能确认（R-DI-1）。",
                        "Only the operator of the point the patent is listed at may confirm its legal status; the "
                        "patentee or the lister cannot confirm its own (R-DI-1).")
    if not status_confirmable(patent):
        raise Conflict("status_typed", "该法律状态只是用户填写的，服务点不能代为确认；请导入国知局登记簿的法律状态"
                       "（flask patents status-import）（R-DI-1）。",
                       "This legal status was only typed by a user, so the point cannot confirm it; import the "
                       "CNIPA register's status (flask patents status-import) (R-DI-1).")
    patent.legal_status_source = Source.POINT
    patent.register_checked_at = patent.status_checked_at = utcnow()
    audit.record(audit.AuditAction.LEGAL_STATUS_CONFIRMED, actor=actor, object_type="patent",
                 object_id=patent.application_number,
                 summary=f"{patent.application_number} {patent.legal_status} 经服务点核对国知局登记簿")


def require_fresh_status(patent: Patent, step: tuple[str, str]) -> None:
    """R-DI-1: a step that depends on legal status needs it confirmed by the register recently.

    `step` names the step (zh, en). The one check every such transition calls.
    """
    max_age = int(current_app.config.get("LEGAL_STATUS_MAX_AGE_DAYS", 30))
    age = status_age_days(patent)
    if age is not None and age <= max_age:
        return
    when = ("从未经国知局登记簿确认" if age is None else f"上次经国知局登记簿确认已是 {age} 天前")
    when_en = ("has never been confirmed by the CNIPA register" if age is None
               else f"was last confirmed by the CNIPA register {age} days ago")
    raise Conflict("legal_status_stale",
                   f"{step[0]}取决于专利 {patent.application_number} 的法律状态，而该状态{when}（须在 {max_age} 天内）。"
                   "请导入国知局登记簿的最新法律状态（flask patents status-import），或请挂牌服务点查询登记簿后在专利页确认，再办理"
                   "（法律状态须先同步，R-DI-1）。",
                   f"{step[1]} depends on the legal status of patent {patent.application_number}, which {when_en} "
                   f"(it must be within {max_age} days). Import the register's current status (flask patents "
                   "status-import), or have the listing's point look it up in the register and confirm it on the "
                   "patent page, then try again (legal status synced first, R-DI-1).")


EVENT_SOURCE = "CNIPA 法律状态"


def _sync_flags(patent: Patent, flags: set) -> None:
    current = {f.flag: f for f in patent.flags if f.active}
    for flag in set(current) - set(flags):
        # Flags a person recorded (a pledge with its pledgee) are not the events' to end.
        if current[flag].source == EVENT_SOURCE:
            current[flag].active = False
            current[flag].end_date = date.today()
    for flag in set(flags) - set(current):
        patent.flags.append(PatentFlag(flag=flag, source=EVENT_SOURCE, active=True))


def expire_if_term_ended(patent: Patent, today: date | None = None) -> None:
    """No patent outlives its term, whatever an old export says (PL 42)."""
    today = today or date.today()
    if (patent.last_protected_day and patent.last_protected_day < today
            and patent.legal_status != LegalStatus.LAPSED):
        patent.legal_status = LegalStatus.LAPSED
        patent.lapse_reason = LapseReason.EXPIRED
        patent.legal_status_date = patent.last_protected_day


def add_evaluation_report(patent: Patent, *, report_no: str, issued_on: date, conclusion: str,
                          note: str = "") -> EvaluationReport:
    if patent.patent_type == PatentType.INVENTION:
        raise DomainError("report_not_applicable", "评价报告只适用于实用新型和外观设计",
                          "Evaluation reports exist only for utility models and designs")
    if conclusion not in ("NO_DEFECT", "DEFECT"):
        raise DomainError("bad_conclusion", "评价结论须为“未发现缺陷”或“存在缺陷”",
                          "The conclusion must be NO_DEFECT or DEFECT", field="conclusion")
    report = EvaluationReport(patent=patent, report_no=report_no, issued_on=issued_on,
                              conclusion=conclusion, note=note)
    db.session.add(report)
    return report
