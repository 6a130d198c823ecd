"""Deal pages: royalties."""

from market.deals.views import bp  # noqa: F401
