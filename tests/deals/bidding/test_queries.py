"""What one bid costs the database: the statements are pinned, so they cannot silently grow back.

A bid on the API took 22 statements (issue 14, "Speed"): the lot, its listing and point, the
registration and the organisation were each loaded two or three times, the lot was locked twice,
and after the commit the lot, the bid and the price were read again for the answer. The counts
below are what a bid needs; a change that adds one must say why here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select, text

from market.accounts.models import ApiToken
from market.accounts.services import issue_api_token
from market.core.db import transaction_memo, utcnow
from market.core.extensions import db
from market.deals.exchange import bidding
from market.deals.exchange.deposits import lock_lot
from market.deals.exchange.models import BiddingFormat, LotRegistration
from tests import factories as f
from tests.deals.bidding.world import person, world

# Token (with its user and organisation), lot (with listing and point), registration, the price
# before the lock, the lot locked, the registration as it stands under the lock, the last bid,
# the bid, the ledger's last seq, the ledger line.
API_BID = 10
# Token, lot, registration, the numbering of registrations, the latest bids, the price, my last bid.
API_BOARD = 7
# The page: the user (with its organisation) instead of the token, the same bid, and the user
# read again after the commit for the confirmation message.
PAGE_BID = 11

_SAVEPOINTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", re.I)


def _statements(app, call) -> tuple[object, list[str]]:
    """The SQL statements `call` sends (the test's own savepoints left out)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args, **_kwargs):
        if not _SAVEPOINTS.match(statement):
            seen.append(" ".join(statement.split())[:120])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        return call(), seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _committed(bidders: int = 2, **kw):
    w = world(bidders=bidders, **kw)
    tokens = [{"Authorization": "Bearer " + issue_api_token(u, "t")[1]} for u in w.bidders]
    ids = {"lot": w.lot.id, "emails": [u.email for u in w.bidders]}
    db.session.commit()
    return w, ids, tokens


def test_a_bid_on_the_api_takes_its_pinned_number_of_statements(app, client, session):
    _, ids, tokens = _committed()
    board_url, bid_url = f"/api/v1/lots/{ids['lot']}/bidding", f"/api/v1/lots/{ids['lot']}/bids"
    for token, first in zip(tokens, (1_000_000, 1_010_000), strict=True):  # a token's first bid notes its use
        assert client.post(bid_url, headers=token, json={"amount_fen": first}).status_code == 201
    for i, amount in enumerate((1_020_000, 1_030_000, 1_050_000)):
        board, read = _statements(app, lambda: client.get(board_url, headers=tokens[i % 2]))
        assert board.status_code == 200 and len(read) == API_BOARD, "\n".join(read)
        answer, wrote = _statements(app, lambda: client.post(bid_url, headers=tokens[i % 2],
                                                               json={"amount_fen": amount}))
        assert answer.status_code == 201, answer.get_json()
        assert len(wrote) == API_BID, wrote
        assert sum(s.startswith("INSERT") for s in wrote) == 2  # the bid and its ledger line, nothing else
        # The answer taken before the commit is the price after this bid.
        assert answer.get_json()["current_fen"] == amount and answer.get_json()["next_min_fen"] == amount + 10_000


def test_a_bid_through_the_page_takes_its_pinned_number_of_statements(app, client, session):
    _, ids, _ = _committed()
    f.login(client, ids["emails"][0])
    token = f.csrf_token(client, f"/lots/{ids['lot']}/bidding")
    answer, wrote = _statements(app, lambda: client.post(
        f"/lots/{ids['lot']}/bids", data={"amount": "10000", "confirm": "1", "csrf_token": token}))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert len(wrote) == PAGE_BID, wrote


def test_an_api_token_notes_its_last_use_once_a_minute_a_read_included(app, client, session):
    """A token used only to read shows its use too (a leaked read-only token must be visible)."""
    _, ids, tokens = _committed()
    token_id = db.session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc())).first()
    headers = tokens[-1]
    board_url, bid_url = f"/api/v1/lots/{ids['lot']}/bidding", f"/api/v1/lots/{ids['lot']}/bids"

    def last_used():
        db.session.expire_all()
        return db.session.get(ApiToken, token_id).last_used_at

    assert last_used() is None
    answer, read = _statements(app, lambda: client.get(board_url, headers=headers))
    assert answer.status_code == 200 and sum(s.startswith("UPDATE api_tokens") for s in read) == 1
    first = last_used()
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    _, again = _statements(app, lambda: client.get(board_url, headers=headers))
    assert not any(s.startswith("UPDATE api_tokens") for s in again) and last_used() == first
    assert client.post(bid_url, headers=headers, json={"amount_fen": 1_000_000}).status_code == 201
    recent = utcnow() - timedelta(seconds=30)
    db.session.get(ApiToken, token_id).last_used_at = recent
    db.session.commit()
    _, again = _statements(app, lambda: client.post(bid_url, headers=headers, json={"amount_fen": 1}))
    assert not any(s.startswith("UPDATE api_tokens") for s in again) and last_used() == recent
    db.session.get(ApiToken, token_id).last_used_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert client.post(bid_url, headers=tokens[0], json={"amount_fen": 2_000_000}).status_code == 201
    assert client.post(bid_url, headers=headers, json={"amount_fen": 2_010_000}).status_code == 201
    assert utcnow() - last_used() < timedelta(seconds=30)


