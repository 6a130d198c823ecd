"""Import legal-status updates (申请号, 法律状态, 法律状态日) and suspend listings they affect."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from listings import patents as patent_service
from listings.importing.columns import apply_mapping, parse_date, suggest_mapping
from listings.importing.readers import Table
from listings.models import Patent
from listings.numbers import parse_application_number
from listings.services import enforce_shelf_rules
from listings.signals import legal_status_changed
from market.core.errors import DomainError
from market.core.extensions import db


@dataclass
class StatusImportResult:
    updated: int = 0
    suspended: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def import_status_updates(table: Table) -> StatusImportResult:
    result = StatusImportResult()
    mapping = suggest_mapping(table.headers)
    touched: dict[int, Patent] = {}
    for row in table.rows:
        number = getattr(row, "number", 0)
        values = apply_mapping(row, mapping)
        try:
            app_no = parse_application_number(values.get("application_number", "")).normalised
            when = parse_date(values.get("legal_status_date"))
            event = (values.get("legal_status") or "").strip()
            if not event:
                raise DomainError("no_event", "缺少法律状态", "The legal status is missing", field="legal_status")
        except DomainError as err:
            result.rejected.append((number, err.zh))
            continue
        patent = db.session.scalar(select(Patent).where(Patent.application_number == app_no))
        if patent is None:
            result.rejected.append((number, f"平台上没有专利 {app_no}"))
            continue
        unknown = patent_service.apply_legal_events(patent, [(when, event)])
        if unknown:
            result.rejected.append((number, f"未识别的法律状态“{unknown[0]}”（已记录，未改变状态）"))
        touched[patent.id] = patent

    for patent in touched.values():
        result.suspended += len(enforce_shelf_rules(patent))
        # A lapsed patent ends its open-licence declaration (licences already taken keep their terms);
        # declared wholly invalid, licences in force end, what was performed stands (PL 47 ¶2).
        legal_status_changed.send(patent, patent=patent)
    result.updated = len(touched)
    return result
