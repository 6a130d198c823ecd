"""Priced technical services (技术服务/技术咨询/技术培训) offered beside an open licence. Never commits.

They are the platform's offer, not part of the declaration CNIPA announces (IR 85 lists what that
states), so offering or withdrawing one never touches the declaration. They are never tied to the
licence: every enterprise takes the licence on the announced terms with or without them (R-OL-8;
a technology contract may not make the licensee accept services it does not need — the tying ban
on technology contracts), so a service's fee is a sum due of its own and the licence never waits
for it. A take keeps a snapshot of each chosen service, so a later change rewrites nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from market.accounts.models import User
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.money import MAX_FEN
from market.deals import ledger
from market.deals.models import Deal
from market.deals.open_licence.models import OfferedService, OpenLicenceDeclaration, TakenService
from market.deals.open_licence.queries import LIVE, _require_manager
from market.deals.vocabulary import LedgerEvent, PaymentKind, ServiceKind
from market.payments.models import Payment

SERVICE_FEE_DUE_DAYS = 30  # [policy] the services' sum is due 30 days after the take, like a fee's default
MAX_QUANTITY = 9999  # a quantity above this is a typing slip, whatever the offer's own maximum
MAX_SERVICES = 20  # per declaration, offered at once


def offered_services(decl: OpenLicenceDeclaration, *, withdrawn: bool = False) -> list[OfferedService]:
    """The services on offer beside `decl` (and, for its manager, those withdrawn), oldest first."""
    query = select(OfferedService).where(OfferedService.declaration_id == decl.id)
    if not withdrawn:
        query = query.where(OfferedService.withdrawn_at.is_(None))
    return list(db.session.scalars(query.order_by(OfferedService.id)))


def services_by_id(decl: OpenLicenceDeclaration) -> dict[int, OfferedService]:
    """The services on offer by id: read once per take, checked and snapshotted alike."""
    return {s.id: s for s in offered_services(decl)}


def offer_service(user: User, decl: OpenLicenceDeclaration, fields: dict) -> OfferedService:
    """The declaring patentee offers one priced service beside a draft or announced declaration."""
    _require_manager(user, decl)
    if decl.status not in LIVE:
        raise Conflict("open_licence.services_closed", "该开放许可声明已撤回或终止，不能再提供技术服务。",
                       "The declaration was withdrawn or has ended; no services can be offered on it.")
    if len(offered_services(decl)) >= MAX_SERVICES:
        raise Conflict("open_licence.too_many_services", f"每项声明最多同时提供{MAX_SERVICES}项技术服务。",
                       f"At most {MAX_SERVICES} services can be on offer beside one declaration.", field="description")
    service = OfferedService(declaration_id=decl.id, kind=ServiceKind(fields["kind"]).value,
                             description=fields["description"], unit=fields["unit"],
                             unit_price_fen=fields["unit_price_fen"], max_quantity=fields.get("max_quantity"),
                             created_by_id=user.id)
    db.session.add(service)
    db.session.flush([service])
    return service


def withdraw_service(user: User, decl: OpenLicenceDeclaration, service_id: int) -> OfferedService:
    """Stop offering a service: new takes cannot choose it; takes already made keep their snapshot."""
    _require_manager(user, decl)
    service = db.session.get(OfferedService, service_id) if 0 < service_id < 2**31 else None
    if service is None or service.declaration_id != decl.id:
        raise DomainError("open_licence.no_such_service", "该技术服务不存在。", "No such service.", status=404)
    if service.withdrawn_at is None:
        service.withdrawn_at = utcnow()
        service.withdrawn_by_id = user.id
    return service


def quantity_errors(decl: OpenLicenceDeclaration, quantities: dict[int, int], *,
                    on_offer: dict[int, OfferedService] | None = None) -> dict[str, tuple[str, str]]:
    """Every chosen quantity that cannot be taken, (zh, en) on the take form's field for it (qty_<id>)."""
    offer = on_offer if on_offer is not None else services_by_id(decl)
    errors: dict[str, tuple[str, str]] = {}
    for service_id, quantity in quantities.items():
        service = offer.get(service_id)
        field = f"qty_{service_id}"
        if service is None:
            if quantity:
                errors[field] = ("该技术服务已不再提供（或不属于本声明）。",
                                 "This service is no longer offered (or belongs to another declaration).")
            continue
        limit = min(service.max_quantity or MAX_QUANTITY, MAX_QUANTITY)
        if quantity < 0 or quantity > limit:
            errors[field] = (f"数量须为 0 至 {limit} 的整数。", f"The quantity is a whole number from 0 to {limit}.")
        elif quantity * service.unit_price_fen > MAX_FEN:
            errors[field] = ("金额过大。", "The amount is too large.")
    return errors


