"""What a licence's filing still lacks, on the deal page before the filing step (REC 9; R-LC-5).

The partial templates/deals/_filing_readiness.html reads `filing_readiness_panel(deal)`: each missing
item, whose record holds it, and where the viewer can fill it in (its own organisation's profile,
the patent) or whom to ask. The items are the REC 12(3) ground's own list.
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from market.deals.documents.filing import filing_readiness
from market.deals.documents.grounds import BUYER_RECORD, PATENT_RECORD, SELLER_RECORD
from market.deals.models import Deal
from market.deals.permissions import SELLER, role_of
from market.deals.views.blueprint import bp


@bp.app_template_global("filing_readiness_panel")
def filing_readiness_panel(deal: Deal) -> dict | None:
    """The readiness list for whoever may see the deal; None when nothing is missing."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    role = role_of(user, deal)
    gaps = filing_readiness(deal) if role is not None else []
    if not gaps:
        return None
    items = []
    for gap in gaps:
        party = {SELLER_RECORD: deal.seller, BUYER_RECORD: deal.buyer}.get(gap.holder)
        link = None
        if party is not None and role == gap.holder and user.is_admin:
            link = url_for("accounts.account") + "#organisation"
        elif gap.holder == PATENT_RECORD and role == SELLER:
            link = url_for("listings.patent", app_no=deal.patent.application_number)
        items.append({"gap": gap, "party": party, "ours": role == gap.holder, "link": link})
    return {"items": items, "signed": deal.signed_date is not None}
