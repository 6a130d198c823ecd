"""A patent package (专利包) for the demo: three related patents of one university at one price (issue 14)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from listings.models import Listing, ListingPatent
from listings.search import queue_listing
from listings.vocabulary import DealMode, LegalStatus, ListingStatus
from market.accounts.models import Organisation
from market.core.extensions import db

SIZE = 3
PRICE_FEN = 300 * 1_000_000  # 300万元 for the whole package


def seed_package() -> str:
    """Join three published, single-owner, in-force listings of one university sharing an IPC subclass
    into one package listing; the two others are removed before anyone saw them (a fresh demo)."""
    listings = db.session.scalars(
        select(Listing).join(Listing.organisation)
        .where(Listing.status == ListingStatus.PUBLISHED, Organisation.org_type == "UNIVERSITY")
        .order_by(Listing.id)).all()
    groups: dict[tuple[int, str], list[Listing]] = defaultdict(list)
    for listing in listings:
        patent = listing.patent
        if (len(patent.owners) != 1 or patent.legal_status != LegalStatus.VALID or not patent.ipc_main
                or DealMode.OPEN_LICENSE in listing.modes):
            continue
        groups[(listing.organisation_id, patent.ipc_main[:4])].append(listing)
    chosen = next((g[:SIZE] for g in groups.values() if len(g) >= SIZE), None)
    if chosen is None:
        return "no package"
    lead, *others = chosen
    for position, listing in enumerate(others, start=1):
        lead.further_members.append(ListingPatent(patent=listing.patent, position=position))
        queue_listing(listing)  # leaves the index: the package's document carries it
        db.session.delete(listing)
    lead.modes = [DealMode.TRANSFER.value, DealMode.LICENSE_ORDINARY.value, DealMode.LICENSE_EXCLUSIVE.value]
    lead.asking_price_fen, lead.price_negotiable = PRICE_FEN, False
    lead.problem_solved = lead.problem_solved or "同一技术由多件专利共同保护，整包转让或许可，避免只取得部分权利。"
    queue_listing(lead)
    db.session.flush()
    return f"1 package of {SIZE} patents ({lead.patent.application_number} …)"
