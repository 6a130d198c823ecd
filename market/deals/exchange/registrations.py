"""Intending buyers: registration, the seller's qualification decision, withdrawal. Never commits.

An administrator of an approved enterprise registers during the disclosure period; the deposit
then falls due. The seller or the point operator qualifies or refuses each registration with a
reason the buyer sees; a refused or withdrawn registration gets its deposit back at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.accounts.models import User
from market.accounts.permissions import require_buyer
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.notifications import notify
from market.deals.exchange.deposits import (
    deposit_payment,
    excluded_orgs,
    lock_lot,
    lot_ledger,
    open_deposit,
    release_deposit,
)
from market.deals.exchange.lots import require_lot_manager
from market.deals.exchange.models import Lot, LotRegistration, LotStatus, RegistrationStatus
from market.payments import services as payments

MAX_ID = 2**31 - 1


def _period_open(lot: Lot, at: datetime) -> None:
    if lot.status != LotStatus.OPEN or at >= lot.registration_closes_at:
        raise Conflict("lot.period_over", "公告期已结束，不能再报名、确认资格或撤回报名。",
                       "The disclosure period is over: registrations can no longer be made, decided or withdrawn.")


def registration_for(lot: Lot, registration_id: int) -> LotRegistration:
    reg = next((r for r in lot.registrations if r.id == registration_id), None) if 0 < registration_id <= MAX_ID else None
    if reg is None:
        raise NotFound("lot.registration_not_found", "报名记录不存在", "No such registration")
    return reg


def own_registration(user: User | None, lot: Lot) -> LotRegistration | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((r for r in lot.registrations if r.buyer_org_id == user.organisation_id), None)


def register(session: Session, user: User, lot: Lot, statement: str = "", *, at: datetime) -> LotRegistration:
    """An enterprise's administrator registers as an intending buyer; the deposit falls due."""
    require_buyer(user)
    if not user.is_admin:
        raise Forbidden("lot.admin_only", "只有本单位管理员可以报名。", "Only an administrator of your organisation may register.")
    lock_lot(session, lot)
    _period_open(lot, at)
    if user.organisation_id in excluded_orgs(lot):
        raise Forbidden("lot.own_lot", "卖方及网点运营机构不能报名竞买本项目。",
                        "The seller and the point operator cannot register for this lot.")
    if user.organisation_id in {o.organisation_id for o in lot.listing.patent.owners}:
        raise Forbidden("lot.buyer_is_patentee", "贵单位已是该专利的专利权人之一，不能报名。",
                        "Your organisation is already a patentee of this patent.")
    if own_registration(user, lot) is not None:
        raise Conflict("lot.already_registered", "贵单位已报名本项目。", "Your organisation has already registered.")
    reg = LotRegistration(lot_id=lot.id, buyer_org_id=user.organisation_id, registered_by_id=user.id,
                          registered_at=at, status=RegistrationStatus.PENDING)
    try:
        with session.begin_nested():
            session.add(reg)
            session.flush([reg])
            lot.registrations.append(reg)
    except IntegrityError:  # a second click raced the first
        raise Conflict("lot.already_registered", "贵单位已报名本项目。", "Your organisation has already registered.") from None
    open_deposit(session, lot, reg)
    lot_ledger(session, lot, "REGISTERED", at=at, actor=user, registration=reg,
               statement=(statement or "").strip()[:1000])
    notify(lot.seller_org_id, "lot.registered", (f"挂牌项目 {lot.reference}：新的报名", f"Lot {lot.reference}: a new registration"),
           link=f"/lots/{lot.id}/manage")
    return reg


def decide(session: Session, user: User, lot: Lot, reg: LotRegistration, qualified: bool, reason: str, *,
           at: datetime) -> LotRegistration:
    """The seller or point operator qualifies or refuses a registration, with a reason the buyer sees."""
    require_lot_manager(user, lot)
    lock_lot(session, lot)
    _period_open(lot, at)
    reason = (reason or "").strip()[:1000]
    if not reason:
        raise DomainError("lot.reason_required", "请填写理由（报名人可见）。", "Give a reason (the buyer sees it).",
                          field="reason")
    if reg.status != RegistrationStatus.PENDING:
        raise Conflict("lot.already_decided", f"该报名已{RegistrationStatus(reg.status).zh}，不能再次确认。",
                       f"This registration is already {RegistrationStatus(reg.status).en.lower()}.")
    reg.status = RegistrationStatus.QUALIFIED if qualified else RegistrationStatus.REFUSED
    reg.decided_by_id, reg.decided_at, reg.decision_reason = user.id, at, reason
    lot_ledger(session, lot, reg.status, at=at, actor=user, registration=reg, reason=reason)
    if not qualified:
        release_deposit(session, lot, reg, at=at, actor=user, reason=f"资格未通过 / not qualified: {reason}")
    word = RegistrationStatus(reg.status)
    notify(reg.buyer_org_id, "lot.decided", (f"挂牌项目 {lot.reference}：{word.zh}", f"Lot {lot.reference}: {word.en}"),
           body=(reason, reason), link=f"/lots/{lot.id}")
    return reg


def withdrawal_refusal(user: User, lot: Lot, reg: LotRegistration, *, at: datetime) -> DomainError | None:
    """Why the registration cannot be withdrawn now (None: it can); the confirmation page says it first."""
    if not user.is_admin:
        return Forbidden("lot.admin_only", "只有本单位管理员可以撤回报名。", "Only an administrator may withdraw it.")
    try:
        _period_open(lot, at)
    except Conflict as err:
        return err
    if reg.status not in (RegistrationStatus.PENDING, RegistrationStatus.QUALIFIED):
        return Conflict("lot.cannot_withdraw_registration", f"该报名当前为“{RegistrationStatus(reg.status).zh}”，不能撤回。",
                        f"This registration is {RegistrationStatus(reg.status).en.lower()}; it cannot be withdrawn.")
    return None


def withdraw(session: Session, user: User, lot: Lot, *, at: datetime) -> LotRegistration:
    """The buyer withdraws its registration before the period ends; its deposit goes back."""
    reg = own_registration(user, lot)
    if reg is None:
        raise NotFound("lot.registration_not_found", "贵单位没有报名本项目。", "Your organisation has not registered.")
    lock_lot(session, lot)
    refusal = withdrawal_refusal(user, lot, reg, at=at)  # on the locked, current lot
    if refusal is not None:
        raise refusal
    reg.status = RegistrationStatus.WITHDRAWN
    release_deposit(session, lot, reg, at=at, actor=user, reason="报名人撤回报名 / registration withdrawn")
    lot_ledger(session, lot, "REGISTRATION_WITHDRAWN", at=at, actor=user, registration=reg)
    return reg


def confirm_deposit(session: Session, user: User, lot: Lot, reg: LotRegistration, *, at: datetime) -> None:
    """Offline: the seller or point operator says the deposit's bank transfer arrived (the payee's word)."""
    require_lot_manager(user, lot)
    payment = deposit_payment(session, reg)
    if payment is None:
        raise NotFound("lot.no_deposit", "该报名没有保证金。", "This registration has no deposit.")
    if reg.status not in (RegistrationStatus.PENDING, RegistrationStatus.QUALIFIED):
        raise Conflict("lot.registration_closed", "该报名已结束，保证金不再收取。", "This registration is closed.")
    payments.confirm_payment(session, payment, actor=user, at=at)
