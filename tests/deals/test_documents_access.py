"""Who may read a deal's papers: the parties, the point's operator, the bureau; others get 404."""

from __future__ import annotations

import pytest

from market.core.extensions import db
from market.deals.open_licence import acquisition
from tests import factories as f
from tests.deals.open_licence import world as wb

PAPERS = ("licence", "contract", "contract.pdf", "notice", "notice.pdf", "filing-package", "filing-package.pdf")


@pytest.fixture
def setting(app):
    with app.test_request_context():
        w = wb.world(enterprises=2)
        deal = acquisition.take_open_licence(wb.announced(w).id, w.buyer, w.buyer_user)
        bureau = f.user(f.organisation(org_type="BUREAU"))
        db.session.commit()
        return {"deal": deal.id, "seller": w.uni_user.email, "buyer": w.buyer_user.email,
                "operator": w.operator_user.email, "bureau": bureau.email, "stranger": w.enterprises[1][1].email}


@pytest.mark.parametrize("who", ["seller", "buyer", "operator", "bureau"])
def test_the_parties_the_operator_and_the_bureau_read_the_papers(client, setting, who):
    f.login(client, setting[who])
    for path in PAPERS:
        response = client.get(f"/deals/{setting['deal']}/{path}")
        assert response.status_code == 200, (who, path)
        assert path == "licence" or response.headers.get("Cache-Control") == "private, no-store"


@pytest.mark.parametrize("who", ["stranger", None])
def test_anyone_else_is_told_the_deal_does_not_exist(client, setting, who):
    if who:
        f.login(client, setting[who])
    for path in PAPERS:
        assert client.get(f"/deals/{setting['deal']}/{path}").status_code == 404, (who, path)
    assert client.get("/deals/999999/contract").status_code == 404


def test_a_deal_that_is_not_an_open_licence_has_no_notice_page(client, app):
    from datetime import timedelta

    from market.core.time import today_local
    from market.deals.models import Deal

    with app.test_request_context():
        w = wb.world()
        deal = Deal(kind="LICENSE_ORDINARY", status="SIGNED", patent_id=w.patent.id, seller_org_id=w.uni.id,
                    buyer_org_id=w.buyer.id, start_date=today_local(), end_date=today_local() + timedelta(days=400),
                    fee_terms={"mode": "LUMP_SUM", "lump_fen": 1_000_000})
        db.session.add(deal)
        db.session.commit()
        deal_id, email = deal.id, w.buyer_user.email
    f.login(client, email)
    assert client.get(f"/deals/{deal_id}/contract").status_code == 200
    assert client.get(f"/deals/{deal_id}/notice").status_code == 404
    assert client.get(f"/deals/{deal_id}/licence").status_code == 404
    assert client.get(f"/deals/{deal_id}/filing-package").status_code == 200
