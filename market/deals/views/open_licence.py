"""Deal pages: open_licence."""

from market.deals.views import bp  # noqa: F401
