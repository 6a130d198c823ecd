"""Deal pages: documents."""

from market.deals.views import bp  # noqa: F401
