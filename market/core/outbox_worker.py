"""The outbox as a long-lived worker (`flask outbox work`), for deployments where web requests
leave the outbox alone (OUTBOX_DRAIN_AFTER_REQUESTS=0).

At least once: an entry is marked processed in the same commit that follows its handler, so a
worker killed mid-batch applies that batch again on its next start, and the handlers are
idempotent. Failing topics back off as after requests (1, 2, 4, … up to 300 s). A stop request
(SIGTERM, SIGINT) is honoured between batches: the batch under way is finished and committed.
"""

from __future__ import annotations

import logging
import threading

from market.core.extensions import db
from market.core.outbox import OutboxError, process_outbox

log = logging.getLogger(__name__)


def work(stop: threading.Event, *, poll: float = 1.0, on_batch=None) -> int:
    """Apply the outbox one batch at a time until `stop` is set; returns how many entries were applied."""
    applied = 0
    while not stop.is_set():
        try:
            # limit=1: one batch of one topic per call, so that a stop waits for one batch at most.
            done = process_outbox(limit=1, backoff=True)
        except OutboxError as err:  # the failed entries keep their place and back off
            log.warning("%s", err)
            done = 0
        except Exception:  # the database itself went away: wait and try again
            log.exception("outbox worker: processing failed")
            db.session.rollback()
            done = 0
        finally:
            db.session.remove()  # a fresh session per batch: nothing stale is read next time
        applied += done
        if done and on_batch is not None:
            on_batch(done)
        if not done:
            stop.wait(poll)
    return applied
