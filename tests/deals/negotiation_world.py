"""Builders for negotiated-deal tests: parties, a listed patent, documents, a deal at any step."""

from __future__ import annotations

import io
from datetime import date, timedelta
from types import SimpleNamespace

from werkzeug.datastructures import FileStorage

from listings.models import PatentFlag
from listings.vocabulary import DealMode
from market.core.extensions import db
from market.core.time import today_local
from market.deals import negotiation as n
from market.deals.uploads import store_document
from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def upload(name: str = "proof.pdf", content: bytes = PDF) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/pdf")


def doc(deal, user, kind: str = "OTHER"):
    return store_document(deal, kind, upload(), user)


def world(*, seller_type: str = "PRIVATE", rnd: bool = False, buyer_type: str = "PRIVATE",
          modes=(DealMode.LICENSE_ORDINARY, DealMode.LICENSE_EXCLUSIVE, DealMode.LICENSE_SOLE,
                 DealMode.TRANSFER, DealMode.EQUITY),
          price_fen: int | None = 5_000_000, pricing: str = "LISTING", co_owners=(), patent_kw=None,
          buyer_kw=None, seller_kw=None):
    """A seller with one listed patent, two enterprises, a point with its operator, the bureau."""
    seller = f.organisation(org_type=seller_type, is_state_funded_rnd=rnd, **(seller_kw or {}))
    operator = f.organisation(org_type="POINT_OPERATOR")
    point = f.point(operator)
    listing = f.listing(seller, point, modes=list(modes), price_fen=price_fen,
                        patent_kw={"co_owners": list(co_owners), **(patent_kw or {})})
    listing.pricing_method = pricing
    buyer = f.organisation(org_type=buyer_type, **(buyer_kw or {}))
    other = f.organisation(org_type="PRIVATE")
    bureau = f.organisation(org_type="BUREAU")
    db.session.flush()
    return SimpleNamespace(
        seller=f.user(seller), buyer=f.user(buyer), other=f.user(other), operator=f.user(operator),
        bureau=f.user(bureau), stranger=f.user(f.organisation(org_type="PRIVATE")),
        listing=listing, patent=listing.patent, point=point)


def licence_terms(w, *, price_fen: int = 3_000_000, start: date | None = None, end: date | None = None, **more):
    start = start or today_local()
    end = end or min(w.patent.last_protected_day, start + timedelta(days=365 * 3))
    return {"price_fen": price_fen, "start_date": start, "end_date": end, **more}


def agreed(w, kind: str, *, terms: dict | None = None, buyer=None):
    """A deal requested by the buyer with terms and accepted by the seller."""
    buyer = buyer or w.buyer
    if terms is None:
        terms = licence_terms(w) if kind.startswith("LICENSE") else {
            "price_fen": 8_000_000, **({"share_pct": "10"} if kind == "EQUITY" else {})}
    deal = n.request_deal(buyer, w.listing, kind, terms=terms, message="想谈一谈")
    n.accept_offer(w.seller, deal, n.open_offer(deal).id)
    db.session.flush()
    return deal


def pledge(patent, pledgee: str = "上海银行宝山支行"):
    patent.flags.append(PatentFlag(flag="PLEDGED", active=True, pledgee=pledgee, source="test"))
    db.session.flush()


def flag(patent, name: str):
    patent.flags.append(PatentFlag(flag=name, active=True, source="test"))
    db.session.flush()
