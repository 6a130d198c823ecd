"""The data the API fuzzer works on: every kind of record the API names by id, and one token per actor.

Built through the services (they flush), like every test world; the caller commits or rolls back.
Random ids almost never exist, so the fuzzer is also given these real ids (`path_values`) to reach
the code behind the 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from listings import services as listing_services
from listings.vocabulary import DealMode
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation
from market.deals.disputes import services as disputes
from market.deals.models import Deal
from market.deals.open_licence import declarations as ol
from market.deals.royalties import services as royalties
from market.deals.vocabulary import DealKind, DealStatus
from matching import services as matching
from tests import factories as f

ACTORS = ["anonymous", "enterprise", "patentee", "operator", "bureau"]
ROYALTY = {"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": "5",
           "payment_period": "QUARTERLY", "report_due_days": 30, "payment_due_days": 15}


@dataclass
class FuzzWorld:
    # Actor → the Authorization header it sends (the anonymous actor sends none).
    headers: dict[str, dict[str, str]]
    # Path template → {parameter name → real values} (`/deals/{id}` and `/listings/{id}` differ).
    path_values: dict[str, dict[str, list]] = field(default_factory=dict)

    def real_parameters(self, path: str, names: list[str]) -> list[dict]:
        """Every combination the world knows for the path's parameters ([] when one is unknown)."""
        values = self.path_values.get(path, {})
        combos: list[dict] = [{}]
        for name in names:
            if not values.get(name):
                return []
            combos = [{**c, name: v} for c in combos for v in values[name]]
        return combos


def build() -> FuzzWorld:
    """A patentee with listings, an open licence and deals; an enterprise with a demand; a point and its
    operator, with a listing to review; the bureau."""
    uni = f.organisation("上海模糊测试大学", address="上海市宝山区上大路99号", contact_name="技术转移中心",
                         contact_phone="021-66130000")
    uni_user = f.user(uni)
    operator = f.organisation(org_type="POINT_OPERATOR")
    point = f.point(operator)
    enterprise = f.organisation("上海模糊锂能科技有限公司", org_type="PRIVATE", address="上海市宝山区锂电路88号",
                                contact_name="王经理", contact_phone="021-55550000")
    enterprise_user = f.user(enterprise)
    bureau_user = f.user(f.organisation(org_type="BUREAU"))
    every_mode = [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY, DealMode.LICENSE_EXCLUSIVE, DealMode.LICENSE_SOLE,
                  DealMode.EQUITY]
    published = f.listing(uni, point, modes=every_mode)
    draft = f.listing(uni, point, published=False, price_fen=None)
    submitted = f.listing(uni, point, published=False)
    listing_services.submit_listing(uni_user, submitted)
    open_listing = f.listing(uni, point, modes=[DealMode.LICENSE_ORDINARY])

    declaration = ol.start_declaration(uni_user, open_listing.patent, {
        "fee_terms": {"mode": "LUMP_SUM", "lump_fen": 5_000_000}, "fee_basis_note": "按成本法估算。",
        "contact": "技术转移中心 021-66130000"})
    ol.confirm_eligible(uni_user, declaration)
    ol.record_filing(uni_user, declaration, today_local() - timedelta(days=20))
    ol.record_announcement(uni_user, declaration, today_local(), "第42卷第47号")

    demand = matching.post_demand(enterprise_user, {
        "title": "需要耐高温的锂电池隔膜", "problem": "现有隔膜在高温下收缩，导致电池短路，需要耐高温隔膜技术。",
        "expected_outcome": "隔膜150℃不收缩", "existing_basis": "我司已有涂布产线（保密）",
        "budget_min_fen": 1_000_000, "budget_max_fen": 50_000_000, "modes": [DealMode.LICENSE_ORDINARY],
        "industries": [], "timeline": "一年内", "visibility": "PUBLIC"})

    negotiating = negotiation.request_deal(enterprise_user, published, DealKind.TRANSFER,
                                           terms={"price_fen": 8_000_000}, message="想谈一谈")
    # A licence in force with a running royalty: reports, and a dispute over them.
    licence = Deal(kind=DealKind.LICENSE_ORDINARY, status=DealStatus.FILED, patent_id=f.patent(uni).id,
                   seller_org_id=uni.id, buyer_org_id=enterprise.id, point_id=point.id, fee_terms=ROYALTY,
                   start_date=date(2024, 1, 1), end_date=date(2027, 12, 31))
    db.session.add(licence)
    db.session.flush()
    report = royalties.file_report(licence, enterprise_user, period_start=date(2024, 1, 1), base_fen=1_000_000)
    dispute = disputes.raise_dispute(enterprise_user, licence, subject="提成基数有争议")
    db.session.flush()

    deals = [negotiating.id, licence.id]
    world = FuzzWorld(headers={"anonymous": {}}, path_values={
        "/listings/{id}": {"id": [published.id, draft.id, submitted.id]},
        "/patents/{app_no}": {"app_no": [published.patent.application_number]},
        "/organisations/{id}": {"id": [uni.id, enterprise.id]},
        "/points/{id}": {"id": [point.id]},
        "/demands/{id}": {"id": [demand.id]},
        "/demands/{id}/matches/{listing_id}/dismiss": {"id": [demand.id], "listing_id": [published.id]},
        "/open-licences/{declaration_id}/take": {"declaration_id": [declaration.id]},
        "/deals/{deal_id}/royalty-reports/{report_id}/confirm": {"deal_id": [licence.id], "report_id": [report.id]},
        "/deals/{deal_id}/royalty-reports/{report_id}/dispute": {"deal_id": [licence.id], "report_id": [report.id]},
        "/deals/{deal_id}/disputes/{dispute_id}/escalate": {"deal_id": [licence.id], "dispute_id": [dispute.id]},
        "/deals/{deal_id}/disputes/{dispute_id}/resolve": {"deal_id": [licence.id], "dispute_id": [dispute.id]},
        # The royalty report's payment, due from the enterprise.
        "/deals/{deal_id}/payments/{payment_id}/checkout": {"deal_id": [licence.id],
                                                            "payment_id": [report.payment_id]},
    })
    for path in ("/listings/{id}/submit", "/listings/{id}/withdraw", "/listings/{id}/suspend",
                 "/listings/{id}/resume", "/listings/{id}/review", "/listings/{id}/requests"):
        world.path_values[path] = world.path_values["/listings/{id}"]
    world.path_values["/demands/{id}/matches"] = world.path_values["/demands/{id}"]
    for path in ("/deals/{id}", "/deals/{id}/offers", "/deals/{id}/accept", "/deals/{id}/decline",
                 "/deals/{id}/cancel", "/deals/{id}/void", "/deals/{id}/sign", "/deals/{id}/filing",
                 "/deals/{id}/registration"):
        world.path_values[path] = {"id": deals}
    for path in ("/deals/{deal_id}/royalty-reports", "/deals/{deal_id}/disputes", "/deals/{deal_id}/reward"):
        world.path_values[path] = {"deal_id": deals}
    for actor, user in (("enterprise", enterprise_user), ("patentee", uni_user), ("operator", f.user(operator)),
                        ("bureau", bureau_user)):
        world.headers[actor] = {"Authorization": "Bearer " + issue_api_token(user, "fuzz")[1]}
    db.session.flush()
    return world
