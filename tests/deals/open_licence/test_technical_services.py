"""Priced technical services beside an open licence (issue 14): offered by the patentee, never tied to
the licence (R-OL-8), snapshotted on the take, a sum due and a ledger line of their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from market.core.errors import DomainError, Forbidden
from market.core.extensions import db
from market.deals import documents
from market.deals.open_licence import acquisition, extras
from market.deals.open_licence.models import TakenService
from market.deals.open_licence.queries import announced_declarations
from market.deals.open_licence.schemas import DeclarationSchema
from market.payments import services as payments
from market.payments.models import Payment
from tests.deals.open_licence import world as wb

TRAINING = {"kind": "TRAINING", "description": "隔膜涂覆工艺现场培训", "unit": "人天", "unit_price_fen": 300_000,
            "max_quantity": 10}
CONSULTING = {"kind": "CONSULTING", "description": "量产工艺咨询", "unit": "次", "unit_price_fen": 1_000_000}


def offered(w, decl, *specs):
    return [extras.offer_service(w.uni_user, decl, dict(spec)) for spec in specs]


def pay(payment: Payment) -> None:
    payments.mark_paid(db.session, payment, at=datetime.now(UTC).replace(tzinfo=None), actor=None,
                       evidence={"provider": "offline"})


def dues(deal) -> dict[str, int]:
    return {p.kind: p.amount_fen for p in db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))}


def test_offering_a_service_leaves_the_declaration_as_announced(session):
    w = wb.world()
    decl = wb.announced(w)
    before = (decl.version, dict(decl.fee_terms), decl.other_terms, decl.status)
    (training,) = offered(w, decl, TRAINING)
    db.session.flush()
    assert (decl.version, decl.fee_terms, decl.other_terms, decl.status) == before
    assert [s.id for s in extras.offered_services(decl)] == [training.id]


def test_a_draft_declaration_may_carry_services_too(session):
    w = wb.world()
    decl = wb.draft(w)
    (consulting,) = offered(w, decl, CONSULTING)
    assert consulting.declaration_id == decl.id


@pytest.mark.parametrize("who", ["enterprise", "operator"])
def test_only_the_declaring_patentee_offers_or_withdraws_services(session, who):
    w = wb.world()
    decl = wb.announced(w)
    (training,) = offered(w, decl, TRAINING)
    other = w.buyer_user if who == "enterprise" else w.operator_user
    with pytest.raises(Forbidden):
        extras.offer_service(other, decl, dict(CONSULTING))
    with pytest.raises(Forbidden):
        extras.withdraw_service(other, decl, training.id)
    assert training.withdrawn_at is None


def test_the_licence_is_taken_without_any_service(session):
    w = wb.world()
    decl = wb.announced(w)
    offered(w, decl, TRAINING, CONSULTING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user)
    assert deal.status == "PAYMENT_PENDING" and dues(deal) == {"LUMP_SUM": 5_000_000}
    assert extras.taken_services(deal) == []


def test_chosen_services_are_a_sum_due_of_their_own_and_the_patent_fee_alone_licenses(session):
    w = wb.world()
    decl = wb.announced(w)
    training, consulting = offered(w, decl, TRAINING, CONSULTING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 2, consulting.id: 1})
    assert deal.price_fen == 5_000_000 and deal.fee_terms == decl.fee_terms  # the patent fee, unchanged
    assert dues(deal) == {"LUMP_SUM": 5_000_000, "SERVICE_FEE": 1_600_000}
    fee = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id, Payment.kind == "LUMP_SUM"))
    service_fee = db.session.scalar(select(Payment).where(Payment.deal_id == deal.id, Payment.kind == "SERVICE_FEE"))
    pay(service_fee)  # paying the services first licenses nothing
    assert deal.status == "PAYMENT_PENDING"
    assert [(e.kind, e.amount_fen) for e in deal.events if e.kind.endswith("PAYMENT")] == [("SERVICE_PAYMENT", 1_600_000)]
    pay(fee)
    assert deal.status == "LICENSED"
    assert [e.kind for e in deal.events if e.kind.endswith("PAYMENT")] == ["SERVICE_PAYMENT", "PAYMENT"]


def test_a_free_licence_is_in_force_while_the_services_are_still_unpaid(session):
    w = wb.world()
    decl = wb.announced(w, {"mode": "FREE"})
    (training,) = offered(w, decl, TRAINING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 1})
    assert deal.status == "LICENSED" and dues(deal) == {"SERVICE_FEE": 300_000}


def test_the_take_keeps_the_service_as_offered_whatever_changes_later(session):
    w = wb.world()
    decl = wb.announced(w)
    (training,) = offered(w, decl, TRAINING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 3})
    training.unit_price_fen, training.description = 999_900, "改过的说明"
    extras.withdraw_service(w.uni_user, decl, training.id)
    db.session.flush()
    db.session.expire_all()
    (taken,) = db.session.scalars(select(TakenService).where(TakenService.deal_id == deal.id))
    assert (taken.kind, taken.description, taken.unit, taken.unit_price_fen, taken.quantity, taken.amount_fen) == (
        "TRAINING", "隔膜涂覆工艺现场培训", "人天", 300_000, 3, 900_000)


def test_a_withdrawn_service_cannot_be_taken_and_nothing_is_written(session):
    w = wb.world()
    decl = wb.announced(w)
    (training,) = offered(w, decl, TRAINING)
    extras.withdraw_service(w.uni_user, decl, training.id)
    with pytest.raises(DomainError) as refused:
        acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 1})
    assert refused.value.field == f"qty_{training.id}" and "不再提供" in refused.value.zh
    assert acquisition.existing_licence(decl.id, w.buyer.id) is None


@pytest.mark.parametrize("quantity", [-1, 11, 10_000])
def test_a_quantity_outside_the_offer_is_refused(session, quantity):
    w = wb.world()
    decl = wb.announced(w)
    (training,) = offered(w, decl, TRAINING)
    with pytest.raises(DomainError) as refused:
        acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: quantity})
    assert refused.value.field == f"qty_{training.id}"
    assert acquisition.existing_licence(decl.id, w.buyer.id) is None


def test_another_declarations_service_cannot_be_taken_with_this_one(session):
    w, other = wb.world(), wb.world()
    decl, elsewhere = wb.announced(w), wb.announced(other)
    (foreign,) = offered(other, elsewhere, TRAINING)
    with pytest.raises(DomainError):
        acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={foreign.id: 1})


def _contract_text(deal, lang="zh") -> str:
    doc = documents.contract(deal, lang)
    return "\n".join([s.heading for s in doc.sections] + [p for s in doc.sections for p in s.paragraphs]
                     + ["|".join(r) for s in doc.sections for r in s.table])


def test_the_contract_lists_the_services_in_their_own_article_apart_from_the_patent_fee(session):
    w = wb.world()
    decl = wb.announced(w)
    training, consulting = offered(w, decl, TRAINING, CONSULTING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 2, consulting.id: 1})
    doc = documents.contract(deal, "zh")
    fee = next(s for s in doc.sections if "许可使用费" in s.heading)
    services = next(s for s in doc.sections if "技术服务" in s.heading)
    assert all("技术服务费" not in "|".join(row) for row in fee.table)  # the fee table is the patent fee only
    assert ["技术培训", "隔膜涂覆工艺现场培训", "3,000.00元/人天 × 2", "6,000.00元"] in services.table
    assert services.table[-1] == ["技术服务费合计", "", "", "16,000.00元"]
    assert "人民币壹万陆仟元整" in "".join(services.paragraphs)
    assert "不影响本许可的取得和效力" in "".join(services.paragraphs)
    english = _contract_text(deal, "en")
    assert "Technical services (apart from the patent fee)" in english and "Services total" in english


def test_a_contract_without_services_has_no_services_article(session):
    w = wb.world()
    decl = wb.announced(w)
    offered(w, decl, TRAINING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user)
    assert "技术服务" not in "".join(s.heading for s in documents.contract(deal, "zh").sections)


def test_the_contract_pdf_carries_the_services_table(session):
    w = wb.world()
    decl = wb.announced(w)
    (training,) = offered(w, decl, TRAINING)
    deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user, services={training.id: 1})
    assert documents.render_pdf(documents.contract(deal, "zh")).startswith(b"%PDF")


def test_a_page_of_declarations_reads_their_services_in_one_query(session):
    """The API's list shows each declaration's services: one query for the page, not one per declaration."""
    worlds = [wb.world() for _ in range(3)]
    for w in worlds:
        offered(w, wb.announced(w), TRAINING, CONSULTING)
    db.session.flush()
    db.session.expire_all()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args, **_kwargs):
        seen.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        page = DeclarationSchema(many=True).dump(announced_declarations())
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [len(d["services"]) for d in page if d["services"]] == [2, 2, 2]
    assert sum("open_licence_services" in s for s in seen) == 1
