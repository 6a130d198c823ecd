"""Import a portfolio table: validate each row, upsert its patent, optionally list it.

Each row runs in its own savepoint, so a row that fails leaves nothing half-written and the
rows before and after it are kept. Never commits; the caller commits once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from listings import packages as package_service
from listings import patents as patent_service
from listings import services as listing_service
from listings.hooks import open_licence_in_effect
from listings.importing.columns import apply_mapping, parse_date, split_people
from listings.importing.offer import parse_maturity, parse_modes, parse_price, parse_pricing_method
from listings.importing.packages import agreed_offer, group_rows, package_headers
from listings.importing.readers import Table
from listings.models import LIVE_LISTING_STATES, Patent
from listings.patent_input import Problem, clean_patent, default_status
from listings.patents import find_patents
from listings.vocabulary import CONFIRMED_SOURCES, DealMode, LegalStatus, PricingMethod, Source
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core import spreadsheets
from market.core.errors import DomainError
from market.core.extensions import db


@dataclass
class ImportOptions:
    point: Point | None = None
    modes: list[str] = field(default_factory=lambda: [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY])
    asking_price_fen: int | None = None
    price_negotiable: bool = True
    pricing_method: str = PricingMethod.AGREEMENT
    submit: bool = False     # send new listings to the point operator for review
    publish: bool = False    # trusted CLI imports only: publish without review
    today: date | None = None


@dataclass
class RowOutcome:
    row: int
    application_number: str
    reasons_zh: list[str]
    reasons_en: list[str]
    cells: dict[str, str]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    listed: int = 0
    rejected: list[RowOutcome] = field(default_factory=list)
    warnings: list[RowOutcome] = field(default_factory=list)
    # Rows repeating the 申请号 of an earlier row: merged into that patent, counted once as new or updated.
    duplicates: list[RowOutcome] = field(default_factory=list)

    @property
    def accounted(self) -> int:
        """Every row is exactly one of these, so they add up to the rows of the file."""
        return self.created + self.updated + len(self.duplicates) + len(self.rejected)


def _same_name(a: str, b: str) -> bool:
    norm = lambda s: unicodedata.normalize("NFKC", s).replace(" ", "").lower()  # noqa: E731
    return norm(a) == norm(b)


CHUNK = 200


def import_table(table: Table, mapping: dict[str, str | None], owner: Organisation,
                 options: ImportOptions, actor: User | None = None, *, start: int = 0,
                 stop: int | None = None, seen: dict[str, int] | None = None) -> ImportResult:
    """Import the rows [start:stop] of `table` (all by default).

    A stepwise import passes the same `seen` (申请号 → first row) to every step, so that a row
    repeating an earlier step's number is still a duplicate; the unreadable rows count with the first step.
    """
    rows = table.rows[start:stop]
    result = ImportResult(rows=len(rows))
    if start == 0:
        result.rows += len(table.problems)
        for number, zh, en in table.problems:
            result.rejected.append(RowOutcome(number, "", [zh], [en], {}))
    seen = {} if seen is None else seen
    groups = group_rows(table.rows, package_headers(mapping))
    grouped = {index for indexes in groups.values() for index in indexes}
    rows = [row for index, row in enumerate(rows, start=start) if index not in grouped]
    for begin in range(0, len(rows), CHUNK):
        _import_chunk(rows[begin:begin + CHUNK], mapping, owner, options, actor, seen, result)
    end = len(table.rows) if stop is None else stop
    for key, indexes in groups.items():
        # A package is imported whole with the step holding its first row.
        if start <= indexes[0] < end:
            _import_package(key, [table.rows[i] for i in indexes], mapping, owner, options, actor, seen, result)
    return result


class _PackageRefused(Exception):
    pass


def _import_package(key: str, rows: list, mapping: dict[str, str | None], owner: Organisation,
                    options: ImportOptions, actor: User | None, seen: dict[str, int], result: ImportResult) -> None:
    """The rows of one package in one savepoint: every patent and the package listing, or (any row or the
    group refused) none of them, each row rejected with its own reason or the group's."""
    prepared = [(getattr(row, "number", 0), row, apply_mapping(row, mapping)) for row in rows]
    chunk, chunk_seen = ImportResult(), dict(seen)
    problems: dict[int, list[Problem]] = {}
    group: list[Problem] = []
    try:
        with db.session.begin_nested():
            members: list[Patent] = []
            row_of: dict[int, int] = {}  # a member (by object) → its first row, to put its problems there
            for number, _, values in prepared:
                clean = clean_patent(values, today=options.today)
                existing = find_patents([clean.values["application_number"]]) if clean.ok else {}
                try:
                    found = _import_row(values, clean, existing, owner, replace(options, point=None), actor,
                                        chunk_seen, number, chunk)
                except DomainError as err:
                    found = [Problem(err.field or "", err.zh, err.en)]
                if found:
                    problems[number] = found
                elif existing[clean.values["application_number"]] not in members:
                    members.append(existing[clean.values["application_number"]])
                    row_of[id(members[-1])] = number
            if problems:
                raise _PackageRefused
            named = next((v["point"] for _, _, v in prepared if v.get("point")), None)
            if options.point is None and named is None:
                chunk.warnings.append(RowOutcome(prepared[0][0], "", [f"专利包“{key}”：未选择挂牌网点，仅导入专利记录"],
                                                 [f"Package “{key}”: no point chosen; patents recorded, not listed"], {}))
            else:
                # Rows without a point cell take the one another row of the package names.
                at = options if options.point is not None else replace(options, point=_point_named(named))
                _list_package(key, members, row_of, prepared, owner, at, actor, problems, group)
                chunk.listed += 1
    except (_PackageRefused, DomainError) as err:
        if isinstance(err, DomainError):
            group.append(Problem(err.field or "", err.zh, err.en))
        for number, row, values in prepared:
            own = problems.get(number) or group or []
            others = Problem("package", f"同一专利包“{key}”的其他行有错误，整包未导入",
                             f"Another row of package “{key}” is wrong; the package was not imported")
            result.rejected.append(_rejection(number, values, row, own or [others]))
        return
    seen.update(chunk_seen)
    result.created += chunk.created
    result.updated += chunk.updated
    result.listed += chunk.listed
    result.warnings += chunk.warnings
    result.duplicates += chunk.duplicates


