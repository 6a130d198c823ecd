"""Seed the demo: the bureau, 11 points and their operators, suppliers, enterprises, listed patents.

Deterministic, so that every newcomer sees the same catalogue; all texts are written for the
project (market/demo/catalogue.py), none are copied from real records.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from listings import patents as patent_service
from listings import services as listing_service
from listings.importing.readers import Row, Table
from listings.importing.status import import_status_updates
from listings.models import PatentFlag
from listings.numbers import check_character
from listings.vocabulary import (
    DealMode,
    Encumbrance,
    LegalStatus,
    ListingStatus,
    OrgStatus,
    PatentType,
    PricingMethod,
    Role,
)
from market.accounts.hooks import demo_logins
from market.accounts.points.models import Point
from market.accounts.services import create_organisation, create_user
from market.accounts.uscc import make_uscc
from market.core.extensions import db
from market.demo.catalogue import DEMO_ORGS, DEMO_POINTS, demo_patents
from market.demo.deals import declare_open_licence, seed_deals
from market.demo.demands import seed_demands
from market.demo.lots import seed_lots
from market.demo.packages import seed_package

DEMO_PASSWORD = "demo-Passw0rd"
EMAIL_DOMAIN = "demo.psm.test"
TYPE_CODE = {PatentType.INVENTION: "1", PatentType.UTILITY_MODEL: "2", PatentType.DESIGN: "3"}
MODE_SETS = (
    [DealMode.OPEN_LICENSE, DealMode.LICENSE_ORDINARY],
    [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY],
    [DealMode.TRANSFER],
    [DealMode.LICENSE_EXCLUSIVE, DealMode.LICENSE_SOLE, DealMode.LICENSE_ORDINARY],
    [DealMode.EQUITY, DealMode.TRANSFER],
    [DealMode.OPEN_LICENSE],
)
# Division code 310113 is Baoshan; the organisation-code part is made up per organisation.
USCC_PREFIX = {"UNIVERSITY": "12310113", "RESEARCH_INSTITUTE": "12310113", "SOE": "91310113",
               "PRIVATE": "91310113", "POINT_OPERATOR": "91310113", "BUREAU": "11310113"}


def demo_email(key: str) -> str:
    return f"{key}@{EMAIL_DOMAIN}"


@demo_logins.provide
def demo_logins_shown() -> tuple[list[str], str]:
    """The login page's demo accounts and their password (DEMO_MODE only)."""
    return demo_login_emails(), DEMO_PASSWORD


def demo_login_emails() -> list[str]:
    """One login per role, in the order the login page shows them."""
    def first(kind: str) -> str:
        return next(o["key"] for o in DEMO_ORGS if o["org_type"] == kind)

    return [demo_email(first(kind)) for kind in
            ("UNIVERSITY", "SOE", "RESEARCH_INSTITUTE", "PRIVATE", "POINT_OPERATOR", "BUREAU")]


def _application_number(year: int, patent_type: str, serial: int) -> str:
    digits = f"{year}{TYPE_CODE[PatentType(patent_type)]}{serial:07d}"
    return f"{digits}.{check_character(digits)}"


