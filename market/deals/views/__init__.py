"""Deal pages: one blueprint, one module per part of the flow."""

from flask import Blueprint

bp = Blueprint("deals", __name__, url_prefix="/deals")

from market.deals.views import (dashboard, disputes, documents, negotiated, open_licence, rewards,  # noqa: E402,F401
                                royalties)