def _list_package(key: str, members: list[Patent], row_of: dict[int, int], prepared: list, owner: Organisation,
                  options: ImportOptions, actor: User | None, problems: dict[int, list[Problem]],
                  group: list[Problem]) -> None:
    """Put the package on the shelf, or record why not (per row when a member is at fault) and refuse."""
    offers = [(_offer(values, options), values) for _, _, values in prepared]
    offer, disagreements = agreed_offer(offers)
    group += [Problem("package", f"专利包“{key}”：{zh}", f"Package “{key}”: {en}") for zh, en in disagreements]
    for patent, zh, en in package_service.package_problems(members, owner):
        row = row_of.get(id(patent)) if patent is not None else None
        (problems.setdefault(row, []) if row is not None else group).append(Problem("package", zh, en))
    for patent in members:
        for zh, en in listing_service.shelf_blockers(patent, offer["modes"]):
            group.append(Problem("package", f"{patent.application_number}：{zh}，专利包不能上架",
                                 f"{patent.application_number}: {en}; the package cannot go on the shelf"))
    if group or problems:
        raise _PackageRefused
    listing = package_service.create_package(None, members, owner, offer)
    if options.publish:
        listing_service.publish_without_review(listing, "命令行导入（--publish）")
    elif options.submit and actor is not None:
        listing_service.submit_listing(actor, listing)


