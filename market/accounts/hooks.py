"""What the account pages show that higher floors know: filled by them when they load."""

from __future__ import annotations

from market.core.hooks import Hook

# The organisation's public page lists its published listings (listings.services provides them).
organisation_listings = Hook("organisation listings", default=lambda org_id, limit=50: [])
# The login page offers the demo's logins when DEMO_MODE is on (market.demo.seed provides them):
# (e-mail addresses in the order shown, their password).
demo_logins = Hook("demo logins", default=lambda: ([], ""))
