"""Import every model module so SQLAlchemy's metadata and Alembic see all tables."""

from listings.models import (EvaluationReport, LegalEvent, Listing, ListingEvent,  # noqa: F401
                             Patent, PatentFlag, PatentOwner)
from listings.importing.models import ImportBatch  # noqa: F401
from market.accounts.models import ApiToken, Organisation, User  # noqa: F401
from market.chain.models import Point  # noqa: F401
from market.outbox import OutboxEntry  # noqa: F401
from market.notifications import Notification  # noqa: F401
from matching.models import Demand, Inquiry, MatchFeedback  # noqa: F401
from listings.open_licence.models import DeclarationEvent, OpenLicenceDeclaration  # noqa: F401
from market.deals.models import (Deal, DealDocument, DealEvent, Offer, PatentClaim,  # noqa: F401
                                 RoyaltyReport)
from market.payments.models import Payment, WebhookEvent  # noqa: F401
from market.deals.dispute_models import Dispute  # noqa: F401
from market.audit import AuditEntry  # noqa: F401