def _import_chunk(rows: list, mapping: dict[str, str | None], owner: Organisation, options: ImportOptions,
                  actor: User | None, seen: dict[str, int], result: ImportResult) -> None:
    """Import a chunk in one savepoint; if anything in it fails, redo it row by row.

    The fast path spares a savepoint per row; the slow path keeps every good row of a chunk
    that holds a bad one, and leaves nothing of the bad row behind.
    """
    prepared = [(getattr(row, "number", 0), row, apply_mapping(row, mapping)) for row in rows]
    cleaned = {number: clean_patent(values, today=options.today) for number, _, values in prepared}
    existing = find_patents([c.values["application_number"] for c in cleaned.values() if c.ok])
    chunk = ImportResult()
    chunk_seen = dict(seen)
    try:
        with db.session.begin_nested():
            for number, row, values in prepared:
                problems = _import_row(values, cleaned[number], existing, owner, options, actor,
                                       chunk_seen, number, chunk)
                if problems:
                    chunk.rejected.append(_rejection(number, values, row, problems))
    except Exception:
        chunk, chunk_seen = ImportResult(), dict(seen)
        existing = find_patents([c.values["application_number"] for c in cleaned.values() if c.ok])
        for number, row, values in prepared:
            try:
                with db.session.begin_nested():
                    problems = _import_row(values, cleaned[number], existing, owner, options, actor,
                                           chunk_seen, number, chunk)
            except DomainError as err:
                problems = [Problem(err.field or "", err.zh, err.en)]
            if problems:
                chunk.rejected.append(_rejection(number, values, row, problems))
    seen.update(chunk_seen)
    result.created += chunk.created
    result.updated += chunk.updated
    result.listed += chunk.listed
    result.rejected += chunk.rejected
    result.warnings += chunk.warnings
    result.duplicates += chunk.duplicates


def _rejection(number: int, values: dict[str, str], row, problems: list[Problem]) -> RowOutcome:
    return RowOutcome(number, values.get("application_number", ""), [p.zh for p in problems],
                      [p.en for p in problems], dict(row))


def _import_row(values: dict[str, str], clean, existing: dict[str, Patent], owner: Organisation,
                options: ImportOptions, actor: User | None, seen: dict[str, int], number: int,
                result: ImportResult) -> list[Problem]:
    """Import one row; return its problems (nothing written) or [] when done."""
    if not clean.ok:
        return clean.problems
    v = dict(clean.values)
    owners = split_people(values.get("applicants")) or [owner.name]
    if not any(_same_name(o, owner.name) for o in owners):
        return [Problem("applicants", f"专利权人（{'、'.join(owners)}）中没有“{owner.name}”，不能由本机构导入",
                        f"{owner.name} is not among the patentees ({', '.join(owners)})")]
    owners = [owner.name if _same_name(o, owner.name) else o for o in owners]
    # A guess from the grant date never overrides a status the register (or the point) confirmed.
    known = existing.get(v["application_number"])
    confirmed = known is not None and known.legal_status_source in CONFIRMED_SOURCES
    status = None if values.get("legal_status") or confirmed else _status_without_column(v, existing)
    patent, created = patent_service.upsert_patent(
        v, owners=owners, inventors=split_people(values.get("inventors")), legal_status=status,
        existing=existing.get(v["application_number"]), source=Source.EXPORT)
    existing[patent.application_number] = patent
    if values.get("legal_status"):
        try:
            when = parse_date(values.get("legal_status_date") or values.get("publication_date"))
        except DomainError:
            when = None
        unknown = patent_service.apply_legal_events(patent, [(when, values["legal_status"])])
        if unknown:
            result.warnings.append(RowOutcome(number, patent.application_number,
                                              [f"未识别的法律状态“{u}”，已保留原文" for u in unknown],
                                              [f"Unrecognised legal status “{u}” kept as text" for u in unknown], {}))
        if patent.legal_status == LegalStatus.PENDING and v.get("grant_date"):
            patent.legal_status = LegalStatus.VALID
    listed = options.point is not None and _list(patent, owner, options, actor, values, result, number)
    listing_service.enforce_shelf_rules(patent)
    # Counted only now that nothing in the row can fail any more.
    first = seen.get(v["application_number"])
    if first is None:
        result.created += created
        result.updated += not created
        seen[v["application_number"]] = number
    else:  # a second row of the same number (say its A and B publications) merges into one patent
        result.duplicates.append(RowOutcome(
            number, v["application_number"], [f"与第 {first} 行的申请号相同，已合并为同一件专利"],
            [f"Same application number as row {first}; merged into one patent"], {}))
    result.listed += listed
    return []


