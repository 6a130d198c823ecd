"""The demo shows both honest states of matching: a demand the shelf answers, and one it does not."""

from __future__ import annotations

from sqlalchemy import select

from market.core.extensions import db
from market.core.outbox import process_outbox
from market.demo.demands import DEMO_DEMANDS
from market.demo.seed import seed
from matching.confidence import STATE_MATCH, STATE_NONE
from matching.models import Demand
from matching.recommend import matches_for_demand


def test_the_demo_demands_show_a_real_fit_as_matches_and_no_fit_as_the_no_match_state(app):
    with app.test_request_context():
        seed()
        db.session.commit()
        process_outbox()  # indexes the shelf, which builds the catalogue model
        demands = {d.title: d for d in db.session.scalars(select(Demand))}
        fit, none = (demands[fields["title"]] for _, fields in DEMO_DEMANDS)
        answered = matches_for_demand(fit)
        assert answered.state == STATE_MATCH
        assert "热失控" in answered.matches[0].title
        # Every result shown as a match is about the demand's object (a battery), not a loose relative.
        assert all("电池" in m.title for m in answered.matches if m.grade == STATE_MATCH)
        unanswered = matches_for_demand(none)
        assert unanswered.state == STATE_NONE and unanswered.matches == []
