"""What deals ask of the demand side, above them: filled by matching when it loads."""

from __future__ import annotations

from market.core.hooks import Hook

# A demand of this organisation (a deal may be requested in answer to it), or None.
own_demand = Hook("own demand", default=lambda demand_id, organisation_id: None)
