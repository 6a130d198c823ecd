"""Signature (CC 851, 863 ¶3): both parties confirm, on the platform, the hash of one frozen text.

The first party to sign freezes the contract: its exact bytes (HTML and PDF) are stored with their
SHA-256, and that party's own user confirms the hash. The deal is SIGNED when the other party's own
user confirms the same hash, on the server's date. If the terms change after the first signature,
the frozen text no longer matches them: it is superseded, its signature counts for nothing, and
the next signer freezes the new text. An uploaded scan of a signed paper is kept as a document but
signs nothing. After signature the contract shown and downloaded is the frozen text, byte for byte.
Never commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from listings.patents import require_fresh_status
from market.accounts.models import User
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError
from market.core.extensions import db
from market.core.time import add_months, today_local
from market.deals import documents, ledger, settlement
from market.deals.documents import grounds
from market.deals.documents.frozen import to_html
from market.deals.models import ContractSignature, ContractText, Deal, DealDocument
from market.deals.negotiation.common import other_org_id, tell
from market.deals.negotiation.state_assets import price_floor_problem
from market.deals.negotiation.steps import missing
from market.deals.negotiation.terms import require_patent_fit
from market.deals.permissions import require, role_of
from market.deals.vocabulary import LICENCE_KINDS, DealKind, LedgerEvent
from market.deals.vocabulary import DealStatus as S

FILING_MONTHS = 3  # IR 15 ¶2; REC 5
OPEN, SIGNED, SUPERSEDED = "OPEN", "SIGNED", "SUPERSEDED"
SIDES = {"seller": ("卖方", "the seller"), "buyer": ("买方", "the buyer")}


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def terms_fingerprint(deal: Deal) -> str:
    """A hash of every term the contract text is made from: a change of any of them shows here."""
    terms = {"kind": deal.kind, "patent": deal.patent_id, "seller": deal.seller_org_id, "buyer": deal.buyer_org_id,
             "price_fen": deal.price_fen, "fee_terms": deal.fee_terms or {}, "start": deal.start_date,
             "end": deal.end_date, "territory": deal.territory, "field": deal.field_of_use,
             "sublicense": deal.sublicense_allowed, "other": deal.other_terms, "share_pct": deal.share_pct,
             "capital": deal.registered_capital_fen}
    return sha256_of(json.dumps(terms, sort_keys=True, default=str, ensure_ascii=False).encode())


def dues_from(deal: Deal, on: date) -> date:
    """The day the frozen text's due dates count from: the licence's start if later, else `on`."""
    if deal.kind in LICENCE_KINDS and deal.start_date and deal.start_date > on:
        return deal.start_date
    return on


def draft_html(deal: Deal, on: date | None = None) -> bytes:
    """The Chinese text as it would be frozen on `on` (the Chinese text is the one that binds)."""
    return to_html(documents.contract(deal, "zh", dues_from=dues_from(deal, on or today_local())))


def texts_of(deal: Deal) -> list[ContractText]:
    return list(db.session.scalars(select(ContractText).where(ContractText.deal_id == deal.id)
                                   .order_by(ContractText.id)))


def signed_text(deal: Deal) -> ContractText | None:
    return next((t for t in texts_of(deal) if t.status == SIGNED), None)


def open_text(deal: Deal) -> ContractText | None:
    """The frozen text waiting for the other party, if it still matches the deal's terms."""
    text = next((t for t in texts_of(deal) if t.status == OPEN), None)
    if text is not None and text.terms_sha256 != terms_fingerprint(deal):
        return None
    return text


@dataclass
class ToSign:
    """What a party is asked to confirm: the text's hash, with whom, for how much."""

    sha256: str
    html: bytes
    frozen: ContractText | None
    signed_by: list[str]  # sides that already confirmed this very text


def waiting(deal: Deal) -> ToSign | None:
    """The frozen text one party signed and the other has yet to, if it still stands (renders nothing)."""
    text = open_text(deal)
    if text is None:
        return None
    return ToSign(text.sha256, text.html, text, [s.side for s in text.signatures])


def to_sign(deal: Deal, on: date | None = None) -> ToSign:
    """The text a party signs now: the frozen one if it still stands, else the text that would be frozen."""
    state = waiting(deal)
    if state is not None:
        return state
    html = draft_html(deal, on)
    return ToSign(sha256_of(html), html, None, [])


