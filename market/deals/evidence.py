"""How far a deal's record can be checked: its evidence level (issue 12 §4). Never commits.

SELF_DECLARED: only what the parties typed (dates, numbers, an upload of their own making).
DOCUMENTED: a record someone other than the declaring party stands behind: the certificate an
authority issued for the step the deal is counted by (备案证明 for a licence, 转让登记证明 for a
transfer, 工商变更登记证明 or 转让登记证明 for equity), or a payment the payee (or the payment
provider) confirmed on the platform, or, for an open licence, the platform's own records of the
notice and the fee paid. A contract scan alone does not: both parties can make one.
VERIFIED: the CNIPA register showed the filing or transfer (FILING_VERIFIED /
REGISTRATION_VERIFIED, written by the legal-status import), or the point operator of the deal's
point or the bureau looked at the evidence and said so (EVIDENCE_VERIFIED); an open-licence
acquisition is also verified when its notice and payment are the platform's records and its
declaration's announcement was recorded by someone other than the declarant (the register import,
the point operator). A later EVIDENCE_WITHDRAWN line takes a verification back until a newer one.

The level is kept on the deal, not computed per query, because every statistics figure is broken
down by it; `refresh` is the one place that sets it: the ledger calls it for every line of LEVEL_LINES it
writes and the upload service for every document.

Amounts: a deal whose amount is above DEAL_AMOUNT_REVIEW_FEN counts in no figure until an
AMOUNT_CONFIRMED line for that very amount is on its ledger; `counts_in_figures` is that rule in
SQL, used by the statistics, and `awaits_amount_review` the same rule for one deal.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import BigInteger, case, cast, exists, func, or_, select
from sqlalchemy.orm import aliased

from market.accounts.models import User
from market.core.extensions import db
from market.deals.fees import FeeTerms
from market.deals.models import Deal, DealDocument, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration
from market.deals.vocabulary import DealKind, DeclarationStatus, DocumentKind, EvidenceLevel, LedgerEvent

DEFAULT_AMOUNT_REVIEW_FEN = 100_000_000_000  # 10 亿元
VERIFYING_EVENTS = frozenset({LedgerEvent.FILING_VERIFIED, LedgerEvent.REGISTRATION_VERIFIED,
                              LedgerEvent.EVIDENCE_VERIFIED})
# The ledger lines `level_of` reads: any other line leaves the level as it was, so the ledger
# refreshes only for these (lines are written in loops; a refresh may query the documents).
# The lines a deal is counted by (a step CNIPA, the SAMR or the platform completed). An operator's
# verification vouches for the record as it stood: a basis line written after it (a party typing a
# registration after the filing was checked) is not covered and takes the deal out of VERIFIED.
BASIS_LINES = frozenset({LedgerEvent.FILING, LedgerEvent.REGISTRATION, LedgerEvent.LICENSED,
                         LedgerEvent.CAPITAL_REGISTERED})
LEVEL_LINES = VERIFYING_EVENTS | BASIS_LINES | {LedgerEvent.EVIDENCE_WITHDRAWN, LedgerEvent.PAYMENT}
# The certificate an authority issues for the step each kind of deal is counted by.
CERTIFICATES = {
    DealKind.TRANSFER: frozenset({DocumentKind.REGISTRATION_PROOF}),
    DealKind.EQUITY: frozenset({DocumentKind.REGISTRATION_PROOF, DocumentKind.CAPITAL_REGISTRATION}),
}
LICENCE_CERTIFICATES = frozenset({DocumentKind.FILING_PROOF})


def amount_review_fen() -> int:
    if has_app_context():
        return int(current_app.config.get("DEAL_AMOUNT_REVIEW_FEN", DEFAULT_AMOUNT_REVIEW_FEN))
    return DEFAULT_AMOUNT_REVIEW_FEN


def contract_fen(deal: Deal) -> int:
    """The deal's contract amount as the figures count it: the price, else the fixed part of the fee."""
    if deal.price_fen is not None:
        return int(deal.price_fen)
    return FeeTerms.from_dict(deal.fee_terms).fixed_total_fen if deal.fee_terms else 0


