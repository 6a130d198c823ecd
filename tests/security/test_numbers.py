"""Issue 13 #9: NaN, Infinity and signalling NaN are refused wherever a decimal is parsed, never a 500."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from listings.importing.offer import parse_price
from listings.views.forms import YuanField
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.numbers import NotANumber, parse_decimal
from market.deals import fees
from market.deals.rewards import services as rewards
from market.deals.royalties import services as royalties
from tests.security.sweep import Sweep, fill
from tests.security.world import build

NOT_NUMBERS = ["NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Infinity", "inf", "1e999999", "1e100", "1_000", "0x10", "",
               " ", float("nan"), float("inf"), True]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_what_is_not_a_plain_finite_numeral_is_refused(value):
    with pytest.raises(NotANumber):
        parse_decimal(value)


@pytest.mark.parametrize("value, expected", [("12.50", "12.50"), ("５００００", "50000"), ("-3", "-3"), (".5", "0.5"),
                                             (12, "12"), ("2E+1", "2E+1")])
def test_plain_numerals_are_read(value, expected):
    assert str(parse_decimal(value)) == expected


def test_the_shared_parsers_refuse_nan_without_an_error():
    for value in ("NaN", "sNaN", "Infinity"):
        with pytest.raises(ValidationError):
            YuanField().deserialize(value)
        with pytest.raises(DomainError):
            parse_price(value, None)
        with pytest.raises(DomainError):
            royalties.parse_yuan(value)
        with pytest.raises(DomainError):
            rewards.parse_yuan(value, "amount")
        with pytest.raises(DomainError):
            fees.FeeTerms.from_dict({"mode": "ROYALTY", "royalty_base": "NET_SALES", "royalty_rate": value})


def test_nan_prices_on_every_door_are_refused_not_a_500(app):
    with app.test_request_context():
        world = build()
        ids = dict(world.ids)
        db.session.remove()
    sweep = Sweep(app, world)
    offer = {"price_yuan": "NaN", "start_date": "{today}", "end_date": "2099-01-01", "message": "再议"}
    for value in ("NaN", "sNaN", "Infinity", "-Infinity"):
        page = sweep.request("ent_a", "POST", fill("/deals/{neg_deal}/offers", ids),
                             fill({**offer, "price_yuan": value}, ids))
        assert page.status in (302, 422) and not page.changed, (value, page.status)
        edit = sweep.request("pat_a", "POST", fill("/listings/{listing}/edit", ids),
                             fill({"modes": "TRANSFER", "asking_price_yuan": value, "point_id": "{point_x}"}, ids))
        assert edit.status == 422 and not edit.changed, (value, edit.status)
        demand = sweep.request("ent_a", "POST", "/demands/new",
                               {"title": "隔膜", "problem": "耐高温隔膜的涂覆方案", "budget_min": value, "modes": "LICENSE_ORDINARY"})
        assert demand.status in (200, 422) and not demand.changed, (value, demand.status)
    for body in ({"price_fen": float("nan")}, {"price_fen": 100, "fee_terms": {"mode": "ROYALTY",
                 "royalty_base": "NET_SALES", "royalty_rate": "NaN"}}, {"price_fen": float("inf")}):
        api = sweep.request("ent_a", "POST", fill("/api/v1/deals/{neg_deal}/offers", ids), body)
        assert api.status == 422 and not api.changed, (body, api.status, api.body[:300])
