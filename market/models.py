"""Import every model module so SQLAlchemy's metadata and Alembic see all tables."""

from listings.importing.models import ImportBatch  # noqa: F401
from listings.models import EvaluationReport, LegalEvent, Listing, ListingEvent, Patent, PatentFlag, PatentOwner  # noqa: F401
from market.accounts.models import ApiToken, Organisation, User  # noqa: F401
from market.accounts.points.models import Point  # noqa: F401
from market.core.audit import AuditEntry  # noqa: F401
from market.core.identity import DatabaseIdentity  # noqa: F401
from market.core.notifications import Notification  # noqa: F401
from market.core.outbox import OutboxEntry  # noqa: F401
from market.deals.disputes.models import Dispute  # noqa: F401
from market.deals.exchange.models import Bid, Lot, LotEvent, LotRegistration  # noqa: F401
from market.deals.models import Deal, DealDocument, DealEvent, Offer, PatentClaim, RoyaltyReport  # noqa: F401
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration  # noqa: F401
from market.payments.models import Payment, WebhookEvent  # noqa: F401
from market.statistics.kept import FiguresVersion  # noqa: F401
from matching.models import Demand, Inquiry, MatchFeedback  # noqa: F401