def contract_fen_sql(d):
    """`contract_fen` in SQL (FeeTerms.fixed_total_fen: the lump sum, or the entry fee)."""
    terms = d.fee_terms
    mode = terms["mode"].as_string()
    lump = cast(terms["lump_fen"].as_string(), BigInteger)
    entry = cast(terms["entry_fee_fen"].as_string(), BigInteger)
    fixed = case((mode.in_(("LUMP_SUM", "INSTALLMENTS")), lump), (mode == "ENTRY_PLUS_ROYALTY", entry), else_=0)
    return func.coalesce(d.price_fen, fixed)


def counts_in_figures(d, cap, *, known=lambda line: []):
    """SQL: the deal's amount is within the cap, or its operator confirmed this very amount.

    `cap` is a bound parameter (DEAL_AMOUNT_REVIEW_FEN); `known(line)` adds the as-of test of a
    published figure. The cap is tested first, so the ledger is looked at only for the rare deal
    above it.
    """
    confirmed = aliased(DealEvent, name="amount_ok")
    amount = contract_fen_sql(d)
    return or_(amount <= cap, exists().where(confirmed.deal_id == d.id,
                                             confirmed.kind == LedgerEvent.AMOUNT_CONFIRMED.value,
                                             confirmed.amount_fen == amount, *known(confirmed)))


def awaits_amount_review(deal: Deal) -> bool:
    """True while the deal's amount is above the cap and no line confirms that amount."""
    amount = contract_fen(deal)
    if amount <= amount_review_fen():
        return False
    return not any(e.kind == LedgerEvent.AMOUNT_CONFIRMED and e.amount_fen == amount for e in deal.events)


def recorded_by_others(line, decl, recorder):
    """SQL: a declaration's line was recorded by the register import (no actor) or by a user outside
    the declarant (its point); `recorder` is the User outer-joined on the line's actor. The one
    test for both a deal's level and the statistics' level of an announcement."""
    return or_(line.actor_id.is_(None), recorder.organisation_id != decl.organisation_id)


def _announcement_confirmed(deal: Deal) -> bool:
    """The declaration's announcement was recorded by someone other than the declarant itself."""
    if deal.declaration_id is None:
        return False
    decl = OpenLicenceDeclaration
    line = (select(DeclarationEvent.id).join(decl, decl.id == DeclarationEvent.declaration_id)
            .outerjoin(User, User.id == DeclarationEvent.actor_id)
            .where(DeclarationEvent.declaration_id == deal.declaration_id,
                   DeclarationEvent.to_status == DeclarationStatus.ANNOUNCED.value,
                   recorded_by_others(DeclarationEvent, decl, User))
            .limit(1))
    return db.session.scalar(line) is not None


def _documents(deal: Deal) -> set[str]:
    if deal.id is None:
        return set()
    return set(db.session.scalars(select(DealDocument.kind).where(DealDocument.deal_id == deal.id).distinct()))


def level_of(deal: Deal) -> str:
    kinds = {e.kind for e in deal.events}
    open_licence_taken = deal.kind == DealKind.OPEN_LICENSE and LedgerEvent.LICENSED in kinds
    confirmed_declaration = open_licence_taken and _announcement_confirmed(deal)
    verified = by_operator = False
    # The newest of the verifying lines and the withdrawals decides; an operator's verification
    # lapses when a basis line it did not see is written after it.
    for event in deal.events:
        if event.kind in VERIFYING_EVENTS or (event.kind == LedgerEvent.LICENSED and confirmed_declaration):
            verified, by_operator = True, event.kind == LedgerEvent.EVIDENCE_VERIFIED
        elif event.kind == LedgerEvent.EVIDENCE_WITHDRAWN or (by_operator and event.kind in BASIS_LINES):
            verified = by_operator = False
    if verified:
        return EvidenceLevel.VERIFIED
    if open_licence_taken or LedgerEvent.PAYMENT in kinds:
        return EvidenceLevel.DOCUMENTED
    certificates = CERTIFICATES.get(deal.kind, LICENCE_CERTIFICATES)
    if _documents(deal) & certificates:
        return EvidenceLevel.DOCUMENTED
    return EvidenceLevel.SELF_DECLARED


def refresh(deal: Deal) -> str:
    """Recompute and store the deal's evidence level; returns it."""
    level = level_of(deal)
    if deal.evidence_level != level:
        deal.evidence_level = level
    return level
