"""Demo lots on the seeded catalogue, made through the lot services as the seller and buyers would.

One lot in its disclosure period with two registrations (one qualified with its deposit paid, one
awaiting its deposit), and one whose period ended with a single qualified buyer: awarded at the
listing price, the winner's deposit applied and the refused buyer's refunded. One 挂牌 lot whose
period ended with three qualified buyers: the bidding announced with the lot was started by the
settling job at the period's end, ascending bids came in inside its window, and the close awarded
it to the highest bid and refunded the two others' deposits. One auction conducted by the point
operator, with a hidden reserve, whose bidding runs now.

Every step goes through the services with its own `at` (the server's clock of that moment); no
row is written by hand.
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
from market.deals.exchange import bidding, lots, registrations
from market.deals.exchange.deposits import deposit_payment
from market.deals.exchange.models import LotStatus
from market.deals.exchange.workdays import bidding_window, disclosure_period
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


QUALIFICATIONS = "依法设立并有效存续的企业法人；具备实施本专利所需的生产条件；近三年无重大违法记录。"


def _open(listing: Listing, at, deposit_fen: int):
    return lots.open_lot(db.session, _user(listing.organisation), listing, {
        "method": "LISTING", "deal_kind": "TRANSFER", "price_fen": listing.asking_price_fen,
        "deposit_fen": deposit_fen, "disclosure_working_days": 20, "qualifications": QUALIFICATIONS}, at=at)


def _qualified(lot, buyers: list[User], at) -> None:
    """The buyers register, then pay their deposits, then are qualified by the seller: a day apart,
    step by step, so the lot's ledger reads in the order of its times."""
    regs = [registrations.register(db.session, buyer, lot, "拟受让后在本单位生产线实施。", at=at + timedelta(hours=6 + i))
            for i, buyer in enumerate(buyers)]
    for i, (buyer, reg) in enumerate(zip(buyers, regs)):
        _paid(lot, buyer, reg, at + timedelta(days=1, hours=i))
    for i, reg in enumerate(regs):
        registrations.decide(db.session, _user(lot.seller), lot, reg, True, "营业执照与实施条件材料齐全，资格符合。",
                             at=at + timedelta(days=2, hours=i))


# Ascending bids of a finished bidding: (bidder's index, increments above the starting price,
# minutes after the window opened). Each bidder outbids another; none falls in the last minutes,
# so the close stays where it was announced.
BIDS = ((0, 0, 3), (1, 1, 7), (2, 3, 12), (0, 4, 18), (1, 6, 26), (2, 7, 31), (1, 9, 40))


# The demo's auction runs for three days from the seed, so a visitor of `make run` can bid in it.
AUCTION_HOURS = 72


def _auction_opening(now):
    """The latest opening ~30 days back whose 20-working-day period and announced window are over by
    now: settling the lot now starts its bidding at once (a window never opens in the past)."""
    for days in range(30, 90):
        at = now - timedelta(days=days)
        period = disclosure_period(at, 20)
        opens, _ = bidding_window(period.last_day, lots.BIDDING_MINUTES)
        if opens <= now and period.closes_at <= now:
            return at
    raise RuntimeError("no opening day found for the demo auction")  # unreachable: 20 working days < 60 days


def seed_lots(orgs: dict[str, Organisation]) -> str:
    now = utcnow()
    qingqu, luosi, hesui, ruiyan, hengxin, lanqi = (
        _user(orgs[k]) for k in ("qingqu", "luosi", "hesui", "ruiyan", "hengxin", "lanqi"))
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

    def competitive(listing):
        at = now - timedelta(days=70)
        lot = _open(listing, at, max(listing.asking_price_fen // 10, 100_000))
        buyers = [luosi, hengxin, qingqu]
        _qualified(lot, buyers, at)
        # The settling job at the period's end: three qualified buyers, so the announced bidding starts.
        lots.settle_due_lots(db.session, at=lot.registration_closes_at)
        if lot.status != LotStatus.BIDDING:
            raise DomainError("demo.lot_not_bidding", "演示竞价未开始", "the demo bidding did not start")
        for who, steps, minutes in BIDS:
            bidding.place_bid(db.session, lot, buyers[who], lot.price_fen + steps * lot.increment_fen,
                              at=lot.bidding_opens_at + timedelta(minutes=minutes))
        bidding.close_bidding(db.session, lot, at=lot.bidding_closes_at)
        return lot

    def auction(listing):
        # The point operator's administrator opens and conducts it (an auction is never the seller's).
        operator = _user(listing.point.operator)
        at = _auction_opening(now)
        price = listing.asking_price_fen
        lot = lots.open_lot(db.session, operator, listing, {
            "method": "AUCTION", "deal_kind": "TRANSFER", "price_fen": price, "reserve_fen": price * 3 // 2,
            "deposit_fen": max(price // 10, 100_000), "disclosure_working_days": 20, "extension_minutes": 5,
            "bidding_hours": AUCTION_HOURS,
            "qualifications": QUALIFICATIONS}, at=at)
        _qualified(lot, [lanqi, ruiyan], at)
        lots.settle_due_lots(db.session, at=now)
        if lot.status != LotStatus.BIDDING:
            raise DomainError("demo.auction_not_bidding", "演示拍卖未开始", "the demo auction did not start")
        # One bid at the starting price: the demo's enterprise login (lanqi) can outbid it.
        bidding.place_bid(db.session, lot, ruiyan, lot.price_fen, at=now)
        return lot

    for make, label in ((in_period, "1 lot in its disclosure period"), (awarded, "1 lot awarded at its listing price"),
                        (competitive, f"1 competitive bidding of {len(BIDS)} bids awarded, 2 deposits refunded"),
                        (auction, "1 auction bidding now")):
        for listing in candidates:
            try:
                with db.session.begin_nested():
                    make(listing)
                made.append(label)
                break
            except DomainError:
                continue
    return ", ".join(made) or "no lots"
