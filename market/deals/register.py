"""Register records reach the one exclusivity engine (issue 12 §1). Never commits.

The legal-status import stores what the CNIPA register recorded and sends `register_event_recorded`.
Here a licence, open licence or transfer becomes what a platform deal would make: an exclusive or
sole licence and an open licence take a claim of the EXCLUSIVITY group (so they block platform
licences and declarations over overlapping days, R-OL-7, R-LC-1); their cancellation or withdrawal
ends it. When the record is the filing or registration of a platform deal (the same 备案号, or the
same parties, kind and an overlapping term) it verifies that deal instead of claiming twice.
What the engine refuses is reported to the import and to the point operator, never dropped.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from listings.legal_status import map_cnipa_event
from listings.models import LegalEvent, Patent
from listings.signals import register_event_recorded
from listings.vocabulary import DealMode
from market.accounts.points.models import Point
from market.core.errors import Conflict
from market.core.extensions import db
from market.core.names import fold_name
from market.core.notifications import notify
from market.deals import claims, ledger
from market.deals.documents.model import contract_number
from market.deals.models import Deal
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import CLOSED_STATES, OWNERSHIP_KINDS, ClaimGroup, DealStatus, LedgerEvent

_MODE_OF_KIND = {"ORDINARY": DealMode.LICENSE_ORDINARY, "SOLE": DealMode.LICENSE_SOLE,
                 "EXCLUSIVE": DealMode.LICENSE_EXCLUSIVE}
# A platform declaration in these states already holds the open licence's claim.
_DECLARED = ("ANNOUNCED", "WITHDRAWAL_FILED")


@register_event_recorded.connect
def on_register_event(sender, *, patent: Patent, event: LegalEvent) -> list[str]:
    """Turn one new register record into claims, verifications or reported conflicts."""
    change = map_cnipa_event(event.event, (event.details or {}).get("licence_kind"))
    handler = {("licence", "on"): _licence_filed, ("licence", "off"): _licence_cancelled,
               ("open_licence", "on"): _open_licence_declared, ("open_licence", "off"): _open_licence_ended,
               ("transfer", "on"): _transferred}.get((change.family, change.action))
    return handler(patent, event) if handler else []


def _day(event: LegalEvent, key: str, default: date | None) -> date | None:
    raw = (event.details or {}).get(key)
    return date.fromisoformat(raw) if raw else default


def _overlaps(deal: Deal, start: date, end: date) -> bool:
    return (deal.start_date or date.min) <= end and start <= (deal.end_date or date.max)


def _licence_filed(patent: Patent, event: LegalEvent) -> list[str]:
    d = event.details or {}
    kind = _MODE_OF_KIND[d.get("licence_kind") or "ORDINARY"]
    start = _day(event, "term_start", event.event_date)
    end = _day(event, "term_end", patent.last_protected_day) or claims.FOREVER
    deal = _platform_licence(patent, kind, d, start, end)
    if deal is not None:
        return [_verify(deal, LedgerEvent.FILING_VERIFIED, event, "备案", "filing")]
    if kind not in (DealMode.LICENSE_SOLE, DealMode.LICENSE_EXCLUSIVE):
        return []
    return _claim(patent, event, kind, start, end)


def _platform_licence(patent: Patent, kind: DealMode, d: dict, start: date, end: date) -> Deal | None:
    """The platform deal this register licence records: by 备案号, else by parties, kind and term."""
    deals = list(db_deals(patent.id, [DealMode.LICENSE_ORDINARY, DealMode.LICENSE_SOLE, DealMode.LICENSE_EXCLUSIVE,
                                      DealMode.OPEN_LICENSE]))
    if d.get("record_no"):
        found = next((x for x in deals if x.filing_record_no == d["record_no"]), None)
        if found is not None:
            return found
    licensee = fold_name(d.get("licensee", ""))
    licensor = fold_name(d.get("licensor", ""))
    for deal in deals:
        if deal.status in CLOSED_STATES or not licensee or fold_name(deal.buyer.name) != licensee:
            continue
        if licensor and fold_name(deal.seller.name) != licensor:
            continue
        same_kind = deal.kind == kind or (deal.kind == DealMode.OPEN_LICENSE and kind == DealMode.LICENSE_ORDINARY)
        if same_kind and _overlaps(deal, start, end):
            return deal
    return None


def db_deals(patent_id: int, kinds: list[str]):
    return db.session.scalars(select(Deal).where(Deal.patent_id == patent_id, Deal.kind.in_(kinds))
                              .order_by(Deal.id))


def _verify(deal: Deal, kind: str, event: LegalEvent, zh: str, en: str) -> str:
    """The register shows the platform deal's filing or registration: the ledger says so, once."""
    if not any(e.kind == kind for e in deal.events):
        ledger.append(deal, kind, occurred_on=event.event_date, note=f"国知局登记簿：{event.event}",
                      evidence={"register_event_id": event.id, **(event.details or {})})
    return (f"登记簿{zh}与平台交易 {contract_number(deal)} 一致，已核实 / The register's {en} matches platform deal "
            f"{contract_number(deal)}; verified")