def seed(n_patents: int = 320) -> str:
    rng = random.Random(2026)
    orgs, users = {}, {}
    for i, spec in enumerate(DEMO_ORGS):
        prefix = USCC_PREFIX.get(spec["org_type"], "91310113") + f"{7000000 + i * 7919:09d}"
        org = create_organisation(
            name=spec["name"], org_type=spec["org_type"], uscc=make_uscc(prefix[:17]),
            district=spec.get("district", ""), soe_level=spec.get("soe_level"), status=OrgStatus.APPROVED,
            name_en=spec.get("name_en"), contact_name=spec.get("contact_name", ""),
            contact_phone=spec.get("contact_phone", ""), address=spec.get("address", ""),
            is_state_funded_rnd=spec["org_type"] in ("UNIVERSITY", "RESEARCH_INSTITUTE"),
            wholly_state_owned=spec["org_type"] == "SOE")
        if spec["org_type"] not in ("BUREAU", "POINT_OPERATOR"):
            # A made-up account, so that bank transfers in the demo show where the money goes.
            org.bank_account_name, org.bank_name = org.name, "中国工商银行上海宝山支行（演示）"
            org.bank_account_no = f"1001{7000000 + i * 7919:09d}0"
        users[spec["key"]] = create_user(org, email=demo_email(spec["key"]),
                                         name=spec.get("contact_name") or spec["name"],
                                         password=DEMO_PASSWORD, role=Role.ADMIN)
        orgs[spec["key"]] = org
    points = []
    for spec in DEMO_POINTS:
        point = Point(name=spec["name"], district=spec["district"], address=spec.get("address", ""),
                      name_en=spec.get("name_en", ""), operator=orgs[spec["operator_key"]])
        db.session.add(point)
        points.append(point)
    db.session.flush()
    serials: dict[tuple[int, str], int] = {}
    listed = declared = 0
    for i, spec in enumerate(demo_patents(n_patents)):
        filing = date.fromisoformat(spec["filing_date"])
        key = (filing.year, spec["patent_type"])
        serials[key] = serials.get(key, 0) + 1
        number = _application_number(filing.year, spec["patent_type"], 100000 + serials[key] * 37)
        owner = orgs[spec["owner_key"]]
        owners = [owner.name] + [orgs[k].name for k in spec.get("co_owner_keys", [])]
        granted = spec["patent_type"] != PatentType.INVENTION or filing.year <= 2022 or i % 3 == 0
        grant = filing + timedelta(days=700 if spec["patent_type"] == PatentType.INVENTION else 240)
        values = {"application_number": number, "patent_type": spec["patent_type"], "title": spec["title"],
                  "title_en": spec.get("title_en", ""), "abstract": spec["abstract"], "filing_date": filing,
                  "grant_date": grant if granted and grant < date.today() else None,
                  "ipc_all": spec.get("ipc", []), "ipc_main": (spec.get("ipc") or [None])[0],
                  "locarno": spec.get("locarno")}
        patent, _ = patent_service.upsert_patent(
            values, owners=owners, inventors=spec.get("inventors", []),
            legal_status=LegalStatus.VALID if values["grant_date"] else LegalStatus.PENDING)
        # The register confirms owners, dates and status the way it does in production, through the
        # legal-status import, before anything relies on them (R-DI-1: declaring an open licence).
        _confirm_by_register(number, owners, filing, values["grant_date"])
        if patent.legal_status == LegalStatus.LAPSED:
            continue  # an expired demo patent stays a record, off the shelf
        if spec["patent_type"] != PatentType.INVENTION and i % 2 == 0 and values["grant_date"]:
            patent_service.add_evaluation_report(
                patent, report_no=f"PJ{filing.year}{i:05d}", issued_on=values["grant_date"] + timedelta(days=90),
                conclusion="NO_DEFECT")
        if i % 41 == 7:
            patent.flags.append(_flag(Encumbrance.PLEDGED, "沪农商演示银行"))
        modes = list(MODE_SETS[i % len(MODE_SETS)])
        if patent.legal_status != LegalStatus.VALID:
            modes = [m for m in modes if m != DealMode.OPEN_LICENSE] or [DealMode.TRANSFER]
        negotiable = i % 4 == 0
        price = None if negotiable else rng.choice([5, 8, 12, 20, 30, 50, 80, 120, 200, 350, 600]) * 1_000_000
        if DealMode.OPEN_LICENSE in modes and not negotiable:
            price = rng.choice([2, 3, 5, 8, 10]) * 1_000_000
        if DealMode.OPEN_LICENSE in modes:
            # The shelf shows 开放许可 only once CNIPA announced the declaration: the owner declares
            # it through the assistant's services; a patent the checks refuse keeps its other modes.
            announced = declare_open_licence(patent, owner, [orgs[k] for k in spec.get("co_owner_keys", [])],
                                            lump_fen=price or 5_000_000, serial=i)
            modes = [m for m in modes if m != DealMode.OPEN_LICENSE]
            declared += announced
            if not announced and not modes:
                modes = [DealMode.LICENSE_ORDINARY]
        listing = listing_service.create_listing(None, patent, owner, {
            "modes": modes, "asking_price_fen": price, "price_negotiable": negotiable,
            "pricing_method": PricingMethod.AGREEMENT if i % 5 else PricingMethod.LISTING,
            "point_id": points[i % len(points)].id, "problem_solved": spec.get("problem_solved", ""),
            "advantages": spec.get("advantages", ""), "applications": spec.get("applications", ""),
            "maturity": spec.get("maturity")})
        if i % 23 == 5:
            listing.status = ListingStatus.SUBMITTED  # waiting in a point operator's queue
            listing.submitted_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=i % 5)
        elif i % 29 != 3:
            listing_service.publish_without_review(listing, "演示数据")
            listed += 1

    package = seed_package()
    deals = seed_deals(orgs)
    demands = seed_demands(users)
    lots = seed_lots(orgs)
    return (f"demo: {len(orgs)} organisations, {len(points)} points, {n_patents} patents, {listed} published, "
            f"{declared} open licences announced; {package}; {deals}; {demands}; {lots}")


def _confirm_by_register(app_no: str, owners: list[str], filing: date, granted: date | None) -> None:
    """Import the register's latest event of a demo patent, with its current owners and filing date."""
    event, on = ("授权", granted) if granted else ("实质审查的生效", filing + timedelta(days=120))
    row = Row(2, {"申请号": app_no, "事件": event, "日期": min(on, date.today()).isoformat(),
                  "专利权人": "；".join(owners), "申请日": filing.isoformat()})
    result = import_status_updates(Table(list(row), [row], "csv", "utf-8"))
    if result.rejected:
        raise RuntimeError(f"demo register row rejected: {result.rejected}")


def _flag(flag: str, pledgee: str):
    return PatentFlag(flag=flag, active=True, source="演示数据", pledgee=pledgee, pledgee_consent_doc="质权人同意书（演示）")
