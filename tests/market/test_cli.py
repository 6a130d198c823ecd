"""The `flask` commands: portfolio import, legal-status import, index status, demo seed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from market.core.time import today_local
from tests import factories as f


def _setup(app):
    with app.test_request_context():
        f.organisation("沪北理工大学")
        point = f.point(name="浦江之光·测试店")
        db.session.commit()
        return point.name


def test_import_lists_publishes_and_reports_rejected_rows(app, runner, tmp_path):
    point = _setup(app)
    good = f.application_number()
    path = tmp_path / "portfolio.csv"
    path.write_text("申请号,名称,授权公告日\n"
                    f"{good},一种高强度钢及其制备方法,2022-05-01\n"
                    "202010123456.7,校验位错误,2022-05-01\n", encoding="gbk")
    report = tmp_path / "rejected.csv"
    result = runner.invoke(args=["patents", "import", str(path), "--owner", "沪北理工大学", "--point", point,
                                 "--publish", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output and "rejected 1" in result.output and "2 index and notice updates" in result.output
    assert "校验位应为 2" in report.read_text(encoding="utf-8")
    status = runner.invoke(args=["search", "status"])
    assert json.loads(status.output)["in_step"] is True


def test_import_names_an_unknown_owner(app, runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("申请号,名称\n", encoding="utf-8")
    result = runner.invoke(args=["patents", "import", str(path), "--owner", "不存在的大学"])
    assert result.exit_code != 0 and "不存在的大学" in result.output


def test_publish_needs_a_point(app, runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("申请号,名称\n", encoding="utf-8")
    result = runner.invoke(args=["patents", "import", str(path), "--owner", "x", "--publish"])
    assert result.exit_code != 0 and "--point" in result.output


def test_a_legal_status_import_suspends_the_listings_it_affects(app, runner, tmp_path):
    with app.test_request_context():
        uni = f.organisation()
        listing = f.listing(uni, f.point())
        number, listing_id = listing.patent.application_number, None
        db.session.commit()
        listing_id = listing.id
    path = tmp_path / "status.csv"
    path.write_text("申请号,法律状态,法律状态日\n"
                    f"{number},专利权保全,2025-06-01\n"
                    "202010123456.2,授权,2025-06-01\n", encoding="utf-8")
    result = runner.invoke(args=["patents", "status-import", str(path)])
    assert result.exit_code == 0, result.output
    assert "suspended 1" in result.output and "rejected 1" in result.output
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == ListingStatus.SUSPENDED


def test_the_demo_seed_gives_a_login_per_role_and_a_stocked_catalogue(app):
    from market.accounts.models import User
    from market.demo.seed import demo_login_emails, seed

    with app.test_request_context():
        summary = seed(n_patents=40)
        db.session.commit()
        emails = demo_login_emails()
        users = db.session.scalars(select(User).where(User.email.in_(emails))).all()
        assert len(users) == 6
        assert {u.organisation.org_type for u in users} == {
            "UNIVERSITY", "SOE", "RESEARCH_INSTITUTE", "PRIVATE", "POINT_OPERATOR", "BUREAU"}
        modes = {m for l in db.session.scalars(select(Listing)) for m in l.modes}
        assert modes == {"TRANSFER", "LICENSE_ORDINARY", "LICENSE_SOLE", "LICENSE_EXCLUSIVE", "OPEN_LICENSE", "EQUITY"}
    assert "11 points" in summary


def test_the_demo_seed_has_a_deal_for_every_journey(app):
    from market.deals.models import Deal
    from market.demo.seed import seed

    with app.test_request_context():
        summary = seed()
        deals = {(d.kind, d.status) for d in db.session.scalars(select(Deal))}
        packages = [l for l in db.session.scalars(select(Listing)) if l.is_package]
        # The demo shows a package (issue 14): one published listing of three patents at one price.
        assert [(l.status, len(l.members), l.asking_price_fen) for l in packages] == [("PUBLISHED", 3, 300_000_000)]
        check_demo_lots(summary)
        # An announced open licence offers two services; one licensee chose training, the other none (issue 14).
        from market.deals.open_licence.models import OfferedService, TakenService

        assert sorted(s.kind for s in db.session.scalars(select(OfferedService))) == ["CONSULTING", "TRAINING"]
        assert [(x.kind, x.quantity, x.amount_fen) for x in db.session.scalars(select(TakenService))] == [
            ("TRAINING", 2, 600_000)]
    assert "1 package of 3 patents" in summary
    assert "deals: 2 open licences taken" in summary
    # The transfer AGREED is the one a demo lot made at its listing price (market/demo/lots.py).
    assert "1 lot in its disclosure period, 1 lot awarded at its listing price" in summary
    assert deals == {("OPEN_LICENSE", "LICENSED"), ("OPEN_LICENSE", "PAYMENT_PENDING"),
                     ("LICENSE_EXCLUSIVE", "NEGOTIATING"), ("TRANSFER", "COMPLETED"), ("EQUITY", "AGREED"),
                     ("TRANSFER", "AGREED")}


def check_demo_lots(summary: str) -> None:
    """Issue 14's done-when: bids inside the announced window, the winner's deposit applied, the
    losers' refunded; an auction conducted by the point operator, with a reserve, open to bids now.
    (Called from the seed test above: one seed of the demo for both, seconds saved in CI.)"""
    from market.accounts.models import User
    from market.core.db import utcnow
    from market.deals.exchange.models import Bid, Lot, LotEvent
    from market.deals.models import Deal

    now = utcnow()
    lots = {(l.method, l.status): l for l in db.session.scalars(select(Lot))}
    bid_lots = set(db.session.scalars(select(Bid.lot_id)))
    finished = next(l for l in db.session.scalars(select(Lot)) if l.status == "AWARDED" and l.id in bid_lots)
    bids = db.session.scalars(select(Bid).where(Bid.lot_id == finished.id).order_by(Bid.seq)).all()
    amounts = [b.amount_fen for b in bids]
    assert len(bids) == 7 and amounts == sorted(set(amounts)) and amounts[0] == finished.price_fen
    assert all(finished.bidding_opens_at <= b.placed_at < finished.bidding_closes_at for b in bids)
    assert len({b.bidder_org_id for b in bids}) == 3
    lines = list(db.session.scalars(select(LotEvent).where(LotEvent.lot_id == finished.id).order_by(LotEvent.seq)))
    events = [e.kind for e in lines]
    assert [e.at for e in lines] == sorted(e.at for e in lines)  # the ledger reads in the order of its times
    assert events.count("BIDDING_STARTED") == 1 and events.count("BIDDING_CLOSED") == 1
    assert events.count("DEPOSIT_REFUNDED") == 2 and events.count("DEPOSIT_APPLIED") == 1
    deal = db.session.get(Deal, finished.deal_id)
    assert (deal.status, deal.price_fen, deal.price_formed_by) == ("AGREED", amounts[-1], "LISTING")
    assert deal.buyer_org_id == bids[-1].bidder_org_id and deal.approvals["lot"]["bids"] == 7
    refunded = {r.buyer_org_id for r in finished.registrations if r.deposit_status == "REFUNDED"}
    assert refunded == {b.bidder_org_id for b in bids} - {deal.buyer_org_id}

    auction = lots[("AUCTION", "BIDDING")]
    assert auction.reserve_fen > auction.price_fen
    conductor = db.session.get(User, auction.conductor_id)
    assert conductor.organisation_id == auction.listing.point.operator_id and conductor.is_admin
    assert auction.bidding_opens_at <= now and auction.bidding_closes_at - now > timedelta(hours=71)
    assert list(db.session.scalars(select(Bid.amount_fen).where(Bid.lot_id == auction.id))) == [auction.price_fen]
    assert "1 competitive bidding of 7 bids awarded, 2 deposits refunded, 1 auction bidding now" in summary


def test_every_open_licence_the_demo_shows_is_announced_and_can_be_taken(app):
    """Issue 12 §5: the demo's shelf says 开放许可 only where CNIPA announced a declaration."""
    from market.deals.open_licence import declarations as ol
    from market.demo.seed import seed

    with app.test_request_context():
        seed()
        today = today_local()
        showing = [l for l in db.session.scalars(select(Listing)) if "OPEN_LICENSE" in l.modes]
        assert len(showing) > 40  # the demo still shows open licences, each one declared
        for listing in showing:
            decl = ol.live_declaration(listing.patent_id)
            assert decl is not None and decl.status == "ANNOUNCED" and decl.gazette_issue, listing.patent_id
            assert ol.is_takeable(decl, today), listing.patent_id
        declared = {d.patent_id for d in ol.announced_declarations(limit=1000)}
        shelf = {l.patent_id for l in db.session.scalars(select(Listing).where(Listing.status == "PUBLISHED"))}
        assert declared & shelf <= {l.patent_id for l in showing}
