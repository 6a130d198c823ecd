"""After agreement: signature, filing (licences), registration (transfers, equity), payment, void.

R-LC-5 (filing within 3 months of the effective date), R-LC-6 (what CNIPA refuses to file,
checked before filing), R-TR-1 (a transfer takes effect on its registration date; both dates
kept), R-TR-6 (earlier licences survive the transfer), R-ST-4 (an equity deal completes only
once the patent is registered to the investee and the capital registered). Never commits.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import select

from listings import patents as patent_records
from listings import services as listing_services
from listings.numbers import parse_application_number
from listings.patents import require_fresh_status
from listings.vocabulary import ListingStatus, Source
from market.accounts.models import User
from market.accounts.permissions import is_bureau
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.money import yuan_grouped
from market.core.time import today_local
from market.deals import claims, ledger, machine, settlement
from market.deals.documents.grounds import filing_blockers
from market.deals.models import Deal, DealDocument
from market.deals.negotiation import verification
from market.deals.negotiation.common import other_org_id, tell, tell_both
from market.deals.negotiation.terms import require_patent_fit
from market.deals.permissions import require, role_of
from market.deals.vocabulary import (
    LICENCE_KINDS,
    OWNERSHIP_KINDS,
    DealKind,
    LedgerEvent,
    PaymentKind,
    PaymentStatus,
)
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment
from market.payments.services import OPEN as OPEN_PAYMENTS
from market.payments.services import cancel_payment

# Licences a CNIPA filing can conflict with: those signed or in force (an open licence once licensed).
LICENCE_IN_FORCE = (S.SIGNED, S.FILED, S.FILING_REJECTED, S.ACTIVE, S.LICENSED)
FILED_STATES = (S.FILED, S.ACTIVE)


def _evidence(document: DealDocument | None, **more) -> dict:
    out = {k: v for k, v in more.items() if v not in (None, "")}
    if document is not None:
        out["document_id"] = document.id
    return out


def _day(value: date | None, what: tuple[str, str], field: str, *, not_before: date | None = None,
         before_label: tuple[str, str] = ("", "")) -> date:
    if value is None:
        raise DomainError("deal.date_required", f"请填写{what[0]}。", f"Give {what[1]}.", field=field)
    if value > today_local():
        raise DomainError("deal.date_future", f"{what[0]}不能晚于今天。", f"{what[1].capitalize()} cannot be in the future.",
                          field=field)
    if not_before is not None and value < not_before:
        raise DomainError("deal.date_order", f"{what[0]}不能早于{before_label[0]}（{not_before.isoformat()}）。",
                          f"{what[1].capitalize()} cannot be before {before_label[1]} ({not_before.isoformat()}).",
                          field=field)
    return value


# ---- filing (licences, open licences included) ---------------------------------------------------

def _require_licence(deal: Deal) -> None:
    if deal.kind not in LICENCE_KINDS and deal.kind != DealKind.OPEN_LICENSE:
        raise Conflict("deal.not_a_licence", "只有许可合同需要备案；转让和作价投资办理著录项目变更登记。",
                       "Only licences are filed; transfers and equity deals are registered.")


def record_filing(deal: Deal, record_no: str, filing_date: date, user: User | None,
                  document: DealDocument | None = None) -> Deal:
    """备案: CNIPA filed the licence contract under `record_no` (any licence kind, open ones too)."""
    _require_licence(deal)
    if user is not None:
        require(user, deal)
    machine.check(deal.kind, deal.status, S.FILED)  # a wrong state is the first thing to say
    require_fresh_status(deal.patent, ("合同备案", "Recording the filing"))
    record_no = verification.filing_no(record_no)
    start = deal.effective_date or deal.licensed_date or deal.signed_date
    filing_date = _day(filing_date, ("备案日期", "the filing date"), "filing_date", not_before=start,
                       before_label=("合同生效日", "the contract's effective date"))
    blockers = filing_blockers(deal, record_no)
    if blockers:
        raise Conflict(f"deal.filing_{blockers[0][0]}", "不能备案：" + "".join(b[1] for b in blockers),
                       "Cannot be filed: " + " ".join(b[2] for b in blockers))
    late = deal.filing_deadline is not None and filing_date > deal.filing_deadline
    deal.filing_record_no, deal.filing_date = record_no, filing_date
    ledger.move(deal, S.FILED, LedgerEvent.FILING, occurred_on=filing_date, actor=user,
                note="逾期备案（超过合同生效之日起3个月）" if late else "",
                evidence=_evidence(document, record_no=record_no, late=late or None, declared=True))
    tell_both(deal, "filed", f"许可合同已备案（备案号 {record_no}）", f"The licence is filed (record no. {record_no})")
    return deal


def record_filing_rejected(deal: Deal, reason: str, user: User | None, rejected_on: date | None = None,
                           document: DealDocument | None = None) -> Deal:
    """CNIPA refused the filing; the parties fix the contract and file again."""
    _require_licence(deal)
    if user is not None:
        require(user, deal)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请填写未予备案的理由。", "Give CNIPA's reason.", field="reason")
    on = _day(rejected_on or today_local(), ("通知日期", "the notice date"), "rejected_on")
    kwargs = dict(occurred_on=on, actor=user, note=reason, evidence=_evidence(document))
    if S.FILING_REJECTED in _next(deal):
        ledger.move(deal, S.FILING_REJECTED, LedgerEvent.FILING_REJECTED, **kwargs)
    elif deal.status in (S.LICENSED, S.FILING_REJECTED):
        # An open licence stays licensed while its filing is redone (the machine has no such state).
        ledger.append(deal, LedgerEvent.FILING_REJECTED, **kwargs)
    else:
        raise Conflict("deal.not_filable", "该交易当前不在备案阶段。", "This deal is not awaiting filing.")
    tell_both(deal, "filing_rejected", "备案未通过：" + reason[:100], "Filing refused: " + reason[:100])
    return deal


def _next(deal: Deal) -> set[str]:
    return machine.allowed(deal.kind, deal.status)


# ---- registration (transfers and equity) ----------------------------------------------------------

def _require_ownership(deal: Deal) -> None:
    if deal.kind not in OWNERSHIP_KINDS:
        raise Conflict("deal.not_a_transfer", "只有转让和作价投资需要办理转让登记；许可合同办理备案。",
                       "Only transfers and equity deals are registered; licences are filed.")


def file_registration(user: User, deal: Deal, filed_on: date, document: DealDocument | None = None) -> Deal:
    """著录项目变更 submitted to CNIPA (R-TR-1)."""
    _require_ownership(deal)
    require(user, deal)
    for member in deal.members:  # a package's submission covers each of its patents
        require_fresh_status(member, ("提交转让登记", "Filing the transfer for registration"))
    filed_on = _day(filed_on, ("提交日期", "the submission date"), "filed_on", not_before=deal.signed_date,
                    before_label=("签约日期", "the signature date"))
    for member in deal.members:
        require_patent_fit(deal.kind, member, filed_on)
    deal.registration_filed_date = filed_on
    ledger.move(deal, S.REGISTRATION_FILED, LedgerEvent.REGISTRATION_FILED, occurred_on=filed_on, actor=user,
                evidence=_evidence(document))
    tell(other_org_id(deal, user.organisation_id), deal, "registration_filed", "已提交转让登记",
         "The transfer has been submitted for registration")
    return deal


def record_registration(user: User, deal: Deal, registered_on: date, registration_no: str,
                        document: DealDocument | None = None, application_number: str | None = None) -> Deal:
    """CNIPA registered the transfer: it takes effect on this date and the buyer is the patentee (PL 10 ¶3).

    A package's patents are registered one by one (`application_number` names which); the deal is
    registered, and may complete, only when every one of them is.
    """
    _require_ownership(deal)
    require(user, deal)
    machine.check(deal.kind, deal.status, S.REGISTERED)  # a wrong state is the first thing to say
    patent = package_member(deal, application_number) if deal.is_package else deal.patent
    require_fresh_status(patent, ("记录转让登记", "Recording the registration"))
    registration_no = verification.registration_no(registration_no)
    registered_on = _day(registered_on, ("登记日期", "the registration date"), "registered_on",
                         not_before=deal.registration_filed_date, before_label=("提交日期", "the submission date"))
    if deal.is_package:
        ledger.append(deal, LedgerEvent.MEMBER_REGISTERED, occurred_on=registered_on, actor=user,
                      evidence=_evidence(document, registration_no=registration_no, declared=True,
                                         application_number=patent.application_number))
        patent_records.set_owners(patent, [deal.buyer.name])
        patent.owners_source = Source.USER
        waiting = [p.application_number for p in deal.members if p.application_number not in registered_members(deal)]
        if waiting:
            tell(other_org_id(deal, user.organisation_id), deal, "registered",
                 f"专利 {patent.application_number} 已登记，专利包尚有 {len(waiting)} 件待登记",
                 f"Patent {patent.application_number} is registered; {len(waiting)} of the package still wait")
            return deal
    ledger.move(deal, S.REGISTERED, LedgerEvent.REGISTRATION, occurred_on=registered_on, actor=user,
                evidence=_evidence(document, registration_no=registration_no, declared=True,
                                   contract_signed=deal.signed_date.isoformat() if deal.signed_date else None,
                                   prior_licences=[p["deal_id"] for p in prior_licences(deal)] or None))
    deal.registration_date, deal.registration_no = registered_on, registration_no
    patent = deal.patent
    # A package's patents changed owner one by one above; before them, the seller held them.
    previous = [deal.seller.name] if deal.is_package else list(patent.owner_names)
    patent_records.set_owners(patent, [deal.buyer.name])
    # The parties recorded it; the register import confirms it (and verifies the deal).
    patent.owners_source = Source.USER
    claims.mark_transferred(deal.id)
    listing = deal.listing
    if listing is not None and listing.status in (ListingStatus.PUBLISHED, ListingStatus.SUSPENDED):
        listing_services.deal_listing(listing, f"已{DealKind(deal.kind).zh}（{deal.reference}）")
    for prior in prior_licences(deal):
        # R-TR-6 (TCI 24): a licence granted before the transfer keeps running under the new owner.
        licence = db.session.get(Deal, prior["deal_id"])
        ledger.append(licence, LedgerEvent.MESSAGE, occurred_on=registered_on, actor=user,
                      note=f"专利权已转让给{deal.buyer.name}（{deal.reference}），本许可继续有效。",
                      evidence={"transfer_deal_id": deal.id, "previous_owners": previous})
        tell_both(licence, "patent_transferred", f"专利权已转让给{deal.buyer.name}，本许可继续有效",
                  f"The patent now belongs to {deal.buyer.name}; this licence stays valid")
    tell(other_org_id(deal, user.organisation_id), deal, "registered", "转让已登记生效", "The transfer is registered")
    complete_if_done(deal, user)
    return deal


def registered_members(deal: Deal) -> dict[str, date]:
    """The patents of a package deal the ledger says are registered, with their registration dates."""
    return {e.evidence.get("application_number"): e.occurred_on for e in deal.events
            if e.kind == LedgerEvent.MEMBER_REGISTERED}


def package_member(deal: Deal, application_number: str | None):
    """The patent of a package deal named by its application number (any usual spelling), not yet registered."""
    try:
        number = parse_application_number(application_number or "").normalised
    except (DomainError, ValueError):
        number = None
    patent = next((p for p in deal.members if p.application_number == number), None)
    if patent is None:
        raise DomainError("deal.package_member_required", "请选择国家知识产权局登记的是专利包中的哪一件专利（申请号）。",
                          "Say which patent of the package CNIPA registered (its application number).",
                          field="application_number")
    if number in registered_members(deal):
        raise Conflict("deal.member_registered", f"专利 {number} 的转让登记已经记录。",
                       f"The registration of patent {number} is already recorded.", field="application_number")
    return patent


def record_registration_rejected(user: User, deal: Deal, reason: str, on: date | None = None,
                                 document: DealDocument | None = None) -> Deal:
    _require_ownership(deal)
    require(user, deal)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请填写不予登记的理由。", "Give CNIPA's reason.", field="reason")
    on = _day(on or today_local(), ("通知日期", "the notice date"), "on")
    ledger.move(deal, S.REGISTRATION_REJECTED, LedgerEvent.REGISTRATION_REJECTED, occurred_on=on, actor=user,
                note=reason, evidence=_evidence(document))
    tell(other_org_id(deal, user.organisation_id), deal, "registration_rejected", "转让登记未通过",
         "The registration was refused")
    return deal


def record_capital_registration(user: User, deal: Deal, registered_on: date,
                                document: DealDocument | None = None) -> Deal:
    """工商变更登记 of the investee's capital; the equity deal then completes (§3.6)."""
    if deal.kind != DealKind.EQUITY:
        raise Conflict("deal.not_equity", "只有作价投资需要登记注册资本变更。", "Only equity deals register capital.")
    require(user, deal)
    if deal.status != S.REGISTERED:
        # R-ST-4 (CO 49 ¶2): the contribution is made when the patent is the company's.
        raise Conflict("deal.patent_not_registered", "专利权须先登记至被投资企业名下，才能完成作价投资（公司法第49条）。",
                       "The patent must first be registered to the investee before the investment completes "
                       "(Company Law art. 49).")
    if deal.capital_registered_date:
        raise Conflict("deal.capital_recorded", "注册资本变更登记已经记录。", "The capital registration is already recorded.")
    registered_on = _day(registered_on, ("工商变更登记日期", "the capital registration date"), "registered_on")
    deal.capital_registered_date = registered_on
    ledger.append(deal, LedgerEvent.CAPITAL_REGISTERED, occurred_on=registered_on, actor=user,
                  amount_fen=deal.price_fen, evidence=_evidence(document, share_pct=deal.share_pct))
    complete_if_done(deal, user)
    return deal


