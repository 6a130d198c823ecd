"""Demo lots on the seeded catalogue, made through the lot services as the seller and buyers would.

One lot in its disclosure period with two registrations (one qualified with its deposit paid, one
awaiting its deposit), and one whose period ended with a single qualified buyer: awarded at the
listing price, the winner's deposit applied and the refused buyer's refunded. Competitive bidding
and auctions are seeded by the bidding engine's own demo.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from listings.models import Listing
from listings.vocabulary import DealMode, ListingStatus
from market.accounts.models import Organisation, User
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.deals.exchange import lots, registrations
from market.deals.exchange.deposits import deposit_payment
from market.deals.models import Deal
from market.payments import services as payments


def _user(org: Organisation) -> User:
    return db.session.scalars(select(User).where(User.organisation_id == org.id).order_by(User.id)).first()


def _free_transfer_listings() -> list[Listing]:
    """Published transfers of universities and institutes with a price and no deal on the patent yet."""
    dealt = select(Deal.patent_id)
    query = (select(Listing).join(Listing.organisation)
             .where(Listing.status == ListingStatus.PUBLISHED, Listing.asking_price_fen.is_not(None),
                    Organisation.org_type.in_(("UNIVERSITY", "RESEARCH_INSTITUTE")),
                    Listing.patent_id.not_in(dealt))
             .order_by(Listing.id))
    return [item for item in db.session.scalars(query) if DealMode.TRANSFER in item.modes]


def _paid(lot, user, reg, at) -> None:
    """The buyer transfers the deposit; the seller confirms the money arrived."""
    payment = deposit_payment(db.session, reg)
    payments.start_checkout(db.session, payment, "bank_transfer")
    registrations.confirm_deposit(db.session, _user(lot.seller), lot, reg, at=at)


def _open(listing: Listing, at, deposit_fen: int):
    return lots.open_lot(db.session, _user(listing.organisation), listing, {
        "method": "LISTING", "deal_kind": "TRANSFER", "price_fen": listing.asking_price_fen,
        "deposit_fen": deposit_fen, "disclosure_working_days": 20,
        "qualifications": "依法设立并有效存续的企业法人；具备实施本专利所需的生产条件；近三年无重大违法记录。"}, at=at)


def seed_lots(orgs: dict[str, Organisation]) -> str:
    now = utcnow()
    qingqu, luosi, hesui, ruiyan = (_user(orgs[k]) for k in ("qingqu", "luosi", "hesui", "ruiyan"))
    candidates = iter(_free_transfer_listings())
    made = []

    def in_period(listing):
        at = now - timedelta(days=3)
        lot = _open(listing, at, max(listing.asking_price_fen // 10, 100_000))
        first = registrations.register(db.session, qingqu, lot, "我司从事水处理设备生产，拟受让后在宝山基地实施。",
                                       at=at + timedelta(hours=20))
        _paid(lot, qingqu, first, at + timedelta(days=1))
        registrations.decide(db.session, _user(lot.seller), lot, first, True, "营业执照、实施条件材料齐全，资格符合。",
                             at=at + timedelta(days=1, hours=2))
        registrations.register(db.session, luosi, lot, "", at=at + timedelta(days=2))
        return lot

    def awarded(listing):
        at = now - timedelta(days=45)
        lot = _open(listing, at, max(listing.asking_price_fen // 10, 100_000))
        winner = registrations.register(db.session, hesui, lot, "拟用于自有生产线技术改造。", at=at + timedelta(days=2))
        _paid(lot, hesui, winner, at + timedelta(days=3))
        registrations.decide(db.session, _user(lot.seller), lot, winner, True, "资格符合。", at=at + timedelta(days=4))
        refused = registrations.register(db.session, ruiyan, lot, "", at=at + timedelta(days=5))
        _paid(lot, ruiyan, refused, at + timedelta(days=6))
        registrations.decide(db.session, _user(lot.seller), lot, refused, False,
                             "经营范围与本专利实施无关，不符合资格条件第二项。", at=at + timedelta(days=7))
        lots.settle_due_lots(db.session, at=now)
        return lot

    for make, label in ((in_period, "1 lot in its disclosure period"), (awarded, "1 lot awarded at its listing price")):
        for listing in candidates:
            try:
                with db.session.begin_nested():
                    make(listing)
                made.append(label)
                break
            except DomainError:
                continue
    return ", ".join(made) or "no lots"