def require_quantities(decl: OpenLicenceDeclaration, quantities: dict[int, int], *,
                       on_offer: dict[int, OfferedService] | None = None) -> None:
    """Refuse the first quantity that cannot be taken (the take checks before it writes anything)."""
    errors = quantity_errors(decl, quantities, on_offer=on_offer)
    if errors:
        field, (zh, en) = next(iter(errors.items()))
        raise DomainError("open_licence.bad_service_quantity", zh, en, field=field)


def take_services(deal: Deal, decl: OpenLicenceDeclaration, quantities: dict[int, int], *, actor: User,
                  today: date, on_offer: dict[int, OfferedService] | None = None) -> list[TakenService]:
    """Snapshot the chosen services on the new licence and make their fee a sum due of its own.

    `on_offer` is what the caller already read and checked (services_by_id); read here otherwise."""
    if on_offer is None:
        on_offer = services_by_id(decl)
        require_quantities(decl, quantities, on_offer=on_offer)
    taken = []
    for service_id, quantity in sorted(quantities.items()):
        if not quantity:
            continue
        s = on_offer[service_id]
        taken.append(TakenService(deal_id=deal.id, service_id=s.id, kind=s.kind, description=s.description,
                                  unit=s.unit, unit_price_fen=s.unit_price_fen, quantity=quantity,
                                  amount_fen=s.unit_price_fen * quantity))
    if not taken:
        return []
    db.session.add_all(taken)
    total = sum(x.amount_fen for x in taken)
    payment = Payment(deal_id=deal.id, kind=PaymentKind.SERVICE_FEE.value, sequence=1, amount_fen=total,
                      due_date=today + timedelta(days=SERVICE_FEE_DUE_DAYS))
    db.session.add(payment)
    db.session.flush([*taken, payment])
    ledger.append(deal, LedgerEvent.PAYMENT_DUE, occurred_on=today, amount_fen=total, actor=actor,
                  note=f"技术服务费应付（与专利许可使用费分开），截止 {payment.due_date.isoformat()}",
                  evidence={"payment_id": payment.id, "kind": payment.kind, "sequence": 1,
                            "due_date": payment.due_date.isoformat(),
                            "services": [{"service_id": x.service_id, "kind": x.kind, "description": x.description,
                                          "unit": x.unit, "unit_price_fen": x.unit_price_fen,
                                          "quantity": x.quantity, "amount_fen": x.amount_fen} for x in taken]})
    return taken


def taken_services(deal: Deal) -> list[TakenService]:
    return list(db.session.scalars(select(TakenService).where(TakenService.deal_id == deal.id)
                                   .order_by(TakenService.id)))


def services_total_fen(deal: Deal) -> int:
    return sum(x.amount_fen for x in taken_services(deal))


def book_service_payment(deal: Deal, payment: Payment, paid_on: date) -> None:
    """A services payment arrived: its own ledger line, outside the patent fee (and the licence)."""
    ledger.append(deal, LedgerEvent.SERVICE_PAYMENT, occurred_on=paid_on, amount_fen=payment.amount_fen,
                  actor_org_id=deal.buyer_org_id, note="技术服务费已到账（不属于专利许可使用费）",
                  evidence={"payment_id": payment.id, "kind": payment.kind, "provider": payment.provider,
                            "provider_ref": payment.provider_ref, "receipt_document_id": payment.receipt_document_id})


def label(kind: str, lang: str = "zh") -> str:
    try:
        return ServiceKind(kind).label(lang)
    except ValueError:
        return kind
