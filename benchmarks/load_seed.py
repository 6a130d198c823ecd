"""The data the load runs against: the demo, more enterprises with API tokens, more open licences.

Built through the services, as `flask demo seed` does, before the app is served. What the load
generator needs (tokens, declarations, patent numbers, query words, demand texts) comes back as
a plain `Plan`; tokens are shown once by the service and kept only there.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

# Words too general to be a search a person would type.
STOP = {"一种", "方法", "及其", "装置", "系统", "用于", "基于", "制备", "应用", "使用", "以及", "结构", "设备"}


@dataclass
class Plan:
    enterprise_tokens: list[str] = field(default_factory=list)
    enterprise_org_ids: list[int] = field(default_factory=list)  # in the order of the tokens
    # Owner's token and the published listings it may edit (one owner per virtual user at most).
    supplier_listings: list[tuple[str, list[int]]] = field(default_factory=list)
    declarations: list[int] = field(default_factory=list)
    patent_numbers: list[str] = field(default_factory=list)
    query_words: list[str] = field(default_factory=list)
    demand_texts: list[str] = field(default_factory=list)


def seed(enterprises: int, declarations: int) -> tuple[Plan, str]:
    """Seed inside an app context; commits and applies the outbox. Returns the plan and a summary."""
    import jieba
    from sqlalchemy import select

    from listings.models import Listing
    from listings.vocabulary import DealMode, LegalStatus, ListingStatus, OrgStatus, PatentType, Role
    from market.accounts.models import Organisation, User
    from market.accounts.services import create_organisation, create_user, issue_api_token
    from market.accounts.uscc import make_uscc
    from market.core.errors import DomainError
    from market.core.extensions import db
    from market.core.outbox import process_outbox
    from market.core.time import today_local
    from market.deals.open_licence import declarations as ol
    from market.demo.seed import seed as demo_seed

    summary = demo_seed()
    db.session.commit()
    process_outbox(bulk=True)
    plan = Plan()
    first = None
    for i in range(enterprises):
        org = create_organisation(name=f"上海负载测试科技有限公司{i:03d}", org_type="PRIVATE",
                                  uscc=make_uscc(f"91310113{8000000 + i:09d}"), district="宝山区",
                                  status=OrgStatus.APPROVED)
        if first is None:
            first = create_user(org, email=f"load{i}@load.psm.test", name="负载测试", password="load-Passw0rd",
                                role=Role.ADMIN)
            user = first
        else:
            # One password hash for all: scrypt per user is not what the load measures.
            user = User(organisation=org, email=f"load{i}@load.psm.test", name="负载测试",
                        password_hash=first.password_hash, role=Role.ADMIN)
            db.session.add(user)
            db.session.flush()
        plan.enterprise_tokens.append(issue_api_token(user, "load")[1])
        plan.enterprise_org_ids.append(org.id)

    today = today_local()
    published = db.session.scalars(select(Listing).where(Listing.status == ListingStatus.PUBLISHED)
                                   .order_by(Listing.id)).all()
    announced = 0
    for listing in published:
        if announced >= declarations:
            break
        patent = listing.patent
        if (DealMode.OPEN_LICENSE not in listing.modes or patent.patent_type != PatentType.INVENTION
                or patent.legal_status != LegalStatus.VALID):
            continue
        owner = db.session.scalars(select(User).where(User.organisation_id == listing.organisation_id)
                                   .order_by(User.id)).first()
        try:
            with db.session.begin_nested():
                decl = ol.start_declaration(owner, patent, {
                    "fee_terms": {"mode": "LUMP_SUM", "lump_fen": listing.asking_price_fen or 5_000_000},
                    "fee_basis_note": "参照同类技术许可费与研发成本估算（负载测试）。",
                    "contact": "技术转移中心 021-66130000"}, today=today - timedelta(days=70))
                ol.confirm_eligible(owner, decl, today=today - timedelta(days=70))
                ol.record_filing(owner, decl, today - timedelta(days=60), today=today - timedelta(days=60))
                ol.record_announcement(owner, decl, today - timedelta(days=40), "第42卷第45号",
                                       today=today - timedelta(days=40))
        except DomainError:
            continue  # refused by a rule (pledge, declaration already in effect...): the next one
        announced += 1
    from market.deals.open_licence.models import OpenLicenceDeclaration

    plan.declarations = list(db.session.scalars(
        select(OpenLicenceDeclaration.id).where(OpenLicenceDeclaration.status == "ANNOUNCED")
        .order_by(OpenLicenceDeclaration.id)))

    by_owner: dict[int, list[int]] = {}
    for listing in published:
        by_owner.setdefault(listing.organisation_id, []).append(listing.id)
    for org_id, ids in sorted(by_owner.items()):
        owner = db.session.scalars(select(User).where(User.organisation_id == org_id).order_by(User.id)).first()
        plan.supplier_listings.append((issue_api_token(owner, "load")[1], ids))
    db.session.commit()
    process_outbox(bulk=True)

    rng = random.Random(7)
    plan.patent_numbers = [l.patent.application_number for l in published]
    words = Counter(w for l in published for w in jieba.lcut(l.patent.title)
                    if len(w) >= 2 and w not in STOP and not w.isascii())
    plan.query_words = [w for w, _ in words.most_common(80)]
    texts = [t for l in published for t in (l.problem_solved, l.applications) if len(t) >= 20]
    plan.demand_texts = rng.sample(texts, min(60, len(texts)))
    n_orgs = db.session.scalar(select(db.func.count(Organisation.id)))
    return plan, (f"{summary}; +{enterprises} enterprises with API tokens, {len(plan.declarations)} open-licence "
                  f"declarations announced, {len(published)} published listings, {n_orgs} organisations")