def contract_hash(deal: Deal, on: date | None = None) -> str:
    """The hash a party confirms to sign now (what the confirmation page shows)."""
    return to_sign(deal, on).sha256


def _check_signable(deal: Deal, on: date) -> None:
    if deal.status not in (S.AGREED, S.APPROVALS):
        status = S(deal.status)
        raise Conflict("deal.not_signable", f"交易当前为“{status.zh}”，不能签约。",
                       f"The deal is “{status.en}” and cannot be signed now.")
    open_steps = missing(deal, on)
    if open_steps:
        zh, en = [], []
        for state in open_steps:
            if state.problem:
                zh.append(f"{state.step.zh}（{state.problem[0]}）")
                en.append(f"{state.step.en} ({state.problem[1]})")
            elif state.waiting_until and state.record:
                zh.append(f"{state.step.zh}（公示期满后，{state.waiting_until.isoformat()}起方可签约）")
                en.append(f"{state.step.en} (the contract may be signed from {state.waiting_until.isoformat()})")
            elif state.pending:
                zh.append(f"{state.step.zh}（{'、'.join(state.pending)}的书面同意待服务点确认）")
                en.append(f"{state.step.en} (the uploaded consent of {', '.join(state.pending)} awaits the point)")
            else:
                zh.append(state.step.zh)
                en.append(state.step.en)
        raise Conflict("deal.approvals_missing", "签约前尚需完成：" + "；".join(zh),
                       "Before signing, still needed: " + "; ".join(en))
    problem = price_floor_problem(deal)
    if problem:
        raise Conflict("deal.price_below_valuation", *problem)
    require_patent_fit(deal.kind, deal.patent, on)
    # The signed text is frozen: a party's name or 住所 missing now would be missing from the contract
    # for good, and the filing (REC 9, R-LC-5) would rest on a record added after signature.
    parties = [g for g in grounds.contract_gaps(deal) if g.holder in (grounds.SELLER_RECORD, grounds.BUYER_RECORD)]
    if deal.kind in LICENCE_KINDS and parties:
        raise Conflict("deal.party_details_missing",
                       "签约前请先在机构资料中补全：" + "、".join(g.zh for g in parties)
                       + "（合同须载明当事人名称和住所，专利实施许可合同备案办法第9条，R-LC-5）。",
                       "Before signing, complete in the organisation's profile: " + ", ".join(g.en for g in parties)
                       + " (the contract must state the parties' names and addresses; licence filing rules art. 9, "
                         "R-LC-5).")
    if deal.kind in LICENCE_KINDS and deal.end_date and deal.patent.last_protected_day \
            and deal.end_date > deal.patent.last_protected_day:
        raise Conflict("deal.term_beyond_patent", "许可期限超过了专利权保护期（民法典第865条，R-LC-3）。",
                       "The licence runs past the patent's term (Civil Code art. 865, R-LC-3).")


def _freeze(user: User, deal: Deal, on: date) -> ContractText:
    for old in texts_of(deal):
        if old.status == OPEN:
            # The terms changed after the first signature: that signature was for another text.
            old.status = SUPERSEDED
            ledger.append(deal, LedgerEvent.MESSAGE, occurred_on=on, actor=user,
                          note="合同条款在首个签署后发生变化，原签署作废，须双方重新签署",
                          evidence={"contract_text_id": old.id, "superseded_sha256": old.sha256})
    documents.assign_reference(deal)
    base = dues_from(deal, on)
    doc = documents.contract(deal, "zh", dues_from=base)
    html, pdf = to_html(doc), documents.render_pdf(doc)
    text = ContractText(deal_id=deal.id, sha256=sha256_of(html), html=html, pdf=pdf, pdf_sha256=sha256_of(pdf),
                        terms_sha256=terms_fingerprint(deal), price_fen=deal.price_fen, dues_from=base,
                        status=OPEN, frozen_at=utcnow(), frozen_by_id=user.id)
    db.session.add(text)
    db.session.flush([text])
    return text


