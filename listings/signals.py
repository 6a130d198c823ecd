"""What the supply side tells the floors above it (blinker signals; receivers connect when they load)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# The register changed a patent's legal status (the legal-status import): sent once per patent,
# with `patent=`, in the import's transaction. Deals end what the new status ends.
legal_status_changed = _signals.signal("legal-status-changed")