def test_the_price_after_a_bid_is_what_the_table_says(session):
    for fmt in (BiddingFormat.ASCENDING, BiddingFormat.SEALED):
        w = world(bidders=2, fmt=fmt)
        for i, yuan in enumerate((10_000, 10_300)):
            bid = w.bid(i, yuan)
            assert bidding.state_after(w.lot, bid) == bidding.state_of(db.session, w.lot), fmt


def test_what_a_transaction_remembers_ends_with_it_and_with_its_savepoints(app, session):
    w = world(bidders=2)
    db.session.commit()
    transaction_memo(db.session, "test")["seen"] = True
    assert transaction_memo(db.session, "test") == {"seen": True}
    with db.session.begin_nested():
        # A row lock taken in a savepoint that is rolled back is released (PostgreSQL): not trusted outside it.
        assert transaction_memo(db.session, "test") == {}
        transaction_memo(db.session, "test")["inner"] = True
    assert "inner" not in transaction_memo(db.session, "test")
    db.session.commit()
    assert transaction_memo(db.session, "test") == {}
    # The registration is read once per transaction, and again in the next (it may have been withdrawn).
    org_id, _ = w.bidders[0].organisation_id, w.lot.id  # (the lot read again after the commit)
    _, first = _statements(app, lambda: [bidding.registration_of(db.session, w.lot, org_id) for _ in range(3)])
    db.session.commit()
    assert w.lot.id
    _, after_commit = _statements(app, lambda: bidding.registration_of(db.session, w.lot, org_id))
    assert len(first) == 1 and len(after_commit) == 1, (first, after_commit)


def test_locking_the_lot_reads_its_registrations_again(session):
    w = world(bidders=2)
    lot = w.lot
    assert len(lot.registrations) == 2
    late = person(f.organisation(org_type="PRIVATE"))
    # Written behind the ORM's back, as another request would have before the lock was granted.
    db.session.execute(text("INSERT INTO lot_registrations (lot_id, buyer_org_id, registered_at, status, "
                            "decision_reason, deposit_status, version) VALUES (:lot, :org, :at, 'PENDING', '', "
                            "'NONE', 1)"), {"lot": lot.id, "org": late.organisation_id, "at": utcnow()})
    lock_lot(db.session, lot)
    assert len(lot.registrations) == 3
    assert db.session.scalar(select(LotRegistration.id).where(LotRegistration.buyer_org_id == late.organisation_id))
