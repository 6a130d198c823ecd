"""Contenders released at the same moment (the PostgreSQL race tests): each in a thread of its own,
with its own app context, session and connection, waiting at one barrier before it acts.

`contender(key, start)` runs inside the app context: it reads what a request would have read,
commits (so every contender starts from the same committed state), calls `start()` to wait for
the others, acts and returns its outcome; the helper commits the action. A DomainError becomes a
refusal, anything else an "error" outcome (a deadlock lands there), which the tests assert absent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from market.core.errors import DomainError
from market.core.extensions import db


def refusal(key: Hashable, err: DomainError) -> tuple:
    return ("refused", key, err.code, err.zh, err.status)


def at_once(app, keys: list, contender: Callable[[Hashable, Callable[[], None]], tuple], *,
            refused: Callable[[Hashable, DomainError], tuple] = refusal) -> list[tuple]:
    """Every contender's outcome, in the order they finished."""
    barrier = threading.Barrier(len(keys))
    results: list[tuple] = []
    lock = threading.Lock()

    def run(key: Hashable) -> None:
        with app.app_context():
            try:
                outcome = contender(key, lambda: barrier.wait(timeout=60))
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                outcome = refused(key, err)
            except Exception as err:  # noqa: BLE001  (reported by the tests' assertions)
                db.session.rollback()
                outcome = ("error", key, repr(err))
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results
