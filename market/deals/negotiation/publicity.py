"""R-ST-1 (STL 18; SH 9): the platform itself publishes an agreement-priced deal before signature.

The seller asks; the platform opens the publicity at the server's time (no date is typed), on a
public page naming the achievement, the agreed price and the seller, for PUBLICITY_DAYS calendar
days. It counts only if it was opened after the price was agreed and shows the deal's current
price; the contract may be signed from the day after the last day. Anyone may object meanwhile;
the seller sees the objections on the deal page. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, NotFound
from market.core.extensions import db
from market.core.time import today_local
from market.deals.models import Deal, DealEvent, PublicityObjection
from market.deals.negotiation.common import tell
from market.deals.vocabulary import DealStatus, LedgerEvent

DEFAULT_PUBLICITY_DAYS = 15  # domain.md §7.5: set by the unit's own rules; commonly at least 15 days
CODE = "PUBLICITY"
OBJECTION_MAX_CHARS = 2000


def publicity_days() -> int:
    if has_app_context():
        return int(current_app.config.get("PUBLICITY_DAYS", DEFAULT_PUBLICITY_DAYS))
    return DEFAULT_PUBLICITY_DAYS


def open_record(deal: Deal, now: datetime | None = None) -> dict:
    """The facts of a publicity opened now: the server's time, never a date a user typed."""
    now = now or datetime.now(UTC)
    start = today_local(now)
    days = publicity_days()
    return {"opened_at": now.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "start": start.isoformat(), "days": days,
            "ends_on": (start + timedelta(days=days - 1)).isoformat(),
            "sign_from": (start + timedelta(days=days)).isoformat(),
            "title": deal.patent.title, "application_number": deal.patent.application_number,
            "price_fen": deal.price_fen, "seller": deal.seller.name}


def require_price(deal: Deal) -> None:
    if deal.price_fen is None:
        raise Conflict("deal.publicity_needs_price",
                       "公示须列明拟交易价格，请先就价格达成一致（促进科技成果转化法第18条，R-ST-1）。",
                       "Publicity states the proposed price; agree a price first (STL art. 18, R-ST-1).")


def why_not_counted(deal: Deal, record: dict | None) -> tuple[str, str] | None:
    """Why a recorded publicity does not count (None: it counts), in words."""
    if not record:
        return None
    if not record.get("opened_at"):
        return ("该公示不是由平台发布的（开始日期由用户填写），不能作为公示依据，请由平台重新发布。",
                "This publicity was not opened by the platform (its date was typed); open it on the platform.")
    opened = datetime.fromisoformat(record["opened_at"])
    if deal.agreed_at is not None and opened < deal.agreed_at.replace(microsecond=0):
        return ("公示早于价格达成一致，未公示实际成交价格，请重新发布公示。",
                "The publicity began before the price was agreed; open it again.")
    if record.get("price_fen") != deal.price_fen:
        return ("公示价格与当前交易价格不一致（价格在公示后变更），请按现价重新发布公示。",
                "The publicised price differs from the deal's current price; open the publicity again.")
    return None


def counts(deal: Deal, record: dict | None) -> bool:
    return bool(record) and why_not_counted(deal, record) is None


def sign_from(record: dict) -> date:
    return date.fromisoformat(record["sign_from"])


def is_open(record: dict, on: date | None = None) -> bool:
    on = on or today_local()
    return date.fromisoformat(record["start"]) <= on < sign_from(record)


# ---- the public pages --------------------------------------------------------------------------

@dataclass
class Notice:
    deal: Deal
    record: dict

    @property
    def open(self) -> bool:
        return is_open(self.record)

    @property
    def opened_at(self) -> datetime:
        """When the platform opened it (naive UTC, as every stored timestamp; pages show it locally)."""
        return datetime.fromisoformat(self.record["opened_at"])


def current(deal: Deal) -> dict | None:
    """The deal's publicity if the platform opened it and it still stands for the deal's terms."""
    record = (deal.approvals or {}).get(CODE)
    return record if counts(deal, record) else None


def notices(limit: int = 200) -> list[Notice]:
    """Publicities the platform opened, newest first, that still stand (each deal once)."""
    # One query for the deals (a public page: no lazy load per ledger line), newest publicity first.
    latest = (select(DealEvent.deal_id, func.max(DealEvent.id).label("last_id"))
              .where(DealEvent.kind == LedgerEvent.PUBLICITY).group_by(DealEvent.deal_id).subquery())
    deals = db.session.scalars(select(Deal).join(latest, latest.c.deal_id == Deal.id)
                               .where(Deal.status != DealStatus.VOID)
                               .order_by(latest.c.last_id.desc()).limit(limit * 3))
    out = [Notice(deal, record) for deal in deals if (record := current(deal)) is not None]
    return out[:limit]


def notice_for(deal_id: int) -> Notice:
    deal = db.session.get(Deal, deal_id) if 0 < deal_id < 2**31 else None
    record = current(deal) if deal is not None else None
    if record is None:
        raise NotFound("publicity_not_found", "没有该公示。", "No such publicity.")
    return Notice(deal, record)


def object_to(deal_id: int, body: str, contact: str = "", user=None) -> PublicityObjection:
    """Anyone's objection while the publicity runs; the seller is told and sees it on the deal page."""
    notice = notice_for(deal_id)
    if not notice.open:
        raise Conflict("publicity.closed",
                       f"公示期已于{notice.record['ends_on']}结束，不能再提出异议（促进科技成果转化法第18条，R-ST-1）。",
                       f"The publicity ended on {notice.record['ends_on']}; objections are closed (STL art. 18, R-ST-1).")
    body = (body or "").strip()
    if not body:
        raise DomainError("publicity.objection_empty", "请写明异议的内容和理由。", "Say what you object to and why.",
                          field="body")
    if len(body) > OBJECTION_MAX_CHARS:
        raise DomainError("publicity.objection_long", f"异议不超过{OBJECTION_MAX_CHARS}字。",
                          f"An objection is at most {OBJECTION_MAX_CHARS} characters.", field="body")
    row = PublicityObjection(deal_id=notice.deal.id, body=body, contact=(contact or "").strip()[:200],
                             user_id=getattr(user, "id", None), created_at=utcnow())
    db.session.add(row)
    db.session.flush([row])
    tell(notice.deal.seller_org_id, notice.deal, "objection", "公示期内收到异议", "An objection to the publicity")
    return row


def objections(deal: Deal) -> list[PublicityObjection]:
    return list(db.session.scalars(select(PublicityObjection).where(PublicityObjection.deal_id == deal.id)
                                   .order_by(PublicityObjection.id)))
