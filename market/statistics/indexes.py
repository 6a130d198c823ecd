"""The ledger indexes statistics count through (created by migrations 0007 and 0019_perf), declared on the tables.

Declared here, beside the queries that need them, so that the metadata (and Alembic's
autogenerate) knows them; the migration is what creates them.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from listings.models import Listing, Patent
from market.accounts.models import Organisation
from market.deals.models import Deal, DealEvent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration

# Basis lines of a period: by kind and legal date, carrying the deal and when the line was recorded.
BASIS_BY_DAY = Index("ix_deal_events_kind_day", DealEvent.kind, DealEvent.occurred_on, DealEvent.deal_id,
                     DealEvent.recorded_at)
# A deal's other lines (void, payments, an earlier basis line), read without touching the rows.
LINES_BY_DEAL = Index("ix_deal_events_deal_kind", DealEvent.deal_id, DealEvent.kind, DealEvent.occurred_on,
                      DealEvent.amount_fen, DealEvent.recorded_at)
ANNOUNCEMENTS_BY_DAY = Index("ix_declaration_events_status_day", DeclarationEvent.to_status,
                             DeclarationEvent.occurred_on, DeclarationEvent.declaration_id, DeclarationEvent.at)
# Lines recorded after a moment (the changes to a closed period), by kind.
RECORDED_BY_KIND = Index("ix_deal_events_kind_recorded", DealEvent.kind, DealEvent.recorded_at, DealEvent.occurred_on,
                         DealEvent.deal_id, DealEvent.amount_fen)
# A deal is registered, filed, licensed or capital-registered once: one basis line per kind.
_BASIS_LINES = text("kind IN ('REGISTRATION', 'FILING', 'LICENSED', 'CAPITAL_REGISTERED')")
BASIS_ONCE = Index("uq_deal_events_basis_once", DealEvent.deal_id, DealEvent.kind, unique=True,
                   sqlite_where=_BASIS_LINES, postgresql_where=_BASIS_LINES)
# Pricing guidance's comparables (migration 0019): patents by a prefix of their main IPC symbol
# (text_pattern_ops: PostgreSQL answers LIKE 'H01M 50/%' from the index whatever the collation).
IPC_MAIN = Index("ix_patents_ipc_main", Patent.ipc_main, postgresql_ops={"ipc_main": "text_pattern_ops"})
# Pricing guidance's comparables of one kind on a tier's patents (migration 0028): the deals of
# that kind only, not every deal on the patents.
DEALS_BY_PATENT_KIND = Index("ix_deals_patent_kind", Deal.patent_id, Deal.kind)
# The newest change of each table the figures read: the fingerprint of kept figures (kept.py), by
# one index look-up each instead of a scan.
LAST_CHANGES = [Index(f"ix_{model.__tablename__}_updated_at", model.updated_at)
                for model in (Deal, OpenLicenceDeclaration, Listing, Patent, Organisation)]
