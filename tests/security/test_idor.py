"""Ids of another organisation's objects, in a URL next to one's own object or in a body.

The matrix (test_authorisation_matrix.py) shows every route refusing B-side actors A's objects.
Here each actor works on its own deal, demand or declaration and slips in an id of someone
else's: an offer, a royalty report, a dispute, a payment, a document, a demand, an unpublished
listing or declaration, an evaluation report. Each is refused and the database stays as it was;
another organisation's hidden object answers exactly like one that does not exist.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from listings.models import EvaluationReport
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.disputes import services as disputes
from market.deals.models import Deal
from market.deals.royalties import services as royalties
from market.deals.uploads import store_document
from market.deals.vocabulary import DealKind, DealStatus
from market.payments.models import Payment
from tests import factories as f
from tests.security.sweep import Sweep, fill
from tests.security.world import QUARTERLY_5PCT, build, pdf

MISSING = 2_000_000_000  # an id no table reaches in a test


def _b_side(w) -> dict:
    """Patentee B's and enterprise B's own deal, offer, royalty report, dispute, payment, document, report."""
    from listings.models import Listing
    from market.accounts.models import User

    ent_b = db.session.get(User, w.actors["ent_b"].user_id)
    pat_b = db.session.get(User, w.actors["pat_b"].user_id)
    listing_b = db.session.get(Listing, w.listing_b)
    start = today_local()
    deal = n.request_deal(ent_b, listing_b, DealKind.LICENSE_ORDINARY, message="B 方洽谈", terms={
        "price_fen": 1_000_000, "start_date": start, "end_date": date(start.year + 1, 12, 31)})
    document = store_document(deal, "OTHER", pdf(), ent_b)
    royalty = Deal(kind=DealKind.LICENSE_ORDINARY, status=DealStatus.FILED, patent_id=f.patent(pat_b.organisation).id,
                   seller_org_id=pat_b.organisation_id, buyer_org_id=ent_b.organisation_id, fee_terms=QUARTERLY_5PCT,
                   start_date=date(2024, 1, 1), end_date=date(2026, 12, 31), reference="PSM-SEC-B00001")
    db.session.add(royalty)
    db.session.flush()
    report = royalties.file_report(royalty, ent_b, period_start=date(2024, 1, 1), base_fen=500_000, note="")
    dispute = disputes.raise_dispute(ent_b, royalty, subject="B 方争议")
    payment = Payment(deal_id=royalty.id, kind="ROYALTY", sequence=1, amount_fen=25_000, due_date=date(2024, 5, 15),
                      status="DUE")
    db.session.add(payment)
    evaluation = EvaluationReport(patent=listing_b.patent, report_no="PJ-B-1", issued_on=date(2023, 5, 1),
                                  conclusion="NO_DEFECT")
    db.session.add(evaluation)
    db.session.flush()
    ids = {"deal_b": deal.id, "offer_b": n.open_offer(deal).id, "document_b": document.id, "roy_deal_b": royalty.id,
           "report_b": report.id, "dispute_b": dispute.id, "payment_b": payment.id, "evaluation_b": evaluation.id}
    db.session.commit()
    return ids


@pytest.fixture
def sweep(app):
    with app.test_request_context():
        w = build()
        w.ids.update(_b_side(w))
        db.session.remove()
    return Sweep(app, w)


# actor, method, path, body, expected status ("302x": refused with a flashed message)
CASES = [
    # Another deal's offer, report, dispute, payment or document, through one's own deal.
    ("pat_a", "POST", "/deals/{neg_deal}/accept", {"offer_id": "{offer_b}"}, "302x"),
    ("pat_a", "POST", "/api/v1/deals/{neg_deal}/accept", {"offer_id": "{offer_b}"}, "409"),
    ("pat_a", "POST", "/deals/{roy_deal}/royalties/{report_b}/confirm", {}, "404"),
    ("pat_a", "POST", "/deals/{roy_deal}/royalties/{report_b}/dispute", {"reason": "不对"}, "404"),
    ("pat_a", "POST", "/api/v1/deals/{roy_deal}/royalty-reports/{report_b}/confirm", {}, "404"),
    ("ent_a", "POST", "/deals/{roy_deal}/disputes/{dispute_b}/escalate", {"stage": "LITIGATION"}, "404"),
    ("ent_a", "POST", "/deals/{roy_deal}/disputes/{dispute_b}/resolve", {"outcome": "SETTLED"}, "404"),
    ("ent_a", "POST", "/api/v1/deals/{roy_deal}/disputes/{dispute_b}/resolve", {"outcome": "SETTLED"}, "404"),
    ("ent_a", "POST", "/deals/{ol_deal}/payments/{payment_b}/receipt", {}, "404"),
    ("ent_a", "POST", "/deals/{ol_deal}/payments/{payment_b}/checkout", {}, "404"),
    ("ent_a", "POST", "/api/v1/deals/{ol_deal}/payments/{payment_b}/checkout", {}, "404"),
    ("pat_a", "POST", "/deals/{ol_deal}/payments/{payment_b}/confirm", {}, "404"),
    ("ent_a", "GET", "/deals/{neg_deal}/uploads/{document_b}", None, "404"),
    # Another organisation's demand in a deal request.
    ("ent_b", "POST", "/deals/new", {"listing_id": "{listing}", "kind": "TRANSFER", "demand_id": "{demand}"}, "404"),
    ("ent_b", "POST", "/listings/{listing}/request", {"mode": "TRANSFER", "demand_id": "{demand}"}, "403"),
    ("ent_b", "POST", "/listings/{listing}/request", {"mode": "TRANSFER", "demand_id": "{private_demand}"}, "404"),
    ("ent_b", "POST", "/api/v1/deals", {"listing_id": "{listing}", "kind": "TRANSFER", "demand_id": "{demand}"}, "404"),
    # Another organisation's unpublished listing or declaration, wherever an id is taken.
    ("ent_b", "POST", "/api/v1/deals", {"listing_id": "{draft_listing}", "kind": "TRANSFER"}, "404"),
    ("ent_b", "POST", "/api/v1/listings/{draft_listing}/requests", {"mode": "TRANSFER"}, "404"),
    ("ent_b", "POST", "/listings/{draft_listing}/request", {"mode": "TRANSFER"}, "404"),
    ("ent_b", "GET", "/deals/new?listing={draft_listing}", None, "404"),
    ("ent_a", "POST", "/demands/{demand}/matches/{draft_listing}/save", {}, "404"),
    ("ent_a", "POST", "/demands/{demand}/matches/{draft_listing}/dismiss", {"reason": "PRICE"}, "404"),
    ("ent_a", "POST", "/api/v1/demands/{demand}/matches/{draft_listing}/dismiss", {"reason": "PRICE"}, "404"),
    ("ent_b", "POST", "/api/v1/open-licences/{draft_decl}/take", {}, "404"),
    ("ent_b", "POST", "/open-licences/{draft_decl}/take", {}, "404"),
    ("pat_b", "GET", "/listings/{draft_listing}/edit", None, "404"),
    ("pat_b", "POST", "/listings/{draft_listing}/withdraw", {}, "404"),
    ("op_y", "POST", "/listings/{draft_listing}/review", {"decision": "approve"}, "404"),
    # Another patent's evaluation report in one's own declaration.
    ("pat_a", "POST", "/open-licences/{draft_decl}/edit",
     {"mode": "LUMP_SUM", "lump_yuan": "10000", "evaluation_report_id": "{evaluation_b}"}, "422"),
]


def test_another_organisations_ids_are_refused_and_change_nothing(sweep):
    failures = []
    for actor, method, path, body, expected in CASES:
        url = fill(path, sweep.world.ids)
        out = sweep.request(actor, method, url, fill(body, sweep.world.ids), check=True)
        if str(out.status) != expected.removesuffix("x"):
            failures.append(f"{actor} {method} {url}: expected {expected}, got {out.status} {out.location}")
        if out.changed:
            failures.append(f"{actor} {method} {url}: changed {out.changed}")
    assert not failures, "\n".join(failures)


def test_the_sweep_sees_what_a_request_changes(sweep):
    # The refusals above prove something only if a change would have been seen.
    out = sweep.request("pat_a", "POST", "/account/tokens", {"name": "cli"}, check=True)
    assert (out.status, out.changed) == (302, ["api_tokens", "audit_log"])
    out = sweep.request("ent_a", "POST", fill("/deals/{neg_deal}/messages", sweep.world.ids), {"message": "在吗"})
    assert out.status == 302 and "deal_events" in out.changed


HIDDEN = [  # actor, path of another organisation's hidden object, the same path with an id that does not exist
    ("ent_b", "/deals/{neg_deal}", "/deals/{missing}"),
    ("ent_b", "/deals/{neg_deal}/contract", "/deals/{missing}/contract"),
    ("ent_b", "/api/v1/deals/{neg_deal}", "/api/v1/deals/{missing}"),
    ("pat_b", "/open-licences/{draft_decl}", "/open-licences/{missing}"),
    ("ent_b", "/demands/{private_demand}", "/demands/{missing}"),
    ("ent_b", "/api/v1/demands/{private_demand}", "/api/v1/demands/{missing}"),
    ("pat_b", "/imports/{batch}", "/imports/{missing}"),
    ("pat_b", "/api/v1/listings/{draft_listing}", "/api/v1/listings/{missing}"),
    ("pat_b", "/listings/{draft_listing}/edit", "/listings/{missing}/edit"),
    ("ent_b", "/api/v1/deals/{roy_deal}/royalty-reports", "/api/v1/deals/{missing}/royalty-reports"),
]


# A form's CSRF token is signed with the second it was made in: two requests either side of a second's
# turn (likely on a loaded machine) get different tokens, which tell nothing about the object.
CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]*(")')


def _page(body: str, path: str) -> str:
    return CSRF_VALUE.sub(r"\1TOKEN\2", body.replace(path, "PATH"))


def test_a_hidden_object_answers_like_one_that_does_not_exist(sweep):
    ids = {**sweep.world.ids, "missing": MISSING}
    for actor, hidden, missing in HIDDEN:
        hidden, missing = hidden.format(**ids), missing.format(**ids)
        seen = sweep.request(actor, "GET", hidden)
        absent = sweep.request(actor, "GET", missing)
        # The page links to itself (the language switch): its own path is the one difference allowed.
        assert seen.status == absent.status == 404, hidden
        assert _page(seen.body, hidden) == _page(absent.body, missing), hidden
