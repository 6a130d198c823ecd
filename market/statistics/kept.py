"""Figures kept between requests: a question's aggregate is computed once per state of the data behind it.

The public page (政务公开) and the bureau's dashboard ask the same few questions of a ledger that
changes only when a deal, a declaration or a party does. Each answer (an `Aggregate`, or the
revisions of a closed period) is kept under its question and the *fingerprint* of everything the
statistics read (`fingerprint`): the newest ledger line of deals and of declarations, and the
newest change of a deal (its evidence level, status, price), a declaration, a listing, a patent
(industry, type), an organisation (type, region) and a user (whose line verifies). The
fingerprint is one statement of index look-ups, read before the answer: a new line, a void, a late
line or any such change gives a new fingerprint, so a kept answer is never served after it; the
answer stored under a fingerprint is at least as new as that fingerprint (READ COMMITTED may let the
aggregate see a line committed in between, never less).

Nothing is kept while the session has written in its transaction (its own lines are not yet
anyone else's truth, and SQLite may reuse a rolled-back line's id), and nothing is kept across
databases: each engine has its own store. As-of questions (a published figure) and today's
periods are part of the question, so the as-of rules and the evidence levels of
market/statistics are the very same SQL, only not re-run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from weakref import WeakKeyDictionary

from sqlalchemy import BigInteger, event, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from listings.models import Listing, ListingPatent, Patent
from market.accounts.models import Organisation, User
from market.core.db import Base
from market.deals.models import Deal, DealEvent, DealPatent
from market.deals.open_licence.models import DeclarationEvent, OpenLicenceDeclaration, TakenService
from market.statistics import queries, service_fees
from market.statistics.queries import Selection

KEPT_PER_DATABASE = 128  # questions: the public page asks 4, a dashboard view about 4
WROTE = "statistics.kept.wrote"



class FiguresVersion(Base):
    """One row counting the committed transactions that wrote anything the figures may read.

    The newest line id or change time alone can miss a change: two transactions commit in the other
    order than they took their ids and timestamps, so the later commit leaves every max() as it was
    and a figure computed between the two commits would be kept for good. The count is raised in the
    transaction that writes, at its commit, so it moves with every commit in commit order.
    """

    __tablename__ = "figures_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


_BUMP = text("UPDATE figures_version SET version = version + 1 WHERE id = 1")
CHANGED = "statistics.kept.changed"

# Every column the statistics' SQL reads changes one of these (indexes of migration 0019), and any
# write raises the version.
SOURCES = (func.max(DealEvent.id), func.max(DeclarationEvent.id), func.max(Deal.updated_at),
           func.max(OpenLicenceDeclaration.updated_at), func.max(Listing.updated_at), func.max(Patent.updated_at),
           func.max(Organisation.updated_at), func.max(User.id), func.max(FiguresVersion.version))
FINGERPRINT = select(*(select(s).scalar_subquery() for s in SOURCES))


class Store:
    """The kept answers of one database, least recently used dropped first."""

    def __init__(self, size: int = KEPT_PER_DATABASE):
        self.size = size
        self.answers: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self.lock:
            if key in self.answers:
                self.answers.move_to_end(key)
                self.hits += 1
                return True, self.answers[key]
            self.misses += 1
            return False, None

    def put(self, key, value) -> None:
        with self.lock:
            self.answers[key] = value
            self.answers.move_to_end(key)
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)


_stores: WeakKeyDictionary = WeakKeyDictionary()
_stores_lock = threading.Lock()


def store_for(session: Session) -> Store:
    engine = session.get_bind()
    with _stores_lock:
        store = _stores.get(engine)
        if store is None:
            store = _stores[engine] = Store()
        return store


# What the figures read. A user counts only when new (who verified a line); a sign-in that
# records its time must not make the public page compute its figures again.
READ_BY_FIGURES = (DealEvent, DeclarationEvent, Deal, DealPatent, OpenLicenceDeclaration, Listing,
                   ListingPatent, Patent, Organisation, TakenService)


def _read_by_figures(obj, new: bool) -> bool:
    return isinstance(obj, READ_BY_FIGURES) or (new and isinstance(obj, User))


@event.listens_for(Session, "after_flush")
def _wrote(session, flush_context) -> None:
    session.info[WROTE] = True
    # After a flush the session's new/dirty/deleted still hold what this flush wrote.
    if (any(_read_by_figures(obj, True) for obj in session.new)
            or any(_read_by_figures(obj, False) for obj in (*session.dirty, *session.deleted))):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _wrote_in_bulk(orm_execute_state) -> None:
    # An UPDATE/DELETE/INSERT statement of the ORM changes rows without a flush.
    if orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert:
        mapper = orm_execute_state.bind_mapper
        if mapper is None or issubclass(mapper.class_, (*READ_BY_FIGURES, User)):
            orm_execute_state.session.info[CHANGED] = True


@event.listens_for(Session, "before_commit")
def _count_the_write(session) -> None:
    # Only at the transaction's own commit, never a savepoint's: the count's row stays locked from
    # the raise to the commit, and a long import must not hold every other writer waiting for it.
    if session.in_nested_transaction():
        return
    session.flush()  # what is still pending is written now, so that it is counted too
    if session.info.pop(CHANGED, False):
        session.execute(_BUMP)


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
        session.info.pop(CHANGED, None)


def fingerprint(session: Session) -> tuple:
    return tuple(session.execute(FINGERPRINT).one())


def _question(sel: Selection) -> tuple:
    return (sel.period, str(sel.basis), tuple(sorted(sel.filters.items())), sel.scope, sel.home_district,
            sel.as_of, sel.amount_review_fen)


def _kept(session: Session, key: tuple, compute, copy):
    if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        return compute()
    store = store_for(session)
    key = (key, fingerprint(session))
    found, value = store.get(key)
    if not found:
        value = compute()
        store.put(key, value)
    # A copy of the containers: callers may arrange what they were given, the kept answer stays as
    # computed (the figures themselves are frozen).
    return copy(value)


def aggregate(session: Session, sel: Selection, breakdowns=(), granularity: str | None = None, **options):
    """`queries.aggregate`, kept until the data behind it changes."""
    breakdowns = tuple(breakdowns)
    key = ("aggregate", _question(sel), breakdowns, granularity, tuple(sorted(options.items())))
    return _kept(session, key, lambda: queries.aggregate(session, sel, breakdowns, granularity, **options),
                 _copy_aggregate)


def revisions(session: Session, sel: Selection, closed_at) -> list[dict]:
    """`queries.revisions`, kept until the data behind it changes."""
    key = ("revisions", _question(sel), closed_at)
    return _kept(session, key, lambda: queries.revisions(session, sel, closed_at), lambda rows: [dict(r) for r in rows])


def service_figures(session: Session, sel: Selection) -> service_fees.ServiceFigures:
    """`service_fees.service_figures` (the technical services beside open licences), kept until the
    data behind it changes: the dashboard and the summary API show it on every request."""
    return _kept(session, ("services", _question(sel)), lambda: service_fees.service_figures(session, sel),
                 lambda figures: figures)  # frozen


def shelf_counts(session: Session, scope=queries.DISTRICT) -> tuple[int, dict[str, int]]:
    """`queries.shelf_counts` (published listings), kept until a listing changes."""
    return _kept(session, ("shelf", scope), lambda: queries.shelf_counts(session, scope),
                 lambda counts: (counts[0], dict(counts[1])))


def _copy_aggregate(agg: queries.Aggregate) -> queries.Aggregate:
    return queries.Aggregate(dict(agg.totals), {dim: {key: dict(cells) for key, cells in rows.items()}
                                                for dim, rows in agg.rows.items()})