# ---- payments and completion ----------------------------------------------------------------------

def payments_of(deal: Deal) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)
                                   .order_by(Payment.due_date, Payment.kind, Payment.sequence)))


def money_received(deal: Deal) -> bool:
    """Whether any payment of the deal was ever received (a refund does not undo that it was)."""
    return any(p.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED) for p in payments_of(deal))


def all_paid(deal: Deal) -> bool:
    fixed = [p for p in payments_of(deal) if p.kind != PaymentKind.ROYALTY_PERIOD and p.status != PaymentStatus.CANCELLED]
    return all(p.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED) for p in fixed)


def complete_if_done(deal: Deal, user: User | None = None) -> bool:
    """A registered transfer completes when paid; an equity deal when the capital is registered."""
    if deal.status != S.REGISTERED:
        return False
    if deal.kind == DealKind.TRANSFER and not all_paid(deal):
        return False
    if deal.kind == DealKind.EQUITY and not deal.capital_registered_date:
        return False
    on = today_local()
    deal.completed_date = on
    ledger.move(deal, S.COMPLETED, LedgerEvent.COMPLETED, occurred_on=on, actor=user,
                actor_org_id=None if user is not None else deal.seller_org_id)
    tell_both(deal, "completed", "交易已完成", "The deal is complete")
    return True