def _status_without_column(v: dict[str, Any], existing: dict[str, Patent]) -> LegalStatus | None:
    """An empty status cell says nothing: granted if a grant date is given, else what we already
    knew of the patent, else unknown (never 审中 by default, which would claim a pending application)."""
    if v.get("grant_date"):
        return default_status(v)
    return None if v["application_number"] in existing else LegalStatus.UNKNOWN


def _offer(values: dict[str, str], options: ImportOptions) -> dict[str, Any]:
    """Listing terms from the row's own columns, falling back to the import's defaults."""

    modes = parse_modes(values.get("modes")) or list(options.modes)
    price, negotiable = parse_price(values.get("asking_price"), values.get("price_negotiable"))
    if price is None and not negotiable:
        price, negotiable = options.asking_price_fen, options.price_negotiable
    point = _point_named(values.get("point")) or options.point
    offer = {"modes": modes, "asking_price_fen": price, "price_negotiable": negotiable or price is None,
             "pricing_method": parse_pricing_method(values.get("pricing_method")) or options.pricing_method,
             "point_id": point.id, "maturity": parse_maturity(values.get("maturity"))}
    offer.update({k: values[k] for k in ("problem_solved", "advantages", "applications") if values.get(k)})
    return offer


def _point_named(name: str | None) -> Point | None:
    if not name:
        return None
    point = db.session.scalar(select(Point).where(Point.name == name.strip()))
    if point is None:
        raise DomainError("unknown_point", f"没有名为“{name}”的网点", f"No point named “{name}”", field="point")
    return point


def _list(patent: Patent, owner: Organisation, options: ImportOptions, actor: User | None,
          values: dict[str, str], result: ImportResult, number: int) -> bool:
    """Create (or refresh) the patent's listing; returns True when a new one was made."""
    if any(l.status in LIVE_LISTING_STATES for l in patent.listings):
        return False
    offer = _offer(values, options)
    if DealMode.OPEN_LICENSE in offer["modes"] and not open_licence_in_effect(patent.id):
        # A spreadsheet's 开放许可 is the owner's word; the shelf shows it only once CNIPA announced
        # the declaration, so the row is kept without it and says why.
        offer["modes"] = [m for m in offer["modes"] if m != DealMode.OPEN_LICENSE]
        refusal = listing_service.open_licence_not_typed_error(patent)
        kept = ("，其余交易方式已挂牌" if offer["modes"] else "，该专利仅导入为专利记录，未挂牌",
                "; the other modes are listed" if offer["modes"] else "; the patent is kept as a record, not listed")
        result.warnings.append(RowOutcome(number, patent.application_number, [refusal.zh + kept[0]],
                                          [refusal.en + kept[1]], {}))
        if not offer["modes"]:
            return False
    if listing_service.shelf_blockers(patent, offer["modes"]):
        return False  # lapsed or encumbered: kept as a patent record, not put on the shelf
    listing = listing_service.create_listing(None, patent, owner, offer)
    if options.publish:
        listing_service.publish_without_review(listing, "命令行导入（--publish）")
    elif options.submit and actor is not None:
        listing_service.submit_listing(actor, listing)
    return True


def rejected_rows_csv(headers: list[str], rejected: list[dict], lang: str = "zh") -> str:
    """The rejected rows with their original cells and a reason column, ready to fix and re-upload.

    The uploaded headers and cells go back through the app's one CSV writer, which neutralises
    anything a spreadsheet would read as a formula (the header row too).
    """
    cols = headers or ["application_number"]

    def rows():
        yield ["行号" if lang == "zh" else "Row", "错误原因" if lang == "zh" else "Reason", *cols]
        for r in rejected:
            cells = r.get("cells") or {}
            yield [r["row"], "；".join(r["reasons_zh"] if lang == "zh" else r["reasons_en"]),
                   *(cells.get(h, "") for h in cols)]

    return spreadsheets.csv_text(rows())
