"""Builders for open-licence tests: a patentee with a listed patent, enterprises, announced declarations.

Everything goes through the services (they flush; the test's transaction is rolled back).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from listings.models import EvaluationReport, Listing, Patent, PatentFlag
from listings.vocabulary import DealMode
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.core.extensions import db
from market.core.time import today_local
from market.deals.open_licence import declarations as ol
from market.deals.open_licence.models import OpenLicenceDeclaration
from tests import factories as f

GAZETTE = "第42卷第47号"
LUMP = {"mode": "LUMP_SUM", "lump_fen": 5_000_000}  # ¥50,000
_n = itertools.count(1)


@dataclass
class World:
    uni: Organisation
    uni_user: User
    operator: Organisation
    operator_user: User
    point: Point
    listing: Listing
    patent: Patent
    enterprises: list[tuple[Organisation, User]] = field(default_factory=list)

    @property
    def buyer(self) -> Organisation:
        return self.enterprises[0][0]

    @property
    def buyer_user(self) -> User:
        return self.enterprises[0][1]


def enterprise(name: str | None = None, *, approved: bool = True) -> tuple[Organisation, User]:
    org = f.organisation(name or f"上海锂能科技有限公司{next(_n)}", org_type="PRIVATE", approved=approved,
                         address="上海市宝山区锂电路88号", contact_name="王经理", contact_phone="021-55550000")
    return org, f.user(org)


def world(*, type_code: str = "1", co_owners: tuple[str, ...] = (), enterprises: int = 1,
          modes: list[str] | None = None, status: str = "VALID") -> World:
    uni = f.organisation(f"上海示范大学{next(_n)}", address="上海市宝山区上大路99号", contact_name="技术转移中心",
                         contact_phone="021-66130000", contact_email="tto@example.edu.cn")
    operator = f.organisation(org_type="POINT_OPERATOR")
    point = f.point(operator)
    listing = f.listing(uni, point, modes=modes if modes is not None else [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY],
                        patent_kw={"type_code": type_code, "co_owners": list(co_owners), "status": status})
    w = World(uni, f.user(uni), operator, f.user(operator), point, listing, listing.patent)
    w.enterprises = [enterprise() for _ in range(enterprises)]
    return w


def report(patent: Patent, conclusion: str = "NO_DEFECT") -> EvaluationReport:
    r = EvaluationReport(patent=patent, report_no=f"PJ{next(_n):06d}", issued_on=date(2023, 5, 1),
                         conclusion=conclusion)
    db.session.add(r)
    db.session.flush()
    return r


def flag(patent: Patent, name: str, **kw) -> PatentFlag:
    item = PatentFlag(patent=patent, flag=name, active=True, source="test", **kw)
    db.session.add(item)
    db.session.flush()
    return item


def draft(w: World, fee_terms: dict | None = None, **fields) -> OpenLicenceDeclaration:
    values = {"fee_terms": dict(fee_terms or LUMP), "fee_basis_note": "按成本法与同类许可费比较估算。",
              "contact": "技术转移中心 021-66130000", **fields}
    return ol.start_declaration(w.uni_user, w.patent, values)


def announced(w: World, fee_terms: dict | None = None, *, on: date | None = None, **fields) -> OpenLicenceDeclaration:
    """A declaration announced `on` (default today), filed 20 days before."""
    on = on or today_local()
    decl = draft(w, fee_terms, **fields)
    ol.confirm_eligible(w.uni_user, decl)
    ol.record_filing(w.uni_user, decl, on - timedelta(days=20))
    ol.record_announcement(w.uni_user, decl, on, GAZETTE)
    db.session.flush()
    return decl
