"""The legal-status import ends the open-licence declaration of a patent that lapsed."""

from __future__ import annotations

from sqlalchemy import select

from listings.importing.readers import read_table
from listings.importing.status import import_status_updates
from market.core.extensions import db
from market.deals.models import PatentClaim
from market.deals.open_licence.models import OpenLicenceDeclaration
from tests.deals.open_licence.world import announced, world


def test_a_lapse_in_the_status_import_ends_the_announced_declaration(session):
    w = world()
    decl = announced(w)
    csv = ("申请号,法律状态,法律状态日\n"
           f"{w.patent.application_number},未缴年费专利权终止,{decl.announce_date.isoformat()}\n")
    result = import_status_updates(read_table(csv.encode("utf-8"), "status.csv"))
    db.session.flush()
    assert result.updated == 1 and not result.rejected
    assert db.session.get(OpenLicenceDeclaration, decl.id).status == "ENDED"
    held = db.session.scalars(select(PatentClaim).where(PatentClaim.declaration_id == decl.id)).one()
    # Lapsed on its announcement day: the declaration holds nothing any more, so an exclusive
    # licence is no longer blocked by it.
    assert held.active is False
