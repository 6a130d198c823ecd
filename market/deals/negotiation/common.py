"""Small pieces the negotiation modules share: references, notices, the counterpart. Never commits."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.orm.exc import StaleDataError

from market.core.errors import Conflict
from market.core.notifications import notify
from market.core.time import today_local
from market.deals.models import Deal
from market.deals.vocabulary import DealKind

# One letter per kind in the reference printed on contracts and quoted on payments.
KIND_LETTERS = {DealKind.OPEN_LICENSE: "K", DealKind.LICENSE_ORDINARY: "P", DealKind.LICENSE_SOLE: "S",
                DealKind.LICENSE_EXCLUSIVE: "E", DealKind.TRANSFER: "T", DealKind.EQUITY: "Q"}


def assign_reference(deal: Deal) -> str:
    """PSM-<year>-<kind letter>-<id>, once the deal has an id."""
    if not deal.reference:
        deal.reference = f"PSM-{today_local().year}-{KIND_LETTERS[DealKind(deal.kind)]}-{deal.id:06d}"
    return deal.reference


def link(deal: Deal) -> str:
    return f"/deals/{deal.id}"


def other_org_id(deal: Deal, org_id: int) -> int:
    return deal.buyer_org_id if org_id == deal.seller_org_id else deal.seller_org_id


def tell(org_id: int, deal: Deal, kind: str, zh: str, en: str, body: tuple[str, str] = ("", "")) -> None:
    """An inbox notice about `deal` to one organisation, naming the patent."""
    title = deal.patent.title
    notify(org_id, f"deal.{kind}", (f"“{title}”：{zh}", f"“{title}”: {en}"), body=body, link=link(deal))


def tell_both(deal: Deal, kind: str, zh: str, en: str) -> None:
    for org_id in (deal.seller_org_id, deal.buyer_org_id):
        tell(org_id, deal, kind, zh, en)


def kind_label(deal: Deal) -> tuple[str, str]:
    kind = DealKind(deal.kind)
    return kind.zh, kind.en


@contextmanager
def stale_as_conflict():
    """Two people changed one deal at once (optimistic lock): the later one is told to reload."""
    try:
        yield
    except StaleDataError:
        raise Conflict("deal.changed", "交易刚刚被对方更新，请刷新页面后再试。",
                       "The deal was just changed by someone else; reload the page and try again.") from None
