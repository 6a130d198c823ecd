"""Turn raw patent fields (a form, an API body, an import row) into clean values or reasons.

Pure: no Flask, no database. Every problem is reported per field in Chinese and English;
whatever is valid is kept so the caller can show it back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from listings.classification import parse_ipc_list, parse_locarno
from listings.importing.columns import parse_date
from listings.numbers import check_filing_year, normalise_publication_number, parse_application_number
from listings.vocabulary import LegalStatus, PatentType
from market.core.errors import DomainError

# Labels seen in real exports for the patent type column.
TYPE_LABELS = {
    "发明": PatentType.INVENTION, "发明专利": PatentType.INVENTION, "发明申请": PatentType.INVENTION,
    "发明授权": PatentType.INVENTION, "invention": PatentType.INVENTION,
    "发明(PCT进入)": PatentType.INVENTION, "PCT发明": PatentType.INVENTION,
    "实用新型(PCT进入)": PatentType.UTILITY_MODEL, "PCT实用新型": PatentType.UTILITY_MODEL,
    "实用新型": PatentType.UTILITY_MODEL, "实用新型专利": PatentType.UTILITY_MODEL,
    "utility_model": PatentType.UTILITY_MODEL, "utility model": PatentType.UTILITY_MODEL,
    "外观设计": PatentType.DESIGN, "外观设计专利": PatentType.DESIGN, "外观": PatentType.DESIGN,
    "design": PatentType.DESIGN,
    # CNIPA/TRS exports give the type as the digit of the application number.
    "1": PatentType.INVENTION, "2": PatentType.UTILITY_MODEL, "3": PatentType.DESIGN,
    "8": PatentType.INVENTION, "9": PatentType.UTILITY_MODEL,
}


@dataclass
class Problem:
    field: str
    zh: str
    en: str

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass
class CleanPatent:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, err: DomainError, fallback_field: str) -> None:
        self.problems.append(Problem(err.field or fallback_field, err.zh, err.en))


def parse_patent_type(raw: str) -> PatentType:
    key = unicodedata.normalize("NFKC", raw or "").strip()
    found = TYPE_LABELS.get(key) or TYPE_LABELS.get(key.lower())
    if found is None and key.upper() in PatentType.__members__:
        found = PatentType[key.upper()]
    if found is None:
        raise DomainError("unknown_patent_type", f"未知的专利类型“{key}”，应为 发明/实用新型/外观设计",
                          f"Unknown patent type “{key}”; use invention, utility model or design",
                          field="patent_type")
    return found


def _date(value: Any, name: str, today: date, clean: CleanPatent) -> date | None:
    if value in (None, ""):
        return None
    try:
        parsed = value if isinstance(value, date) else parse_date(str(value))
    except DomainError as err:
        clean.fail(err, name)
        return None
    if parsed and parsed > today:
        clean.problems.append(Problem(name, f"日期 {parsed.isoformat()} 晚于今天", f"{parsed.isoformat()} is in the future"))
        return None
    return parsed


def clean_patent(raw: dict[str, Any], *, today: date | None = None) -> CleanPatent:
    """Validate the bibliographic fields of one patent."""
    today = today or date.today()
    clean = CleanPatent()
    v = clean.values
    declared = None
    if raw.get("patent_type"):
        try:
            declared = parse_patent_type(str(raw["patent_type"]))
        except DomainError as err:
            clean.fail(err, "patent_type")
    number = str(raw.get("application_number") or "").strip()
    app_no = None
    if not number:
        clean.problems.append(Problem("application_number", "缺少申请号", "The application number is missing"))
    else:
        try:
            app_no = parse_application_number(number, declared_type=declared, today=today)
        except DomainError as err:
            clean.fail(err, "application_number")
        else:
            v["application_number"] = app_no.normalised
            v["patent_type"] = app_no.patent_type or declared
            for w in app_no.warnings:
                clean.warnings.append(Problem("application_number", w, w))
    if "patent_type" not in v and declared:
        v["patent_type"] = declared
    title = str(raw.get("title") or "").strip()
    if not title:
        clean.problems.append(Problem("title", "缺少专利名称", "The title is missing"))
    elif len(title) > 500:
        clean.problems.append(Problem("title", "专利名称过长（最多 500 字）", "The title is too long (500 max)"))
    else:
        v["title"] = title
    for key in ("abstract", "first_claim", "title_en", "agent"):
        if raw.get(key):
            v[key] = str(raw[key]).strip()
    v["filing_date"] = _date(raw.get("filing_date"), "filing_date", today, clean)
    v["grant_date"] = _date(raw.get("grant_date"), "grant_date", today, clean)
    if app_no is not None and v["filing_date"]:
        try:
            unusual = check_filing_year(app_no, v["filing_date"])
        except DomainError as err:
            clean.fail(err, "filing_date")
            v["filing_date"] = None
        else:
            if unusual:
                clean.warnings.append(Problem("filing_date", unusual, unusual))
    if v["filing_date"] and v["grant_date"] and v["grant_date"] < v["filing_date"]:
        clean.problems.append(Problem("grant_date", "授权日早于申请日", "The grant date is before the filing date"))
    _classification(raw, v, clean)
    pubs = [p for p in str(raw.get("publication_number") or "").replace("；", ";").replace(",", ";").split(";") if p.strip()]
    v["publication_numbers"] = []
    for p in pubs:
        try:
            v["publication_numbers"].append(normalise_publication_number(p))
        except DomainError as err:
            clean.fail(err, "publication_number")
    return clean


def _classification(raw: dict[str, Any], v: dict[str, Any], clean: CleanPatent) -> None:
    ipc_raw = " ; ".join(str(raw[k]) for k in ("ipc_main", "ipc") if raw.get(k))
    if v.get("patent_type") == PatentType.DESIGN:
        locarno = raw.get("locarno") or (raw.get("ipc") if raw.get("ipc") and "-" in str(raw.get("ipc")) else None)
        if locarno:
            try:
                v["locarno"] = parse_locarno(str(locarno))
            except DomainError as err:
                clean.fail(err, "locarno")
        return
    if not ipc_raw:
        v["ipc_all"], v["ipc_main"] = [], None
        return
    try:
        symbols = parse_ipc_list(ipc_raw)
    except DomainError as err:
        clean.fail(err, "ipc")
        return
    v["ipc_all"] = [s.symbol for s in symbols]
    v["ipc_main"] = v["ipc_all"][0] if v["ipc_all"] else None


def default_status(values: dict[str, Any]) -> LegalStatus:
    """Without a status column: granted if a grant date is known, else pending."""
    return LegalStatus.VALID if values.get("grant_date") else LegalStatus.PENDING
