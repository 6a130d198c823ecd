"""Import the CNIPA register's events (申请号, 事件, 日期 and the event's details) as register records.

Each row becomes a register record on its patent (a LegalEvent with source REGISTER); the patent's
status, flags, owners, term and fee date are re-derived from the register, and the floors above
hear of each new record (`register_event_recorded`) so that licences, open licences and transfers
reach the one exclusivity engine. Re-importing a file adds nothing and says so. Never commits.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from listings import patents as patent_service
from listings.importing.columns import parse_date, split_people
from listings.importing.readers import Table
from listings.legal_status import licence_kind_of, map_cnipa_event
from listings.models import Patent, PatentFlag
from listings.numbers import check_filing_year, parse_application_number
from listings.services import enforce_shelf_rules
from listings.signals import legal_status_changed, register_event_recorded
from listings.vocabulary import Encumbrance, LicenceKind, Source
from market.core.errors import DomainError
from market.core.extensions import db

# Register column -> header spellings (exports of the register and our own template).
COLUMNS: dict[str, tuple[str, ...]] = {
    "application_number": ("申请号", "专利号", "申请号/专利号", "application_number"),
    "event": ("事件", "法律状态", "法律状态事件", "事件名称", "当前法律状态", "最新法律状态", "legal_status", "event"),
    "event_date": ("日期", "法律状态日", "法律状态日期", "法律状态公告日", "生效日", "事件日期", "legal_status_date",
                   "date"),
    "licence_kind": ("许可类型", "许可种类", "许可方式", "licence_kind", "license_type"),
    "term_start": ("许可期限起", "许可起始日", "许可开始日", "合同生效日", "term_start"),
    "term_end": ("许可期限止", "许可届满日", "许可期限届满日", "合同终止日", "term_end"),
    "licensee": ("被许可人", "licensee"),
    "licensor": ("许可人", "让与人", "licensor"),
    "record_no": ("备案号", "合同备案号", "登记号", "record_no"),
    "pledgee": ("质权人", "pledgee"),
    "new_owner": ("新专利权人", "变更后权利人", "受让人", "现专利权人", "new_owner"),
    "owners": ("专利权人", "当前专利权人", "owners"),
    "filing_date": ("申请日", "filing_date"),
    "extension_days": ("补偿天数", "期限补偿天数", "延长天数", "extension_days"),
    "fee_paid_through": ("年费缴至", "年费缴纳至", "年费缴费截止日", "fee_paid_through"),
}
DETAILS = ("licence_kind", "term_start", "term_end", "licensee", "licensor", "record_no", "pledgee",
           "new_owner", "extension_days", "fee_paid_through")
# The licence kind column: 普通 / 普通许可 / ORDINARY and so on (TCI 25).
_KINDS = {spelling: kind.value for kind in LicenceKind
          for spelling in (kind.value, kind.zh, kind.zh.removesuffix("许可"))}
_PUNCT = re.compile(r"[\s_\-.·/\\:：*()\[\]（）]+")


def _key(header: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", header).casefold())


_INDEX = {_key(s): name for name, spellings in COLUMNS.items() for s in spellings}


@dataclass
class StatusImportResult:
    updated: int = 0
    suspended: int = 0
    recorded: int = 0
    already_recorded: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # What the floors above did with the records: deals verified, register rights that conflict.
    notes: list[tuple[int, str]] = field(default_factory=list)


def _reject(zh: str, en: str, fld: str | None = None) -> DomainError:
    return DomainError("register_row", zh, en, field=fld)


def parse_row(cells: dict[str, str]) -> tuple[str, date, str, dict]:
    """(application number, date, event, details) of one register row, or DomainError naming the problem."""
    v = {_INDEX[_key(h)]: (c or "").strip() for h, c in cells.items() if _key(h) in _INDEX and (c or "").strip()}
    app_no = parse_application_number(v.get("application_number", ""))
    when = parse_date(v.get("event_date"), field="event_date")
    if when is None:
        raise _reject("缺少事件日期（日期）：登记簿的每一事件都有日期", "The event date (日期) is missing", "event_date")
    event = v.get("event", "")
    if not event:
        raise _reject("缺少事件（事件）", "The event (事件) is missing", "event")
    details: dict = {}
    if "licence_kind" in v:
        kind = _KINDS.get(v["licence_kind"].replace(" ", "").upper()) or _KINDS.get(v["licence_kind"])
        if kind is None:
            raise _reject(f"许可类型“{v['licence_kind']}”应为 普通、排他 或 独占", f"Licence kind "
                          f"“{v['licence_kind']}” must be 普通 (ordinary), 排他 (sole) or 独占 (exclusive)", "licence_kind")
        details["licence_kind"] = kind
    for name in ("term_start", "term_end", "fee_paid_through"):
        if name in v:
            details[name] = parse_date(v[name], field=name).isoformat()
    if details.get("term_start") and details.get("term_end") and details["term_end"] < details["term_start"]:
        raise _reject("许可期限止早于许可期限起", "The licence term ends before it starts", "term_end")
    if "extension_days" in v:
        if not v["extension_days"].isdigit():
            raise _reject(f"补偿天数“{v['extension_days']}”应为天数（整数）",
                          f"Extension days “{v['extension_days']}” must be a whole number", "extension_days")
        details["extension_days"] = int(v["extension_days"])
    for name in ("licensee", "licensor", "record_no", "pledgee", "new_owner"):
        if name in v:
            details[name] = v[name]
    if "owners" in v:
        details["owners"] = split_people(v["owners"])
    if "filing_date" in v:
        filed = parse_date(v["filing_date"], field="filing_date")
        check_filing_year(app_no, filed)
        details["filing_date"] = filed.isoformat()
    change = map_cnipa_event(event, details.get("licence_kind"))
    if change.family == "licence":
        details["licence_kind"] = licence_kind_of(unicodedata.normalize("NFKC", event), details.get("licence_kind"))
    if "期限补偿" in event and change.recognised and "extension_days" not in details:
        raise _reject("专利权期限补偿事件须写明补偿天数", "A term-compensation event needs its extension days",
                      "extension_days")
    return app_no.normalised, when, event, details


def detail_key(details: dict) -> str:
    """A digest of the details that make one register record differ from another on the same day."""
    kept = {k: details[k] for k in sorted(details) if k in DETAILS}
    return hashlib.sha256(json.dumps(kept, ensure_ascii=False).encode()).hexdigest() if kept else ""


def import_status_updates(table: Table) -> StatusImportResult:
    result = StatusImportResult()
    touched: dict[int, Patent] = {}
    parsed: list[tuple[int, tuple[str, date, str, dict]]] = []
    for row in table.rows:
        number = getattr(row, "number", 0)
        try:
            parsed.append((number, parse_row(row)))
        except DomainError as err:
            result.rejected.append((number, f"{err.zh} / {err.en}"))
    # One query for the file's patents (with their events), not one per row.
    patents = patent_service.find_patents(list({app_no for _number, (app_no, *_rest) in parsed}))
    for number, (app_no, when, event, details) in parsed:
        patent = patents.get(app_no)
        if patent is None:
            result.rejected.append((number, f"平台上没有专利 {app_no}，请先登记该专利 / No patent {app_no} on the platform;"
                                            " register it first"))
            continue
        record, created = patent_service.record_event(patent, when, event, source=Source.REGISTER,
                                                      details=details, detail_key=detail_key(details))
        touched[patent.id] = patent
        if not created:
            result.already_recorded += 1
            continue
        result.recorded += 1
        if not record.recognised:
            result.rejected.append((number, f"未识别的法律状态“{event}”（已记录，未改变状态） / Unrecognised event "
                                            f"“{event}” (kept, status unchanged)"))
        _apply_details(patent, when, details)
        patent_service.refold(patent, source=Source.REGISTER)
        db.session.flush()
        _pledgee(patent, when, details)
        for _receiver, notes in register_event_recorded.send(patent, patent=patent, event=record):
            result.notes.extend((number, note) for note in notes or ())

    for patent in touched.values():
        # What the register said is now the patent's record, checked today.
        patent_service.refold(patent, source=Source.REGISTER)
        result.suspended += len(enforce_shelf_rules(patent))
        # A lapsed patent ends its open-licence declaration (licences already taken keep their terms);
        # declared wholly invalid, licences in force end, what was performed stands (PL 47 ¶2).
        legal_status_changed.send(patent, patent=patent)
    result.updated = len(touched)
    result.rejected.sort(key=lambda rejection: rejection[0])  # in the file's row order
    return result


def _apply_details(patent: Patent, when: date, details: dict) -> None:
    """What a register record's details change on the patent: owners, dates, term, fee date."""
    if details.get("filing_date"):
        patent.filing_date = date.fromisoformat(details["filing_date"])
        patent.dates_source = Source.REGISTER
    if "extension_days" in details:
        # 专利权期限补偿 (PL 42 ¶2-3): the register states the days; they move the last protected day.
        patent.term_extension_days = details["extension_days"]
    if details.get("fee_paid_through"):
        patent.annual_fee_paid_through = date.fromisoformat(details["fee_paid_through"])
    owners = details.get("owners") or ([details["new_owner"]] if details.get("new_owner") else None)
    if owners:
        patent_service.set_owners(patent, owners)
        patent.owners_source = Source.REGISTER
    patent_service.refresh_derived(patent)


def _pledgee(patent: Patent, when: date, details: dict) -> None:
    """The register's pledge names its pledgee and its start; the flag keeps them."""
    if not details.get("pledgee"):
        return
    flag: PatentFlag | None = next((f for f in patent.flags if f.active and f.flag == Encumbrance.PLEDGED), None)
    if flag is not None:
        flag.pledgee = details["pledgee"]
        flag.start_date = flag.start_date or when
