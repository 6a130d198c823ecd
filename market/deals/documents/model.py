"""The document model shared by every paper of a deal, contract numbers and the deal facts papers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from market.core.errors import DomainError
from market.core.extensions import db
from market.core.money import yuan_text
from market.core.time import SHANGHAI, add_months, today_local
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import (
    LICENCE_KINDS,
    DealKind,
    DealStatus,
    LedgerEvent,
    PaymentKind,
    PaymentStatus,
)
from market.payments.models import Payment

if TYPE_CHECKING:
    from market.deals.open_licence.models import OpenLicenceDeclaration


KIND_LETTERS = {DealKind.OPEN_LICENSE: "O", DealKind.LICENSE_ORDINARY: "L", DealKind.LICENSE_SOLE: "S",
                DealKind.LICENSE_EXCLUSIVE: "X", DealKind.TRANSFER: "T", DealKind.EQUITY: "E"}
FILING_KINDS = LICENCE_KINDS | {DealKind.OPEN_LICENSE}
DEFAULT_FILING_MONTHS = 3  # IR 15 ¶2; REC 5
# Filed or in force: what a new filing could conflict with (REC 12(9)).
FILED_STATES = (DealStatus.FILED, DealStatus.ACTIVE)


# -- contract numbers ------------------------------------------------------------------------

def reference_for(deal: Deal, today: date | None = None) -> str:
    """PSM-<year>-<kind letter>-<id>: printed on the contract and quoted on payments."""
    year = (today_local(deal.created_at.replace(tzinfo=UTC)) if deal.created_at else (today or today_local())).year
    return f"PSM-{year}-{KIND_LETTERS[DealKind(deal.kind)]}-{deal.id:06d}"


def assign_reference(deal: Deal, today: date | None = None) -> str:
    """Give a new deal its contract number (flushes once if the deal has no id yet)."""
    if not deal.reference:
        if deal.id is None:
            db.session.flush([deal])
        deal.reference = reference_for(deal, today)
    return deal.reference


def contract_number(deal: Deal) -> str:
    return deal.reference or reference_for(deal)


# -- the document model ----------------------------------------------------------------------

@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # the first row is the header


@dataclass
class Document:
    kind: str  # contract | notice | filing
    title: str
    number: str
    lang: str
    intro: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    signatures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    appendix: Document | None = None


def _beijing(iso: str | None) -> str:
    """A stored UTC timestamp (ISO text) as Beijing time, as the parties read it."""
    if not iso:
        return "—"

    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _tr(lang: str):
    return (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def payment_table(deal: Deal, lang: str = "zh", start: date | None = None) -> list[list[str]]:
    """The schedule of sums: the deal's payments, or what its terms will make due from `start`."""
    t = _tr(lang)
    head = [t("款项", "Sum"), t("金额", "Amount"), t("应付日期", "Due"), t("状态", "Status")]
    rows = [[f"{PaymentKind(p.kind).label(lang)} #{p.sequence}", yuan_text(p.amount_fen, lang), _day(p.due_date),
             PaymentStatus(p.status).label(lang)] for p in _payments(deal)]
    if not rows:
        terms = _terms(deal)
        start = start or deal.effective_date or deal.start_date
        if terms is not None and start is not None and deal.kind != DealKind.EQUITY:
            rows = [[f"{PaymentKind(kind).label(lang)} #{seq}", yuan_text(amount, lang), _day(due),
                     t("未到期", "Not yet due")] for kind, seq, amount, due in terms.upfront_schedule(start)]
        elif deal.kind == DealKind.TRANSFER and deal.price_fen:
            rows = [[PaymentKind.TRANSFER_PRICE.label(lang), yuan_text(deal.price_fen, lang),
                     t("合同约定", "As agreed"), t("未到期", "Not yet due")]]
    return [head, *rows] if rows else []


def filing_deadline(deal: Deal) -> date | None:
    if deal.filing_deadline:
        return deal.filing_deadline
    if deal.kind in FILING_KINDS and deal.effective_date:
        return add_months(deal.effective_date, DEFAULT_FILING_MONTHS)
    return None


def _declaration(deal: Deal) -> OpenLicenceDeclaration | None:
    if deal.declaration_id is None:
        return None

    return db.session.get(OpenLicenceDeclaration, deal.declaration_id)


def notice_event(deal: Deal):
    return next((e for e in deal.events if e.kind == LedgerEvent.NOTICE), None)


def _terms(deal: Deal) -> FeeTerms | None:
    if not deal.fee_terms:
        return None
    try:
        return FeeTerms.from_dict(deal.fee_terms)
    except DomainError:
        return None


def _payments(deal: Deal):
    """The sums of the patent fee or price; technical services chosen with an open licence have their own table."""
    return list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id,
                                                         Payment.kind != PaymentKind.SERVICE_FEE.value)
                                   .order_by(Payment.due_date, Payment.id)))


def service_payments(deal: Deal) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.deal_id == deal.id,
                                                         Payment.kind == PaymentKind.SERVICE_FEE.value)
                                   .order_by(Payment.id)))
