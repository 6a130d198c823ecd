"""Build test data through the services (they flush; the test's transaction is rolled back)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from sqlalchemy import event

from listings import patents as patent_service
from listings import services as listing_service
from listings.numbers import check_character
from listings.vocabulary import DealMode, LegalStatus, OrgStatus, Role
from market.accounts.models import Organisation, User
from market.accounts.points.models import Point
from market.accounts.services import create_organisation, create_user
from market.accounts.uscc import make_uscc
from market.core.db import utcnow
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation
from market.deals.open_licence import declarations as ol

PASSWORD = "test-Passw0rd1"
_seq = itertools.count(1)


def uscc() -> str:
    return make_uscc(f"91310113{next(_seq) + 500000:09d}")


def organisation(name: str | None = None, org_type: str = "UNIVERSITY", *, approved: bool = True,
                 **kw) -> Organisation:
    n = next(_seq)
    if org_type == "SOE":
        kw.setdefault("soe_level", "MUNICIPAL")
    # A registered organisation has an address; contracts and filings need it (REC 9).
    kw.setdefault("address", f"上海市宝山区测试路{n}号")
    return create_organisation(name=name or f"测试机构{n}", org_type=org_type, uscc=uscc(),
                               district=kw.pop("district", "宝山区"),
                               status=OrgStatus.APPROVED if approved else OrgStatus.PENDING, **kw)


def user(org: Organisation, *, role: str = Role.ADMIN, email: str | None = None) -> User:
    return create_user(org, email=email or f"user{next(_seq)}@example.test", name="测试用户",
                       password=PASSWORD, role=role)


def point(operator: Organisation | None = None, name: str | None = None) -> Point:
    operator = operator or organisation(org_type="POINT_OPERATOR")
    p = Point(name=name or f"测试网点{next(_seq)}", district="宝山区", address="测试路1号", operator=operator)
    db.session.add(p)
    db.session.flush()
    return p


def application_number(year: int = 2020, type_code: str = "1") -> str:
    digits = f"{year}{type_code}{next(_seq) + 1000000:07d}"
    return f"{digits}.{check_character(digits)}"


def patent(owner: Organisation, *, title: str = "一种锂离子电池用陶瓷涂覆隔膜及其制备方法",
           abstract: str = "本发明公开了一种锂电池隔膜，耐高温、孔隙均匀。", ipc: list[str] | None = None,
           status: str = LegalStatus.VALID, type_code: str = "1", filing: date = date(2020, 3, 1),
           co_owners: list[str] = (), register_checked: datetime | None | str = "now"):
    """A patent whose owners, status and dates the register confirmed (today unless `register_checked`
    says when; None: never), so steps that need a fresh legal status (R-DI-1) can go ahead."""
    values = {"application_number": application_number(filing.year, type_code),
              "patent_type": {"1": "INVENTION", "2": "UTILITY_MODEL", "3": "DESIGN"}[type_code],
              "title": title, "abstract": abstract, "filing_date": filing,
              "grant_date": date(filing.year + 2, 1, 5) if status == LegalStatus.VALID else None,
              "ipc_all": ipc if ipc is not None else ["H01M 50/449"],
              "ipc_main": (ipc or ["H01M 50/449"])[0] if type_code != "3" else None}
    if type_code == "3":
        values["ipc_all"], values["locarno"] = [], "14-03"
    p, _ = patent_service.upsert_patent(values, owners=[owner.name, *co_owners], inventors=["张三", "李四"],
                                        legal_status=LegalStatus(status))
    if register_checked is not None:
        confirm_register(p, utcnow() if register_checked == "now" else register_checked)
    db.session.flush()
    return p


def confirm_register(p, when: datetime | None = None) -> None:
    """As if the register import had just confirmed the patent (or did so at `when`)."""
    p.owners_source = p.legal_status_source = p.dates_source = "REGISTER"
    p.register_checked_at = p.status_checked_at = when or utcnow()


def stale(p, days: int = 31) -> None:
    """The register last confirmed the patent `days` ago."""
    confirm_register(p, utcnow() - timedelta(days=days))


def listing(owner: Organisation, at: Point, *, patent_kw: dict | None = None, modes=None,
            price_fen: int | None = 5_000_000, published: bool = True):
    """A listed patent; 开放许可 among `modes` is declared and announced through the services."""
    modes = list(modes if modes is not None else [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY])
    p = patent(owner, **(patent_kw or {}))
    item = listing_service.create_listing(None, p, owner, {
        "modes": [m for m in modes if m != DealMode.OPEN_LICENSE], "asking_price_fen": price_fen,
        "price_negotiable": price_fen is None, "point_id": at.id})
    if published:
        listing_service.publish_without_review(item, "test")
    if DealMode.OPEN_LICENSE in modes:
        open_licence(item, lump_fen=price_fen or 5_000_000)
    db.session.flush()
    return item


def open_licence(item, *, lump_fen: int = 5_000_000):
    """Declare an open licence for a listed patent: checks, CNIPA filing, announcement (PL 50 ¶1)."""
    owner = user(item.organisation)
    if item.patent.patent_type != "INVENTION" and not item.patent.evaluation_reports:
        patent_service.add_evaluation_report(item.patent, report_no=f"PJ{next(_seq):06d}",
                                             issued_on=date(2023, 5, 1), conclusion="NO_DEFECT")
    decl = ol.start_declaration(owner, item.patent, {
        "fee_terms": {"mode": "LUMP_SUM", "lump_fen": lump_fen}, "fee_basis_note": "参照同类技术许可费估算。",
        "contact": "技术转移中心 021-66130000"})
    ol.confirm_eligible(owner, decl)
    ol.record_filing(owner, decl, today_local())
    ol.record_announcement(owner, decl, today_local(), "第42卷第1号")
    db.session.flush()
    return decl


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a real form page."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, u: User | str, password: str = PASSWORD):
    """Log in (a user or an e-mail) through the real form, CSRF token and all."""
    email = u if isinstance(u, str) else u.email
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def sign_both(deal, *, on: date | None = None, first: User | None = None, second: User | None = None):
    """Both parties confirm the contract text's hash on the platform (the first freezes it); flushes."""
    first = first or deal.seller.users[0]
    second = second or (deal.buyer.users[0] if first.organisation_id == deal.seller_org_id else deal.seller.users[0])
    negotiation.sign_contract(first, deal, negotiation.contract_hash(deal, on), on=on)
    negotiation.sign_contract(second, deal, negotiation.contract_hash(deal, on), on=on)
    return deal


def page_queries(client, app, url: str) -> int:
    """The SQL statements a page takes, as in a fresh request (nothing of the rows already loaded)."""
    queries = []
    with app.app_context():
        db.session.expunge_all()
        engine = db.engine
    listener = lambda *args, **kwargs: queries.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(queries)
