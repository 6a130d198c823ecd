"""Demo deals on the seeded catalogue, made through the deal services as real users would.

So that every journey has something to show after `make run`: the open licences the catalogue
shows, each declared and announced through the services (one taken and paid, one awaiting payment), an exclusive licence under negotiation, a transfer registered
and paid, an equity investment waiting for its approvals. Each deal is made in a savepoint: a
candidate patent that a rule refuses (a pledge, a missing evaluation report) is skipped, and the
next is tried. Deterministic: the same catalogue gives the same deals.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from listings.models import Listing, Patent
from listings.vocabulary import DealMode, ListingStatus, PatentType
from market.accounts.models import Organisation, User
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation, verification
from market.deals.negotiation import state_assets
from market.deals.negotiation import verification as certificates
from market.deals.open_licence import acquisition, declarations, extras
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.uploads import store_document
from market.deals.vocabulary import DeclarationStatus
from market.payments import services as payments

# A one-page PDF standing in for the scans parties upload (decision minutes, waivers...).
DEMO_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _user(org: Organisation) -> User:
    return db.session.scalars(select(User).where(User.organisation_id == org.id).order_by(User.id)).first()


def _document(deal, user, kind: str):
    upload = FileStorage(stream=io.BytesIO(DEMO_PDF), filename="演示材料.pdf", content_type="application/pdf")
    return store_document(deal, kind, upload, user)


def _point_user(point) -> User | None:
    """A user of the operator of a point: it checks the deals credited to the point (issue 12 §4)."""
    if point is None or point.operator_id is None:
        return None
    return _user(db.session.get(Organisation, point.operator_id))


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _candidates(mode: str, owner_types: tuple[str, ...], *, invention: bool = False) -> list[Listing]:
    query = (select(Listing).join(Listing.organisation)
             .where(Listing.status == ListingStatus.PUBLISHED, Organisation.org_type.in_(owner_types))
             .order_by(Listing.id))
    found = [item for item in db.session.scalars(query) if mode in item.modes]
    if invention:
        found = [item for item in found if item.patent.patent_type == PatentType.INVENTION]
    return found


def _first(candidates, make):
    """Make a deal on the first candidate the rules accept; None when none does."""
    for candidate in candidates:
        try:
            with db.session.begin_nested():
                return make(candidate)
        except DomainError:
            continue
    return None


def _approve_all(deal, user, on: date) -> None:
    """Record every approval the deal still needs (the demo's transfer is an SOE's: no publicity)."""
    for state in negotiation.missing(deal, on):
        step = state.step
        data = {"DECISION": {"decided_on": (on - timedelta(days=10)).isoformat(), "note": "校长办公会/党委会集体决策"},
                "VALUATION_DECISION": {"evaluate": "", "reason": "挂牌交易，以市场价格为参考"},
                "VALUATION": {"basis": "EVALUATION", "appraiser": "上海演示资产评估有限公司",
                              "report_no": f"演评报字[{on.year}]第{deal.id:04d}号",
                              "value_fen": str(deal.price_fen or 0), "base_date": (on - timedelta(days=40)).isoformat()},
                "VALUATION_FILED": {"filing_type": "RECORD", "filing_no": f"沪国资评备{on.year}{deal.id:04d}",
                                    "filing_date": (on - timedelta(days=5)).isoformat()},
                "INVENTOR_WAIVER": {"form": "WAIVER"}}.get(step.code, {})
        document = _document(deal, user, step.document_kind) if step.document_required else None
        negotiation.record_step(user, deal, step.code, data, document)


def declare_open_licence(patent: Patent, owner_org: Organisation, co_owners: list[Organisation], *,
                         lump_fen: int, serial: int) -> bool:
    """The owner declares an open licence and records CNIPA's filing and announcement (40 days ago).

    Every check of the assistant runs (R-OL-1…8); co-owners on the platform consent from their own
    accounts (R-OL-5). A patent the checks refuse is left undeclared, and its listing does not
    show 开放许可. Returns whether the declaration was announced.
    """
    today = today_local()
    owner = _user(owner_org)

    def declare(_):
        decl = declarations.start_declaration(owner, patent, {
            "fee_terms": {"mode": "LUMP_SUM", "lump_fen": lump_fen},
            "fee_basis_note": "参照同类技术许可费与研发成本估算（演示）。",
            "contact": f"{owner.organisation.contact_name} {owner.organisation.contact_phone}"},
            today=today - timedelta(days=70))
        for org in co_owners:
            declarations.record_consent(_user(org), decl, today=today - timedelta(days=70))
        declarations.confirm_eligible(owner, decl, today=today - timedelta(days=70))
        declarations.record_filing(owner, decl, today - timedelta(days=60), today=today - timedelta(days=60))
        declarations.record_announcement(owner, decl, today - timedelta(days=40), f"第42卷第{serial % 52 + 1}号",
                                         today=today - timedelta(days=40))
        return decl

    return _first([patent], declare) is not None


def _announced(owner_types: tuple[str, ...]) -> list[OpenLicenceDeclaration]:
    """Announced declarations of invention patents on the shelf, of the given kinds of patentee."""
    query = (select(OpenLicenceDeclaration).join(Listing, Listing.patent_id == OpenLicenceDeclaration.patent_id)
             .join(Organisation, Organisation.id == OpenLicenceDeclaration.organisation_id)
             .where(OpenLicenceDeclaration.status == DeclarationStatus.ANNOUNCED,
                    Listing.status == ListingStatus.PUBLISHED, Organisation.org_type.in_(owner_types))
             .order_by(OpenLicenceDeclaration.id))
    return [d for d in db.session.scalars(query) if d.patent.patent_type == PatentType.INVENTION]


def seed_deals(orgs: dict[str, Organisation]) -> str:
    today = today_local()
    lanqi, hengxin, luosi, ruiyan = (_user(orgs[k]) for k in ("lanqi", "hengxin", "luosi", "ruiyan"))
    made = []

    # 1. Open licences (declared and announced while seeding the catalogue): 澜启 took the first
    # and paid, 衡芯 awaits payment.
    first = _first(_announced(("UNIVERSITY", "RESEARCH_INSTITUTE", "SOE")), lambda decl: decl)
    if first is not None:
        # Beside the declaration, the patentee offers two priced services (issue 14): 澜启 chooses
        # training, 衡芯 takes the licence on the same terms without any (never tied, R-OL-8).
        patentee = _user(first.organisation)
        training = extras.offer_service(patentee, first, {
            "kind": "TRAINING", "description": "工艺导入现场培训：在被许可方产线讲解关键工艺参数与质量控制要点",
            "unit": "人天", "unit_price_fen": 300_000, "max_quantity": 10})
        extras.offer_service(patentee, first, {
            "kind": "CONSULTING", "description": "量产放大技术咨询：针对被许可方设备条件给出书面工艺方案",
            "unit": "次", "unit_price_fen": 2_000_000, "max_quantity": 3})
        taken = acquisition.take_open_licence(first.id, lanqi.organisation, lanqi, now=_noon(today - timedelta(days=20)),
                                              services={training.id: 2})
        for payment in negotiation.payments_of(taken):
            payments.mark_paid(db.session, payment, at=_noon(today - timedelta(days=18)),
                               actor=_user(first.organisation), evidence={"bank_ref": f"DEMO-{payment.id}"})
        # The point checks the gazette entry, the notice and the payment: the licence is verified.
        checker = _point_user(taken.point)
        if checker is not None:
            verification.verify_deal(checker, taken, "核对了公报卷期、平台通知与收款记录（演示）")
        acquisition.take_open_licence(first.id, hengxin.organisation, hengxin, now=_noon(today - timedelta(days=2)))
        made.append("2 open licences taken")

    # 2. An exclusive licence under negotiation: 澜启 asks, the university counters.
    def exclusive(listing: Listing):
        start = today + timedelta(days=30)
        end = min(start + timedelta(days=5 * 365), listing.patent.last_protected_day or start + timedelta(days=5 * 365))
        deal = negotiation.request_deal(lanqi, listing, DealMode.LICENSE_EXCLUSIVE, terms={
            "price_fen": 80_000_000, "start_date": start, "end_date": end, "territory": "中华人民共和国境内"},
            message="我司拟在宝山基地独家实施，希望五年独占许可。")
        negotiation.make_offer(_user(listing.organisation), deal, {
            "price_fen": 120_000_000, "start_date": start, "end_date": end, "territory": "中华人民共和国境内"},
            "独占许可需覆盖我方放弃自行实施的收益，建议120万元。")
        return deal

    if _first(_candidates(DealMode.LICENSE_EXCLUSIVE, ("UNIVERSITY",)), exclusive):
        made.append("exclusive licence in negotiation")

    # 3. A transfer from an SOE: approvals, contract, registration 20 days ago, price paid.
    def transfer(listing: Listing):
        seller = _user(listing.organisation)
        deal = negotiation.request_deal(luosi, listing, DealMode.TRANSFER, terms={"price_fen": listing.asking_price_fen},
                                        message="按挂牌价受让。")
        negotiation.accept_offer(seller, deal, negotiation.open_offer(deal).id)
        signed = today - timedelta(days=50)
        # The demo seeds a history: the terms were agreed before the contract the parties signed on
        # the demo's past date, not today (the service stamps the server's clock).
        deal.agreed_at = _noon(signed - timedelta(days=10))
        _approve_all(deal, seller, signed)
        # Both parties confirm the frozen text on the platform, on the demo's (past) server date.
        for signer in (seller, luosi):
            negotiation.sign_contract(signer, deal, negotiation.contract_hash(deal, signed), on=signed)
        negotiation.file_registration(luosi, deal, today - timedelta(days=35))
        negotiation.record_registration(luosi, deal, today - timedelta(days=20), f"ZR{today.year}0{deal.id:05d}")
        for payment in negotiation.payments_of(deal):
            payments.mark_paid(db.session, payment, at=_noon(today - timedelta(days=15)), actor=seller,
                               evidence={"bank_ref": f"DEMO-{payment.id}"})
        # CNIPA's registration notice uploaded, and the point checks it: the deal is verified.
        notice = _document(deal, luosi, "REGISTRATION_PROOF")
        checker = _point_user(listing.point)
        if checker is not None:
            certificates.confirm_certificate(checker, deal, certificates.REGISTRATION, notice.id,
                                             "核对了手续合格通知书与登记号（演示）")
        return deal

    # Above the exchange threshold an SOE's transfer is priced by listing (进场, R-ST-3), which the
    # platform cannot do yet: the demo's transfer is one below it.
    limit = state_assets.thresholds().soe_exchange_fen
    priced = [c for c in _candidates(DealMode.TRANSFER, ("SOE",))
              if c.asking_price_fen and c.asking_price_fen <= limit and c.pricing_method == "LISTING"]
    if _first(priced, transfer):
        made.append("transfer registered and paid")

    # 4. An equity investment agreed, waiting for its valuation and decision.
    def equity(listing: Listing):
        price = listing.asking_price_fen or 300_000_000
        deal = negotiation.request_deal(ruiyan, listing, DealMode.EQUITY,
                                        terms={"price_fen": price, "share_pct": "12"},
                                        message="拟以该专利作价入股我司，占股12%。")
        negotiation.accept_offer(_user(listing.organisation), deal, negotiation.open_offer(deal).id)
        return deal

    if _first(_candidates(DealMode.EQUITY, ("RESEARCH_INSTITUTE", "UNIVERSITY")), equity):
        made.append("equity investment awaiting approvals")
    return "deals: " + (", ".join(made) if made else "none")
