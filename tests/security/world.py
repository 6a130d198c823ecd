"""One small market with every kind of object, built through the services, and eight actors.

Patentee A (a university) lists patents at point X, declares an open licence that enterprise A
takes (a payment falls due), negotiates a licence with enterprise A (an offer on the table, a
document uploaded), and holds a royalty licence with enterprise A that has a report and a
dispute. Enterprise A has a public and a private demand and asked about a listing; patentee A
has an import batch, a draft listing and a draft declaration, a second member, API tokens.
Patentee B lists at point Y. A pending organisation waits for the bureau.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from listings.importing.models import ImportBatch
from listings.vocabulary import DealMode
from market.accounts.services import issue_api_token
from market.core.db import utcnow
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.disputes import services as disputes
from market.deals.exchange import lots
from market.deals.exchange import registrations as lot_registrations
from market.deals.models import Deal
from market.deals.open_licence import declarations as ol
from market.deals.open_licence import extras
from market.deals.open_licence.acquisition import take_open_licence
from market.deals.royalties import services as royalties
from market.deals.uploads import store_document
from market.deals.vocabulary import DealKind, DealStatus
from market.payments.models import Payment
from matching import services as matching
from tests import factories as f

ACTORS = ("anon", "ent_a", "ent_b", "pat_a", "pat_b", "op_x", "op_y", "bureau")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
QUARTERLY_5PCT = {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "5",
                  "payment_period": "QUARTERLY", "report_due_days": 30, "payment_due_days": 15}


@dataclass
class Actor:
    name: str
    email: str | None = None
    user_id: int | None = None
    org_id: int | None = None
    token: str | None = None
    token_id: int | None = None


@dataclass
class World:
    actors: dict[str, Actor] = field(default_factory=dict)
    ids: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


def pdf(name: str = "proof.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(PDF), filename=name, content_type="application/pdf")


def build() -> World:
    """Build and commit (inside the test's outer transaction, which is rolled back)."""
    w = World()
    orgs = {
        "ent_a": f.organisation("安全测试甲科技有限公司", org_type="PRIVATE"),
        "ent_b": f.organisation("安全测试乙科技有限公司", org_type="PRIVATE"),
        "pat_a": f.organisation("安全测试甲大学", org_type="UNIVERSITY"),
        "pat_b": f.organisation("安全测试乙大学", org_type="UNIVERSITY"),
        "op_x": f.organisation("安全测试甲网点运营公司", org_type="POINT_OPERATOR"),
        "op_y": f.organisation("安全测试乙网点运营公司", org_type="POINT_OPERATOR"),
        "bureau": f.organisation("安全测试区知识产权局", org_type="BUREAU"),
    }
    users = {name: f.user(org) for name, org in orgs.items()}
    w.actors["anon"] = Actor("anon")
    for name, user in users.items():
        token, plain = issue_api_token(user, "matrix")
        w.actors[name] = Actor(name, user.email, user.id, user.organisation_id, plain, token.id)
    ent_a, pat_a = users["ent_a"], users["pat_a"]
    from market.accounts.services import set_bank_account

    set_bank_account(orgs["pat_a"], bank_account_name=orgs["pat_a"].name, bank_name="工商银行宝山支行",
                     bank_account_no="6222020202020202")
    point_x, point_y = f.point(orgs["op_x"]), f.point(orgs["op_y"])

    negotiable = f.listing(orgs["pat_a"], point_x, modes=[DealMode.LICENSE_ORDINARY, DealMode.TRANSFER])
    open_listing = f.listing(orgs["pat_a"], point_x, modes=[DealMode.TRANSFER])
    draft = f.listing(orgs["pat_a"], point_x, modes=[DealMode.TRANSFER], published=False)
    listing_b = f.listing(orgs["pat_b"], point_y, modes=[DealMode.TRANSFER, DealMode.LICENSE_ORDINARY])

    # An announced open licence, taken by enterprise A: a licence with its fee due.
    decl = ol.start_declaration(pat_a, open_listing.patent, {
        "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 5_000_000}, "fee_basis_note": "按成本法估算。",
        "contact": "技术转移中心 021-66130000"})
    ol.confirm_eligible(pat_a, decl)
    ol.record_filing(pat_a, decl, today_local() - timedelta(days=20))
    ol.record_announcement(pat_a, decl, today_local(), "第42卷第47号")
    db.session.flush()
    ol_deal = take_open_licence(decl.id, orgs["ent_a"], ent_a)
    payment = db.session.scalars(db.select(Payment).where(Payment.deal_id == ol_deal.id)).first()
    # A priced technical service offered beside the declaration (issue 14), after enterprise A's take.
    service = extras.offer_service(pat_a, decl, {"kind": "TRAINING", "description": "现场培训", "unit": "人天",
                                                 "unit_price_fen": 300_000})
    draft_decl = ol.start_declaration(pat_a, draft.patent, {
        "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 1_000_000}, "fee_basis_note": "按成本法估算。",
        "contact": "技术转移中心"})

    # A negotiated licence with enterprise A's offer on the table and a document on file.
    start = today_local()
    neg_deal = n.request_deal(ent_a, negotiable, DealKind.LICENSE_ORDINARY, message="想谈一谈", terms={
        "price_fen": 3_000_000, "start_date": start, "end_date": start + timedelta(days=365)})
    document = store_document(neg_deal, "OTHER", pdf(), ent_a)

    # A royalty licence in force, with a report waiting for the licensor and a dispute.
    roy_deal = Deal(kind=DealKind.LICENSE_ORDINARY, status=DealStatus.FILED, patent_id=f.patent(orgs["pat_a"]).id,
                    seller_org_id=orgs["pat_a"].id, buyer_org_id=orgs["ent_a"].id, point_id=point_x.id,
                    fee_terms=QUARTERLY_5PCT, start_date=date(2024, 1, 1), end_date=date(2026, 12, 31),
                    reference="PSM-SEC-000001")
    db.session.add(roy_deal)
    db.session.flush()
    report = royalties.file_report(roy_deal, ent_a, period_start=date(2024, 1, 1), base_fen=1_000_000, note="")
    dispute = disputes.raise_dispute(ent_a, roy_deal, subject="提成基数有争议", reason="对销售额口径有不同理解")

    # The demand side: a public and a private demand, and a question about the open licence.
    demand_fields = {"title": "高安全性锂电池隔膜", "problem": "现有隔膜耐高温性能不足，需要新的涂覆技术方案。",
                     "expected_outcome": "", "existing_basis": "已有中试线", "budget_min_fen": None,
                     "budget_max_fen": None, "modes": [DealMode.LICENSE_ORDINARY], "industries": [],
                     "timeline": ""}
    demand = matching.post_demand(ent_a, {**demand_fields, "visibility": "PUBLIC"})
    private_demand = matching.post_demand(ent_a, {**demand_fields, "visibility": "PRIVATE"})
    inquiry = matching.request_deal(ent_a, open_listing, DealMode.OPEN_LICENSE, "开放许可的备案怎么办？")

    # A portfolio import waiting for its mapping.
    folder = Path(current_app.instance_path) / "uploads" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + ".csv"
    (folder / stored).write_text("申请号,名称\n202010123456.2,一种隔膜\n", encoding="utf-8")
    batch = ImportBatch(organisation_id=orgs["pat_a"].id, user_id=pat_a.id, filename="portfolio.csv",
                        stored_name=stored, file_format="csv", encoding="utf-8", headers=["申请号", "名称"],
                        row_count=1, mapping={"申请号": "application_number", "名称": "title"},
                        options={"point_id": point_x.id, "modes": [DealMode.TRANSFER], "submit": False})
    db.session.add(batch)

    from listings import services as listing_services
    from market.accounts.reset import make_token

    # A lot on patentee A's negotiable listing (point X), with enterprise A registered, its deposit due.
    lot = lots.open_lot(db.session, pat_a, negotiable, {
        "deal_kind": DealKind.TRANSFER, "price_fen": 8_000_000, "deposit_fen": 500_000,
        "qualifications": "企业法人"}, at=utcnow())
    lot_reg = lot_registrations.register(db.session, ent_a, lot, at=utcnow())

    listing_services.submit_listing(pat_a, draft)  # waiting for point X's review: not public
    member = f.user(orgs["pat_a"], role="MEMBER")
    pending = f.organisation("安全测试待审批公司", org_type="PRIVATE", approved=False)
    db.session.flush()
    w.ids.update(
        point_x=point_x.id, point_y=point_y.id, listing=negotiable.id, open_listing=open_listing.id,
        draft_listing=draft.id, listing_b=listing_b.id, patent_no=negotiable.patent.application_number,
        draft_patent_no=draft.patent.application_number, decl=decl.id, draft_decl=draft_decl.id, service=service.id,
        ol_deal=ol_deal.id, payment=payment.id, neg_deal=neg_deal.id, offer=n.open_offer(neg_deal).id,
        document=document.id, roy_deal=roy_deal.id, report=report.id, dispute=dispute.id, demand=demand.id,
        private_demand=private_demand.id, inquiry=inquiry.id, batch=batch.id, member=member.id,
        pending_org=pending.id, org_a=orgs["pat_a"].id, lot=lot.id, lot_reg=lot_reg.id, org_ent_a=orgs["ent_a"].id,
        reset_token=make_token(pat_a), today=today_local().isoformat(),
        **{f"token_{name}": actor.token_id for name, actor in w.actors.items() if actor.token_id})
    db.session.commit()
    return w
