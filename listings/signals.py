"""What the supply side tells the floors above it (blinker signals; receivers connect when they load)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# The register changed a patent's legal status (the legal-status import): sent once per patent,
# with `patent=`, in the import's transaction. Deals end what the new status ends.
legal_status_changed = _signals.signal("legal-status-changed")

# The search index changed (`index_listings` applied outbox entries) or was rebuilt from the
# database (`reindex`, with `rebuilt=True`): sent after the index was written, in the writer's
# app context. Matching keeps its catalogue model in step with it.
catalogue_indexed = _signals.signal("catalogue-indexed")

# A register record (licence filed or cancelled, open licence declared or withdrawn, transfer) was
# imported for the first time: sent with `patent=` and `event=` (the LegalEvent, source REGISTER, its
# details included) in the import's transaction. Receivers return a list of notes (text, Chinese
# first) that the import reports: a platform deal it verified, a register right that conflicts.
register_event_recorded = _signals.signal("register-event-recorded")
