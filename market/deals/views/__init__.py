"""Deal pages: one blueprint, one module per part of the flow."""

from market.deals.views import (  # each adds its pages to bp
                                dashboard,
                                disputes,
                                documents,
                                negotiated,
                                offers,
                                open_licence,
                                readiness,
                                rewards,
                                royalties,
                                steps,
                                verification,
)
from market.deals.views.blueprint import bp

__all__ = ["bp", "dashboard", "disputes", "documents", "negotiated", "offers", "open_licence", "readiness", "rewards",
           "royalties", "steps",
           "verification"]