def _claim(patent: Patent, event: LegalEvent, kind: str, start: date, end: date) -> list[str]:
    """Hold the register's right in the engine; a refusal is reported, not dropped."""
    try:
        claims.take(patent.id, ClaimGroup.EXCLUSIVITY, kind, starts_on=start, ends_on=end,
                    register_event_id=event.id)
    except Conflict:
        held = claims.active_claims(patent.id, ClaimGroup.EXCLUSIVITY, start, end)
        deal = db.session.get(Deal, held[0].deal_id) if held and held[0].deal_id else None
        what_zh = f"平台交易 {contract_number(deal)}" if deal else "平台上已有的独占、排他或开放许可"
        what_en = f"platform deal {contract_number(deal)}" if deal else "an exclusive, sole or open licence on the platform"
        zh = (f"登记簿记载的{DealMode(kind).zh}（{event.event}，{event.event_date}）与{what_zh}期限重叠而冲突，"
              "未能记入；请服务点核查（专利法第51条第3款、实施细则第86条，R-OL-7，R-LC-1）")
        en = (f"The register's {DealMode(kind).en.lower()} ({event.event_date}) overlaps {what_en} and conflicts with it; "
              "not recorded as a claim. The point must look into it (R-OL-7, R-LC-1)")
        _tell_point(patent, deal, zh, en, event)
        return [f"{zh} / {en}"]
    return []


def _tell_point(patent: Patent, deal: Deal | None, zh: str, en: str, event: LegalEvent) -> None:
    """The point operator of the deal (or of the patent's listing) hears of a register conflict."""
    point_id = deal.point_id if deal else (patent.live_listing.point_id if patent.live_listing else None)
    point = db.session.get(Point, point_id) if point_id else None
    if point is not None:
        notify(point.operator_id, "register_conflict", ("登记簿与平台交易冲突", "Register conflicts with a platform deal"),
               body=(zh, en), dedupe_key=f"register-conflict:{event.id}:{point.operator_id}")


def _licence_cancelled(patent: Patent, event: LegalEvent) -> list[str]:
    d = event.details or {}
    kinds = {DealMode.LICENSE_SOLE.value, DealMode.LICENSE_EXCLUSIVE.value}
    claims.release_register(patent.id, kinds, event.event_date, d.get("record_no"))
    return []


def _open_licence_declared(patent: Patent, event: LegalEvent) -> list[str]:
    declared = db.session.scalar(select(OpenLicenceDeclaration.id).where(
        OpenLicenceDeclaration.patent_id == patent.id, OpenLicenceDeclaration.status.in_(_DECLARED)))
    if declared is not None:
        return []  # the platform's own declaration, announced: it already holds the claim
    end = _day(event, "term_end", patent.last_protected_day) or claims.FOREVER
    return _claim(patent, event, DealMode.OPEN_LICENSE.value, event.event_date, end)


def _open_licence_ended(patent: Patent, event: LegalEvent) -> list[str]:
    claims.release_register(patent.id, {DealMode.OPEN_LICENSE.value}, event.event_date)
    return []


def _transferred(patent: Patent, event: LegalEvent) -> list[str]:
    """A transfer the register recorded verifies the platform transfer to the same new owner."""
    new_owner = fold_name((event.details or {}).get("new_owner", ""))
    if not new_owner:
        return []
    notes = []
    for deal in db_deals(patent.id, list(OWNERSHIP_KINDS)):
        if deal.status in CLOSED_STATES or deal.status == DealStatus.NEGOTIATING:
            continue
        if deal.is_package:
            # One patent's record does not verify a package's transfer; the point verifies the certificates.
            continue
        if fold_name(deal.buyer.name) == new_owner:
            notes.append(_verify(deal, LedgerEvent.REGISTRATION_VERIFIED, event, "转移登记", "transfer"))
        else:
            zh = (f"登记簿记载专利转移给“{event.details['new_owner']}”，与平台交易 {contract_number(deal)} 的受让方"
                  f"“{deal.buyer.name}”不同；请服务点核查")
            en = (f"The register records a transfer to “{event.details['new_owner']}”, not to the buyer of platform "
                  f"deal {contract_number(deal)}; the point must look into it")
            _tell_point(patent, deal, zh, en, event)
            notes.append(f"{zh} / {en}")
    return notes
