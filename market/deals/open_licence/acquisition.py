"""Taking an announced open licence in one step (PL 51 ¶1; domain.md §3.3). Never commits.

The enterprise's written notice (书面通知) reaches the patentee in the app, the fee follows from
the announced standard, and the licence is obtained when the first fixed sum is paid — or at
once when there is none (royalty only, or free: the first royalty period and the reporting
duty are recorded instead; §3.3 policy, flagged for legal review). Every enterprise gets the
announced terms unchanged (R-OL-8); one enterprise holds one licence per declaration.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from listings.patents import require_fresh_status
from listings.vocabulary import Encumbrance, LegalStatus
from market.accounts.models import Organisation, User
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.notifications import notify
from market.core.time import add_months, today_local
from market.deals import claims, documents, ledger
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence import extras
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.open_licence.queries import IN_EFFECT, owner_org_ids
from market.deals.settlement import first_upfront, schedule_payments, settles
from market.deals.vocabulary import DealKind, FeeMode, LedgerEvent, PaymentKind, PaymentStatus
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment
from market.payments.services import cancel_payment

DEFAULT_FILING_MONTHS = 3  # IR 15 ¶2 applied to open licences (R-OL-11 policy: IR 87 sets no deadline)
PENDING = (S.NOTICE_DELIVERED, S.PAYMENT_PENDING)


def filing_months() -> int:
    return int(current_app.config.get("OPEN_LICENCE_FILING_MONTHS", DEFAULT_FILING_MONTHS)
               if has_app_context() else DEFAULT_FILING_MONTHS)


def existing_licence(declaration_id: int, buyer_org_id: int) -> Deal | None:
    return db.session.scalar(select(Deal).where(
        Deal.declaration_id == declaration_id, Deal.buyer_org_id == buyer_org_id, Deal.status != S.VOID))


def take_open_licence(declaration_id: int, buyer_org: Organisation, user: User, *,
                      now: datetime | None = None, services: dict[int, int] | None = None) -> Deal:
    """The enterprise's acquisition of an announced open licence; a second call returns the first.

    `services` maps offered services (extras.py) to the quantities chosen; none is ever required.
    """
    now = now or datetime.now(UTC)
    today = today_local(now)
    decl = db.session.get(OpenLicenceDeclaration, declaration_id) if 0 < declaration_id < 2**31 else None
    if decl is None:
        raise NotFound("open_licence.not_found", "开放许可声明不存在", "No such open-licence declaration")
    if user.organisation_id != buyer_org.id:
        raise Forbidden("open_licence.not_your_org", "只能为本机构取得许可。",
                        "You can only take a licence for your own organisation.")
    require_fresh_status(decl.patent, ("取得开放许可", "Taking the open licence"))
    # Serialise with withdrawals and other takers of this patent, then read the latest state.
    claims.lock_patent(decl.patent_id)
    db.session.refresh(decl)
    mine = existing_licence(decl.id, buyer_org.id)
    if mine is not None:
        return mine
    _refuse_unless_takeable(decl, buyer_org, today)
    services = services or {}
    on_offer = extras.services_by_id(decl) if services else {}  # read once: checked, then snapshotted
    extras.require_quantities(decl, services, on_offer=on_offer)
    try:
        with db.session.begin_nested():
            deal = _create_deal(decl, buyer_org, user, now, today)
            extras.take_services(deal, decl, services, actor=user, today=today, on_offer=on_offer)
    except IntegrityError:
        # A double submit from the same enterprise that ran alongside this one has won.
        winner = existing_licence(decl.id, buyer_org.id)
        if winner is None:
            raise
        return winner
    return deal


def refusal(decl: OpenLicenceDeclaration, buyer: Organisation, today: date | None = None) -> DomainError | None:
    """Why `buyer` could not take `decl` today, or None: what the confirmation page asks before it is shown."""
    try:
        _refuse_unless_takeable(decl, buyer, today or today_local())
    except DomainError as refused:
        return refused
    return None


def _refuse_unless_takeable(decl: OpenLicenceDeclaration, buyer: Organisation, today: date) -> None:
    patent = decl.patent
    if not buyer.is_approved:
        raise Forbidden("open_licence.org_not_approved", "本机构尚未通过区知识产权局审批，暂不能取得许可。",
                        "Your organisation has not been approved by the bureau yet.")
    if buyer.is_bureau or buyer.is_point_operator:
        raise Forbidden("open_licence.not_an_enterprise", "区知识产权局和网点运营机构不能作为被许可人。",
                        "The bureau and point operators cannot be licensees.")
    if buyer.id in owner_org_ids(patent) or buyer.name in patent.owner_names:
        raise Conflict("open_licence.own_patent", "专利权人不能取得自己专利的开放许可。",
                       "A patentee cannot take an open licence of its own patent.")
    if decl.withdraw_announce_date is not None and decl.withdraw_announce_date <= today:
        raise Conflict("open_licence.withdrawn",
                       f"该开放许可声明已于{decl.withdraw_announce_date.isoformat()}公告撤回，不能再取得许可"
                       "（专利法第50条第2款）。",
                       f"The declaration was withdrawn by CNIPA's announcement of "
                       f"{decl.withdraw_announce_date.isoformat()}; no new licence can be taken.")
    if decl.status not in IN_EFFECT or decl.announce_date is None or decl.announce_date > today:
        raise Conflict("open_licence.not_in_effect", "该开放许可声明目前不在有效期内（尚未公告、已撤回或已终止）。",
                       "The declaration is not in effect (not announced yet, withdrawn or ended).")
    if decl.term_end is None or decl.term_end < today:
        raise Conflict("open_licence.term_over", "开放许可期限已届满。", "The open licence's term is over.")
    if patent.legal_status == LegalStatus.LAPSED:
        raise Conflict("open_licence.patent_lapsed", "专利权已终止，不能取得许可（民法典第865条）。",
                       "The patent has lapsed; no licence can be taken (Civil Code art. 865).")
    flags = patent.active_flags(today)
    if Encumbrance.SUSPENDED in flags or Encumbrance.PRESERVED in flags:
        raise Conflict("open_licence.patent_frozen", "专利权处于中止程序或被法院保全，暂不能取得许可。",
                       "The patent is suspended or preserved by a court; no licence can be taken now.")


def _create_deal(decl: OpenLicenceDeclaration, buyer: Organisation, user: User, now: datetime,
                 today: date) -> Deal:
    terms = FeeTerms.from_dict(decl.fee_terms)
    listing = decl.listing or decl.patent.live_listing
    price = 0 if terms.mode == FeeMode.FREE else (terms.fixed_total_fen or None)
    deal = Deal(kind=DealKind.OPEN_LICENSE, status=S.NOTICE_DELIVERED, patent_id=decl.patent_id,
                listing_id=listing.id if listing else None, declaration_id=decl.id,
                seller_org_id=decl.organisation_id, buyer_org_id=buyer.id,
                point_id=listing.point_id if listing else None, requested_by_id=user.id,
                # R-OL-8: the announced terms, unchanged, for every licensee.
                price_fen=price, fee_terms=dict(decl.fee_terms), start_date=today, end_date=decl.term_end,
                territory=decl.territory, other_terms=decl.other_terms, sublicense_allowed=False,
                notice_delivered_at=now.replace(tzinfo=None), agreed_at=now.replace(tzinfo=None))
    db.session.add(deal)
    db.session.flush([deal])
    documents.assign_reference(deal, today)
    text = documents.notice_text(deal, decl, user, today)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    ledger.append(deal, LedgerEvent.NOTICE, occurred_on=today, actor=user, to_status=S.NOTICE_DELIVERED,
                  note="书面通知已在平台送达专利权人（专利法第51条第1款）",
                  evidence={"contract_no": deal.reference, "declaration_id": decl.id,
                            "announce_date": decl.announce_date.isoformat(), "gazette_issue": decl.gazette_issue,
                            "notice_sha256": digest, "notice_text": text, "channel": "in-app",
                            "delivered_to_org_id": decl.organisation_id,
                            "delivered_at": now.astimezone(UTC).isoformat(timespec="seconds")})
    notify(decl.organisation_id, "open_licence_notice",
           (f"{buyer.name} 书面通知取得“{decl.patent.title}”的开放许可",
            f"{buyer.name} gave written notice taking the open licence of “{decl.patent.title}”"),
           # Words, not the digest: the notice's full text and its SHA-256 are on the notice page.
           body=(f"许可编号 {deal.reference}；书面通知全文见许可记录。",
                 f"Licence {deal.reference}; the notice's full text is with the licence record."),
           link=f"/deals/{deal.id}/notice", dedupe_key=f"ol-notice-{deal.id}")
    payments = schedule_payments(deal)
    if payments:
        for p in payments:
            ledger.append(deal, LedgerEvent.PAYMENT_DUE, occurred_on=today, amount_fen=p.amount_fen,
                          actor=user, note=f"{PaymentKind(p.kind).zh}第{p.sequence}笔应付，截止 {p.due_date.isoformat()}",
                          evidence={"payment_id": p.id, "kind": p.kind, "sequence": p.sequence,
                                    "due_date": p.due_date.isoformat()})
        ledger.move(deal, S.PAYMENT_PENDING, LedgerEvent.PAYMENT_DUE, occurred_on=today, actor=user,
                    note="按声明的许可使用费标准付款后取得许可")
    else:
        _license(deal, today, actor=user, note_zh=_no_upfront_note(terms, deal))
    return deal


def _no_upfront_note(terms: FeeTerms, deal: Deal) -> str:
    if terms.mode == FeeMode.FREE:
        return "免费开放许可：书面通知送达即取得许可"
    return "仅提成：书面通知送达并接受提成义务即取得许可（§3.3 平台规则，待法律复核）"


def _royalty_duty(terms: FeeTerms, deal: Deal) -> dict:
    """The first royalty period and the duty to report it, for the ledger (and the royalties flow)."""
    periods = terms.royalty_periods(deal.effective_date, deal.end_date) if deal.end_date else []
    if not periods:
        return {}
    start, end, report_due, year = periods[0]
    return {"first_royalty_period": [start.isoformat(), end.isoformat()],
            "first_report_due": report_due.isoformat(), "royalty_base": terms.royalty_base.value,
            "royalty_rate": str(terms.rate_for_year(year)), "payment_period": terms.payment_period.value,
            "report_due_days": terms.report_due_days, "royalty_periods": len(periods)}


def _license(deal: Deal, on: date, *, actor=None, actor_org_id: int | None = None, note_zh: str,
             evidence: dict | None = None) -> None:
    terms = FeeTerms.from_dict(deal.fee_terms)
    deal.licensed_date = deal.effective_date = on
    deal.filing_deadline = add_months(on, filing_months())
    duty = _royalty_duty(terms, deal)
    if duty:
        note_zh += f"；首个提成结算期 {duty['first_royalty_period'][0]}至{duty['first_royalty_period'][1]}，" \
                   f"应于 {duty['first_report_due']} 前提交提成报告"
    ledger.move(deal, S.LICENSED, LedgerEvent.LICENSED, occurred_on=on, actor=actor, actor_org_id=actor_org_id,
                note=note_zh, evidence={"contract_no": deal.reference, "licensed_date": on.isoformat(),
                                        "filing_deadline": deal.filing_deadline.isoformat(),
                                        **duty, **(evidence or {})})
    title = deal.patent.title
    for org_id in (deal.seller_org_id, deal.buyer_org_id):
        notify(org_id, "open_licence_licensed",
               (f"开放许可已生效：{title}（{deal.reference}）", f"Open licence in force: {title} ({deal.reference})"),
               body=(f"请于 {deal.filing_deadline.isoformat()} 前向国家知识产权局办理许可合同备案。",
                     f"File the licence with CNIPA by {deal.filing_deadline.isoformat()}."),
               link=f"/deals/{deal.id}/licence", dedupe_key=f"ol-licensed-{deal.id}-{org_id}")


@settles(DealKind.OPEN_LICENSE)
def payment_settled(deal: Deal, payment: Payment) -> None:
    """A payment of an open-licence deal arrived: the first fixed sum licenses it (PL 51 ¶1)."""
    if payment.status != PaymentStatus.PAID:
        return
    if any(e.kind in (LedgerEvent.PAYMENT, LedgerEvent.SERVICE_PAYMENT)
           and (e.evidence or {}).get("payment_id") == payment.id for e in deal.events):
        return  # already booked
    paid_on = today_local(payment.paid_at.replace(tzinfo=UTC)) if payment.paid_at else today_local()
    if payment.kind == PaymentKind.SERVICE_FEE:
        # Services are never tied to the licence (R-OL-8): their fee neither licenses nor counts as the patent fee.
        extras.book_service_payment(deal, payment, paid_on)
        return
    evidence = {"payment_id": payment.id, "kind": payment.kind, "sequence": payment.sequence,
                "provider": payment.provider, "provider_ref": payment.provider_ref,
                "receipt_document_id": payment.receipt_document_id}
    note = f"{PaymentKind(payment.kind).zh}第{payment.sequence}笔已到账"
    if deal.status == S.VOID:
        note += "；交易已作废，应予退款"
    ledger.append(deal, LedgerEvent.PAYMENT, occurred_on=paid_on, amount_fen=payment.amount_fen,
                  actor_org_id=deal.buyer_org_id, note=note, evidence=evidence)
    if deal.status != S.PAYMENT_PENDING:
        return
    payments = list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)))
    first = first_upfront(payments)
    if first is None or first.id != payment.id:
        return
    _license(deal, paid_on, actor_org_id=deal.buyer_org_id,
             note_zh="已按声明的方式和标准支付许可使用费，取得开放许可（专利法第51条第1款）", evidence=evidence)


def void_pending_acquisitions(decl: OpenLicenceDeclaration, on: date, reason: str) -> list[Deal]:
    """Acquisitions still unpaid when a declaration is withdrawn or ends are void (§3.3 policy)."""

    voided = []
    for deal in db.session.scalars(select(Deal).where(Deal.declaration_id == decl.id, Deal.status.in_(PENDING))):
        for payment in db.session.scalars(select(Payment).where(
                Payment.deal_id == deal.id, Payment.status.in_([PaymentStatus.DUE, PaymentStatus.FAILED]))):
            cancel_payment(db.session, payment, reason="开放许可声明已撤回或终止")
        deal.void_reason = f"付款完成前{reason}"[:500]
        ledger.move(deal, S.VOID, LedgerEvent.VOID, occurred_on=on, note=deal.void_reason,
                    evidence={"declaration_id": decl.id})
        notify(deal.buyer_org_id, "open_licence_void",
               (f"开放许可取得未完成即{reason}：{decl.patent.title}",
                f"The open licence ended before your payment completed: {decl.patent.title}"),
               body=("未付款项已取消；如已转账请联系专利权人退款。",
                     "Unpaid sums are cancelled; if you already transferred money, ask the patentee for a refund."),
               link=f"/deals/{deal.id}/licence", dedupe_key=f"ol-void-{deal.id}")
        voided.append(deal)
    return voided
