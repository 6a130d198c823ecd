"""Patent records: create or update from clean values, owners, legal events. Never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from listings.industries import all_industries, industries_for_ipc
from listings.legal_status import apply_events, map_cnipa_event
from listings.models import EvaluationReport, LegalEvent, Patent, PatentFlag, PatentOwner
from listings.term import last_protected_day
from listings.vocabulary import LapseReason, LegalStatus, PatentType
from market.accounts.models import Organisation
from market.core.db import utcnow
from market.core.errors import DomainError, NotFound
from market.core.extensions import db

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
    """Stored patents by normalised application number, with owners, flags and listings loaded."""
    if not numbers:
        return {}
    rows = db.session.scalars(select(Patent).where(Patent.application_number.in_(numbers)).options(
        selectinload(Patent.owners), selectinload(Patent.flags), selectinload(Patent.listings)))
    return {p.application_number: p for p in rows}


def upsert_patent(values: dict[str, Any], *, owners: list[str] | None = None,
                  inventors: list[str] | None = None, legal_status: LegalStatus | None = None,
                  existing: Patent | None | object = _UNKNOWN) -> tuple[Patent, bool]:
    """Create a patent or update it by application number; returns (patent, created).

    Bulk callers pass `existing` (looked up in batches with find_patents) to spare a query.
    """
    patent = existing if existing is not _UNKNOWN else db.session.scalar(
        select(Patent).where(Patent.application_number == values["application_number"]))
    created = patent is None
    if created:
        patent = Patent(application_number=values["application_number"],
                        patent_type=values["patent_type"],
                        legal_status=legal_status or LegalStatus.PENDING)
        db.session.add(patent)
    elif values.get("patent_type") and patent.patent_type != values["patent_type"]:
        raise DomainError("type_changed", "专利类型与已有记录不一致", "The patent type differs from the stored record",
                          field="patent_type")
    for key in BIBLIO_FIELDS:
        # A re-import never blanks out what an earlier one (or a person) filled in.
        if values.get(key) not in (None, "", []):
            if key == "publication_numbers":
                values[key] = list(dict.fromkeys([*(patent.publication_numbers or []), *values[key]]))
            setattr(patent, key, values[key])
    if legal_status is not None and not created:
        patent.legal_status = legal_status
    if inventors:
        patent.inventors = inventors
    if owners:
        set_owners(patent, owners)
    refresh_derived(patent)
    return patent, created


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


def refresh_derived(patent: Patent) -> None:
    """Recompute what follows from the bibliographic data: term end and industry tags."""
    if patent.filing_date:
        patent.last_protected_day = last_protected_day(
            PatentType(patent.patent_type), patent.filing_date, patent.term_extension_days or 0)
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


def apply_legal_events(patent: Patent, events: list[tuple[date | None, str]]) -> list[str]:
    """Record CNIPA events, then re-derive status and flags from the patent's whole history.

    Returns the events that were not recognised, for the caller to report.
    """
    history = set() if patent.id is None else {(e.event_date, e.event) for e in db.session.scalars(
        select(LegalEvent).where(LegalEvent.patent_id == patent.id))}
    unknown: list[str] = []
    for when, text in events:
        text = (text or "").strip()
        if not text:
            continue
        change = map_cnipa_event(text)
        if not change.recognised:
            unknown.append(text)
        if (when, text) not in history:
            db.session.add(LegalEvent(patent=patent, event_date=when, event=text,
                                      recognised=change.recognised))
            history.add((when, text))
    fold = apply_events([(when or date.min, text) for when, text in history],
                        last_protected_day=patent.last_protected_day)
    if fold.legal_status is not None:
        patent.legal_status = fold.legal_status
        patent.lapse_reason = fold.lapse_reason
        patent.legal_status_date = fold.status_date if fold.status_date != date.min else None
    if patent.legal_status == LegalStatus.VALID and not patent.grant_date and fold.status_date:
        patent.grant_date = fold.status_date if fold.status_date != date.min else None
    _sync_flags(patent, fold.flags)
    expire_if_term_ended(patent)
    patent.status_checked_at = utcnow()
    return unknown


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
