"""Deal pages: negotiated."""

from market.deals.views import bp  # noqa: F401
