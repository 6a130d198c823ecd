"""Taking an open licence is a statutory written notice and money (PL 51 ¶1; R-OL-9): a confirmation first.

The patent page and the declaration page link to a confirmation that states what will happen, to
whom, for how much and for how long; nothing changes on GET, and the POST without the ticked
confirmation is refused and changes nothing either.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from market.core.extensions import db
from market.deals.models import Deal
from tests import factories as f
from tests.deals.open_licence import world as wb


@pytest.fixture
def announced(app):
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        db.session.commit()
        return {"decl": decl.id, "app_no": w.patent.application_number, "buyer": w.buyer_user.email,
                "buyer_org": w.buyer.name, "patentee": w.uni.name, "term_end": decl.term_end.isoformat(),
                "owner": w.uni_user.email}


def deals_of(app, decl_id: int) -> int:
    with app.test_request_context():
        return db.session.scalar(select(func.count(Deal.id)).where(Deal.declaration_id == decl_id))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_patent_and_declaration_pages_lead_to_a_confirmation_not_a_one_click_post(app, client, announced,
                                                                                        lang):
    f.login(client, announced["buyer"])
    take = f"/open-licences/{announced['decl']}/take"
    for path in (f"/patents/{announced['app_no']}?lang={lang}", f"/open-licences/{announced['decl']}?lang={lang}"):
        page = client.get(path).get_data(as_text=True)
        assert f'href="{take}"' in page, path
        assert not re.search(rf'<form[^>]*action="{take}"', page), f"{path} still takes the licence in one click"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_confirmation_states_what_to_whom_how_much_and_how_long_and_changes_nothing(app, client, announced,
                                                                                         lang):
    f.login(client, announced["buyer"])
    response = client.get(f"/open-licences/{announced['decl']}/take?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert announced["patentee"] in page and announced["buyer_org"] in page  # to whom, by whom
    assert "50,000.00" in page and announced["term_end"] in page  # how much, how long
    if lang == "zh":
        assert "书面通知" in page and "人民币伍万元整" in page and "普通许可" in page
    else:
        assert "written notice" in page and "ordinary licence" in page.lower()
    assert "R-OL-9" in page  # the rule id, in small print
    assert re.search(r'<input type="checkbox" name="confirm" value="1"', page)
    assert deals_of(app, announced["decl"]) == 0  # nothing changes on GET


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_post_without_the_confirmation_is_refused_beside_the_box(app, client, announced, lang):
    f.login(client, announced["buyer"])
    path = f"/open-licences/{announced['decl']}/take"
    token = f.csrf_token(client, f"/patents/{announced['app_no']}")
    refused = client.post(f"{path}?lang={lang}", data={"csrf_token": token})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'class="field-error" id="err-confirm"' in page
    assert ("请勾选确认" if lang == "zh" else "Tick the box") in page
    assert deals_of(app, announced["decl"]) == 0

    taken = client.post(path, data={"csrf_token": token, "confirm": "1"})
    assert taken.status_code == 302 and re.search(r"/deals/\d+/licence$", taken.headers["Location"])
    assert deals_of(app, announced["decl"]) == 1
    # The confirmation page after that leads to the record instead of a second notice.
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"] == taken.headers["Location"]


def test_the_patentee_gets_no_confirmation_page(app, client, announced):
    f.login(client, announced["owner"])
    response = client.get(f"/open-licences/{announced['decl']}/take")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/patents/{announced['app_no']}")
