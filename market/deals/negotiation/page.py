"""What the deal page shows one organisation: its part, what it can do next, the checklist.

Read-only: building the page never changes the deal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from market.accounts.models import User
from market.core.money import yuan_grouped
from market.core.time import today_local
from market.deals import machine
from market.deals.models import Deal, DealDocument
from market.deals.negotiation import contract, ending, publicity, signature, steps, verification
from market.deals.negotiation.requests import open_offer
from market.deals.permissions import BUYER, CO_OWNER, SELLER, can_act, role_of
from market.deals.uploads import documents_of
from market.deals.verification import may_confirm_certificate
from market.deals.vocabulary import LICENCE_KINDS, NEGOTIATED_KINDS, OWNERSHIP_KINDS, DealKind, PaymentStatus
from market.deals.vocabulary import DealStatus as S
from market.payments.models import Payment

OPEN_PAYMENT = (PaymentStatus.DUE, PaymentStatus.PROCESSING, PaymentStatus.FAILED)
# How the facts recorded for an approval read on the page (the ledger keeps the keys).
RECORD_LABELS = {
    "start": ("公示开始", "Publicity starts"), "days": ("公示天数", "Days"), "ends_on": ("公示截止", "Publicity ends"),
    "sign_from": ("可签约日", "Signature from"), "title": ("成果名称", "Achievement"),
    "application_number": ("申请号", "Application no."), "price_fen": ("拟交易价格", "Proposed price"),
    "place": ("公示地点", "Shown at"), "decided_on": ("决策日期", "Decided on"),
    "evaluate": ("是否评估", "Evaluated"), "reason": ("理由", "Reason"), "basis": ("评估依据", "Basis"),
    "appraiser": ("评估机构", "Appraiser"), "report_no": ("报告编号", "Report no."),
    "value_fen": ("评估值", "Value"), "base_date": ("评估基准日", "Base date"),
    "filing_type": ("类型", "Type"), "filing_no": ("文号", "Number"), "filing_date": ("日期", "Date"),
    "form": ("方式", "Form"), "licence_no": ("证书号", "Licence no."), "pledgee": ("质权人", "Pledgee"),
    "recorded_on": ("登记日期", "Recorded on"),
}
VALUE_LABELS = {
    "basis": steps.rules.VALUATION_BASES, "filing_type": steps.rules.FILING_TYPES,
    "form": {"WAIVER": ("书面放弃", "Written waiver"), "NOTICE": ("已通知，期满未主张", "Notified, no claim")},
    "evaluate": {True: ("是", "Yes"), False: ("否", "No")},
}


@dataclass
class DealPage:
    deal: Deal
    role: str | None
    today: date
    acts: bool  # may act as a party
    offer: object | None
    can_accept: bool
    checklist: list[steps.StepState]
    payments: list[Payment]
    documents: list[DealDocument]
    filing_blockers: list[tuple[str, str, str]]
    prior_licences: list[dict]
    next_steps: list[tuple[str, str]] = field(default_factory=list)
    objections: list = field(default_factory=list)
    may_confirm_consent: bool = False
    may_verify: bool = False
    sign_state: signature.ToSign | None = None
    lang: str = "zh"

    @property
    def publicity_days(self) -> int:
        return publicity.publicity_days()

    @property
    def filing_state(self) -> str | None:
        return verification.state(self.deal, verification.FILING)

    @property
    def registration_state(self) -> str | None:
        return verification.state(self.deal, verification.REGISTRATION)

    @property
    def registered_members(self) -> dict:
        """For a package transfer: application number → registration date of each patent registered so far."""
        return contract.registered_members(self.deal) if self.deal.is_package else {}

    @property
    def ending_open(self) -> bool:
        return self.negotiated and (self.acts or self.role == "bureau") and ending.needs_ending(self.deal)

    @property
    def ending_proposal(self) -> dict | None:
        return ending.proposal(self.deal)

    @property
    def grounds(self) -> list[tuple[str, str]]:
        return ending.grounds_for(self.lang)

    def ground_label(self, code: str) -> str:
        return dict(self.grounds).get(code, code)

    @property
    def negotiated(self) -> bool:
        return self.deal.kind in NEGOTIATED_KINDS

    @property
    def is_licence(self) -> bool:
        return self.deal.kind in LICENCE_KINDS or self.deal.kind == DealKind.OPEN_LICENSE

    @property
    def is_ownership(self) -> bool:
        return self.deal.kind in OWNERSHIP_KINDS

    @property
    def in_approvals(self) -> bool:
        return self.deal.status in (S.AGREED, S.APPROVALS)

    @property
    def can_sign(self) -> bool:
        return self.acts and self.negotiated and self.in_approvals

    @property
    def can_file(self) -> bool:
        return self.acts and self.is_licence and self.deal.status in (S.SIGNED, S.FILING_REJECTED, S.LICENSED)

    @property
    def can_void(self) -> bool:
        if self.deal.status == S.VOID:
            return False
        if self.role == "bureau":
            return machine.bureau_may_void(self.deal.status, contract.money_received(self.deal))
        return self.acts and machine.party_may_void(self.deal.status, contract.money_received(self.deal))

    @property
    def can_cancel(self) -> bool:
        return self.acts and self.negotiated and self.deal.status in (S.NEGOTIATING, S.AGREED, S.APPROVALS)

    def payment_actions(self, payment: Payment) -> dict:
        open_ = payment.status in OPEN_PAYMENT and self.deal.status != S.VOID
        return {"upload": open_ and self.role == BUYER and self.acts,
                "confirm": open_ and self.role == SELLER and self.acts,
                "pay_online": open_ and self.role == BUYER and self.acts}

    def document(self, document_id: int | None) -> DealDocument | None:
        return next((d for d in self.documents if d.id == document_id), None)

    @property
    def ready_to_sign(self) -> bool:
        """Every approval done (publicity over): the signature form is worth showing."""
        return self.can_sign and all(s.done for s in self.checklist)

    @staticmethod
    def record_rows(record: dict, lang: str) -> list[tuple[str, object, str]]:
        """(label, value, key) of an approval's recorded facts, in the reader's language."""
        out = []
        for key, value in record.items():
            if key not in RECORD_LABELS:
                continue
            labels = VALUE_LABELS.get(key, {})
            if value in labels:
                value = labels[value][1 if lang == "en" else 0]
            out.append((RECORD_LABELS[key][1 if lang == "en" else 0], value, key))
        return out


def build(user: User, deal: Deal, on: date | None = None, lang: str = "zh") -> DealPage:
    on = on or today_local()
    role = role_of(user, deal)
    acts = can_act(user, deal)
    offer = open_offer(deal) if deal.status == S.NEGOTIATING else None
    page = DealPage(
        deal=deal, role=role, today=on, acts=acts, offer=offer,
        can_accept=bool(offer and acts and offer.from_org_id != user.organisation_id),
        checklist=steps.checklist(deal, on) if deal.kind in NEGOTIATED_KINDS else [],
        payments=contract.payments_of(deal), documents=documents_of(deal),
        filing_blockers=contract.filing_blockers(deal, today=on)
        if deal.status in (S.SIGNED, S.FILING_REJECTED, S.LICENSED) else [],
        prior_licences=(deal.approvals or {}).get("prior_licences") or (
            contract.prior_licences(deal) if deal.kind in OWNERSHIP_KINDS else []))
    page.lang = lang
    if deal.kind in NEGOTIATED_KINDS:
        page.objections = publicity.objections(deal) if page.role in (SELLER, "operator", "bureau") else []
        page.may_confirm_consent = steps.may_confirm_consent(user, deal)
        page.may_verify = may_confirm_certificate(user, deal)
        if page.in_approvals:
            # Only a text one party already signed is shown; the draft is rendered on the signature page.
            page.sign_state = signature.waiting(deal)
    page.next_steps = _next_steps(page, user)
    return page


def _next_steps(page: DealPage, user: User) -> list[tuple[str, str]]:
    deal, role, out = page.deal, page.role, []
    if role == CO_OWNER:
        for state in page.checklist:
            if state.step.code == "CO_OWNER_CONSENT" and not state.done:
                out.append(("作为共有人，请确认是否同意本交易。", "As a co-owner, say whether you consent to this deal."))
        return out
    if not page.acts:
        return out
    status = deal.status
    if status == S.NEGOTIATING:
        if page.offer is None:
            out.append(("提出报价，说明价格、期限和范围。", "Make an offer: price, term and scope."))
        elif page.can_accept:
            out.append(("对方已报价：接受报价，或提出还价。", "The other party made an offer: accept it or counter."))
        else:
            out.append(("等待对方答复您的报价。", "Waiting for the other party to answer your offer."))
    elif status in (S.AGREED, S.APPROVALS):
        waiting = [s for s in page.checklist if not s.done]
        mine = [s for s in waiting if role in s.step.by and not s.record]
        for state in mine:
            out.append((f"登记审批事项：{state.step.zh}。", f"Record the approval: {state.step.en}."))
        publicity = next((s for s in waiting if s.record and s.waiting_until), None)
        if publicity:
            out.append((f"公示期内，{publicity.waiting_until.isoformat()}起方可签约。",
                        f"Publicity is running; the contract may be signed from {publicity.waiting_until.isoformat()}."))
        if not waiting and page.sign_state and role in page.sign_state.signed_by:
            out.append(("贵方已签署，等待对方在平台确认签署。", "You signed; waiting for the other party to sign on the platform."))
        elif not waiting:
            out.append(("审批事项已齐备：核对合同文本并在平台签署。", "Approvals complete: check the contract text and sign it on the platform."))
        elif not mine and not publicity:
            out.append(("等待对方完成审批事项。", "Waiting for the other party's approvals."))
    elif status in (S.SIGNED, S.FILING_REJECTED) and page.is_licence:
        out.append((f"向国家知识产权局办理合同备案（期限 {deal.filing_deadline}）。",
                    f"File the contract with CNIPA (deadline {deal.filing_deadline})."))
    elif status == S.SIGNED and page.is_ownership:
        out.append(("向国家知识产权局提交著录项目变更（转让登记）。", "Submit the change of ownership to CNIPA."))
    elif status in (S.REGISTRATION_FILED, S.REGISTRATION_REJECTED):
        out.append(("登记国家知识产权局的登记结果。", "Record CNIPA's registration result."))
    elif status == S.REGISTERED and deal.kind == DealKind.EQUITY and not deal.capital_registered_date:
        out.append(("办理被投资企业注册资本的工商变更登记并在此记录。", "Register the investee's capital change and record it."))
    for payment in page.payments:
        if payment.status in OPEN_PAYMENT and deal.status != S.VOID:
            amount = yuan_grouped(payment.amount_fen)
            # Once the payer uploaded its bank receipt, the step is the payee's (issue 15 §12).
            if role == BUYER and payment.receipt_document_id:
                out.append((f"付款凭证已上传（{amount} 元），等待收款方核对到账后确认收款。",
                            f"Receipt uploaded (¥{amount}); waiting for the payee to confirm the money arrived."))
            elif role == BUYER:
                out.append((f"支付 {amount} 元（{payment.due_date} 前），付款后上传凭证。",
                            f"Pay ¥{amount} by {payment.due_date} and upload the receipt."))
            elif role == SELLER and payment.receipt_document_id:
                out.append((f"付款方已上传付款凭证：核对 {amount} 元到账后确认收款。",
                            f"The payer uploaded a receipt: confirm receipt once ¥{amount} is in your account."))
            elif role == SELLER:
                out.append((f"款项 {amount} 元到账后确认收款。", f"Confirm receipt of ¥{amount} when it arrives."))
    return out