@settlement.settles(settlement.OTHER_KINDS)
def payment_settled(deal: Deal, payment: Payment) -> None:
    """Called by the settlement dispatcher when a payment of a negotiated deal is PAID."""
    paid_on = today_local(payment.paid_at.replace(tzinfo=UTC)) if payment.paid_at else today_local()
    ledger.append(deal, LedgerEvent.PAYMENT, occurred_on=paid_on, amount_fen=payment.amount_fen,
                  actor_org_id=deal.seller_org_id if payment.confirmed_by_id else None,
                  evidence={"payment_id": payment.id, "kind": payment.kind, "sequence": payment.sequence,
                            "provider": payment.provider, "provider_ref": payment.provider_ref,
                            "receipt_document_id": payment.receipt_document_id})
    tell_both(deal, "paid", f"款项已到账：{yuan_grouped(payment.amount_fen)}元",
              f"Payment received: ¥{yuan_grouped(payment.amount_fen)}")
    complete_if_done(deal)


# ---- R-TR-6 and void ----------------------------------------------------------------------------

def prior_licences(deal: Deal) -> list[dict]:
    """Licences on the patent signed before this transfer (they survive it, TCI 24 ¶2)."""
    rows = db.session.scalars(select(Deal).where(
        Deal.patent_id == deal.patent_id, Deal.id != deal.id,
        Deal.kind.in_([*[k.value for k in LICENCE_KINDS], DealKind.OPEN_LICENSE.value]),
        Deal.status.in_(LICENCE_IN_FORCE)).order_by(Deal.id))
    return [{"deal_id": d.id, "reference": d.reference, "kind": d.kind, "licensee": d.buyer.name,
             "start": d.start_date.isoformat() if d.start_date else None,
             "end": d.end_date.isoformat() if d.end_date else None,
             "record_no": d.filing_record_no} for d in rows]


