"""The patent page offers one primary action per mode offered (issue 15 #4).

An open licence is taken with 获取开放许可 (its own panel); each negotiated mode has one button to
its request form; writing to the patentee without terms is there, but folded and visually secondary.
"""

from __future__ import annotations

import re

import pytest

from listings.vocabulary import DealMode
from market.core.extensions import db
from market.deals.open_licence.queries import live_declaration
from tests import factories as f
from tests.deals.open_licence import world as wb

PRIMARY = re.compile(r'class="btn[^"]*\b(btn-primary|btn-accent)\b[^"]*"')


@pytest.fixture
def offered(app):
    with app.test_request_context():
        w = wb.world(modes=[DealMode.TRANSFER, DealMode.LICENSE_ORDINARY, DealMode.OPEN_LICENSE])
        decl = live_declaration(w.patent.id)  # the factory declares and announces 开放许可 among the modes
        db.session.commit()
        return {"app_no": w.patent.application_number, "listing": w.listing.id, "decl": decl.id,
                "buyer": w.buyer_user.email}


def side(page: str) -> str:
    """The page's action column."""
    return page[page.index('<aside class="detail-side">'):page.index("</aside>")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_primary_action_per_offered_mode(client, offered, lang):
    f.login(client, offered["buyer"])
    page = client.get(f"/patents/{offered['app_no']}?lang={lang}").get_data(as_text=True)
    column = side(page)
    primaries = [m.start() for m in PRIMARY.finditer(column)]
    # TRANSFER, LICENSE_ORDINARY, OPEN_LICENSE: three modes, three primary actions.
    assert len(primaries) == 3, re.findall(r"<(?:a|button)[^>]*btn[^>]*>[^<]*", column)
    take = f'href="/open-licences/{offered["decl"]}/take"'
    assert take in column
    for kind in ("TRANSFER", "LICENSE_ORDINARY"):
        link = re.search(rf'<a class="([^"]*)" href="/deals/new\?listing={offered["listing"]}&amp;kind={kind}"', column)
        assert link and "btn-primary" in link.group(1), kind
    words = (("洽谈转让", "洽谈普通许可", "获取开放许可") if lang == "zh"
             else ("Negotiate a transfer", "Negotiate an ordinary licence", "Take this open licence"))
    for word in words:
        assert word in column
    # The request without terms is folded away and its button is not a primary one.
    ask = column[column.index('<details class="deal-ask">'):]
    ask = ask[:ask.index("</details>")]
    assert 'action="/listings/' in ask and "btn-primary" not in ask


def test_a_visitor_sees_the_same_actions_leading_to_the_login(client, offered):
    page = client.get(f"/patents/{offered['app_no']}").get_data(as_text=True)
    column = side(page)
    assert "洽谈转让" in column and "登录后获取开放许可" in column
    assert "/login?next=" in column and 'action="/listings/' not in column