def sign_contract(user: User, deal: Deal, sha256: str, document: DealDocument | None = None, *,
                  on: date | None = None) -> Deal:
    """One party's own user confirms the contract text whose hash is `sha256`.

    `on` is the server's date; only the demo's seeding passes it, never a view or the API.
    """
    require(user, deal)
    on = on or today_local()
    side = role_of(user, deal)
    _check_signable(deal, on)
    require_fresh_status(deal.patent, ("签约", "Signing the contract"))
    sha256 = (sha256 or "").strip().lower()
    current = to_sign(deal, on)
    if sha256 != current.sha256:
        raise Conflict("deal.contract_changed",
                       "您确认的合同文本与当前待签文本不一致（条款可能已变更，或对方已签署另一版本）。请重新打开签署页，"
                       "核对文本后再确认。",
                       "The text you confirmed is not the text to sign now (the terms may have changed, or the other "
                       "party signed another version). Open the signature page again and check the text.",
                       field="sha256")
    if side in current.signed_by:
        raise Conflict("deal.already_signed", "贵方已签署该合同文本，等待对方在平台确认签署。",
                       "Your side already signed this text; waiting for the other party to sign it.")
    text = current.frozen or _freeze(user, deal, on)
    db.session.add(ContractSignature(contract_text_id=text.id, side=side, organisation_id=user.organisation_id,
                                     user_id=user.id, sha256=text.sha256, confirmed_at=utcnow()))
    db.session.flush()
    db.session.refresh(text, ["signatures"])
    if document is not None:
        # A scan of a paper signed elsewhere is kept with the deal; it signs nothing on its own.
        ledger.append(deal, LedgerEvent.MESSAGE, occurred_on=on, actor=user, note="上传签署合同扫描件（不替代平台签署）",
                      evidence={"document_id": document.id, "document_kind": document.kind})
    sides = {s.side for s in text.signatures}
    if sides != set(SIDES):
        ledger.append(deal, LedgerEvent.MESSAGE, occurred_on=on, actor=user,
                      note=f"{SIDES[side][0]}已在平台确认签署合同文本（SHA-256 {text.sha256[:16]}…），等待对方确认",
                      evidence={"contract_text_id": text.id, "sha256": text.sha256, "side": side})
        tell(other_org_id(deal, user.organisation_id), deal, "sign_request", "对方已签署合同，请核对文本后确认签署",
             "The other party signed the contract; check the text and sign it")
        return deal
    _complete(user, deal, text, on)
    return deal


def _complete(user: User, deal: Deal, text: ContractText, on: date) -> None:
    text.status = SIGNED
    # The contract takes effect when both parties signed it (CC 502; the frozen text says so).
    deal.signed_date = deal.effective_date = on
    if deal.kind in LICENCE_KINDS:
        # R-LC-5: filed within 3 months of taking effect (IR 15 ¶2).
        deal.filing_deadline = add_months(on, FILING_MONTHS)
    ledger.move(deal, S.SIGNED, LedgerEvent.SIGNATURE, occurred_on=on, actor=user, amount_fen=deal.price_fen,
                evidence={"contract_text_id": text.id, "sha256": text.sha256, "pdf_sha256": text.pdf_sha256,
                          "dues_from": text.dues_from.isoformat(),
                          "signatures": [{"side": s.side, "org_id": s.organisation_id, "user_id": s.user_id,
                                          "at": s.confirmed_at.isoformat(timespec="seconds")}
                                         for s in text.signatures],
                          "filing_deadline": deal.filing_deadline.isoformat() if deal.filing_deadline else None})
    # The sums fall due as the signed text says, counted from the same day it counted from.
    for payment in settlement.schedule_payments(deal, start=text.dues_from):
        ledger.append(deal, LedgerEvent.PAYMENT_DUE, occurred_on=on, amount_fen=payment.amount_fen,
                      actor=user, evidence={"payment_id": payment.id, "kind": payment.kind,
                                            "sequence": payment.sequence,
                                            "due_date": payment.due_date.isoformat() if payment.due_date else None})
    for org_id in (deal.seller_org_id, deal.buyer_org_id):
        tell(org_id, deal, "signed", "双方已在平台签署合同", "Both parties signed the contract")


def require_hash(value: str) -> str:
    value = (value or "").strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise DomainError("deal.sha256_invalid", "请确认合同文本的 SHA-256 校验值（64位）。",
                          "Confirm the contract text's SHA-256 (64 hex digits).", field="sha256")
    return value


def kind_words(deal: Deal) -> tuple[str, str]:
    kind = DealKind(deal.kind)
    return kind.zh, kind.en