def void_deal(user: User, deal: Deal, reason: str) -> Deal:
    """A mistaken deal is voided with a reason and an actor (never deleted); its rights are released."""
    role = role_of(user, deal)
    if role not in ("seller", "buyer") and not is_bureau(user):
        raise Forbidden("deal.void_not_allowed", "只有交易双方或区知识产权局可以作废交易。",
                        "Only the parties or the bureau may void a deal.")
    # (A deal already void is refused below as an illegal move, 409, whoever asks.)
    received = money_received(deal) if deal.status in machine.VOIDABLE else False
    if deal.status in machine.VOIDABLE and is_bureau(user) and not machine.bureau_may_void(deal.status, received):
        status = S(deal.status)
        raise Forbidden("deal.void_after_completion",
                        f"交易为“{status.zh}”或已有款项到账，不能作废：请依据证据决定终止或解除合同"
                        "（民法典第562、563条），退款另行记录。",
                        f"The deal is “{status.en}” or money was received: it cannot be voided. Decide its termination "
                        "or rescission on evidence (Civil Code arts. 562-563); refunds are recorded as such.")
    if deal.status in machine.VOIDABLE and not is_bureau(user) and not machine.party_may_void(deal.status, received):
        status = S(deal.status)
        raise Forbidden("deal.void_after_effect",
                        f"交易状态为“{status.zh}”或已有款项到账，交易方不能作废：合同只能经双方确认或由区知识产权局依据证据"
                        "终止或解除（民法典第562、563条）。",
                        f"The deal is “{status.en}” or money was received: its parties cannot void it. It ends only "
                        "by termination or rescission, agreed by both parties or decided by the bureau on evidence "
                        "(Civil Code arts. 562-563).")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请说明作废的原因。", "Say why the deal is void.", field="reason")
    ledger.move(deal, S.VOID, LedgerEvent.VOID, actor=user, note=reason)
    deal.void_reason = reason

    audit(AuditAction.DEAL_VOIDED, actor=user, object_type="deal", object_id=deal.id,
          summary=f"作废交易 {deal.reference or deal.id}：{reason}")
    claims.release(deal_id=deal.id)
    for offer in deal.offers:
        if offer.status == "OPEN":
            offer.status = "WITHDRAWN"

    for payment in payments_of(deal):
        if payment.status in OPEN_PAYMENTS:
            cancel_payment(db.session, payment, reason="交易作废 / deal void")
    tell_both(deal, "void", "交易已作废：" + reason[:100], "The deal was voided: " + reason[:100])
    return deal
