"""What the supply side asks of the floors above it: filled by them when they load."""

from __future__ import annotations

from market.core.hooks import Hook

# Whether an open-licence declaration announced by CNIPA is in effect for this patent today
# (market.deals.open_licence provides it). A listing shows 开放许可 only while one is: the mode
# is derived from the declaration, never typed (PL 50 ¶1: it takes effect on announcement).
open_licence_in_effect = Hook("open licence in effect", default=lambda patent_id: False)
