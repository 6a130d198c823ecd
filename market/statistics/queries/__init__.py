"""The figures as set-based SQL over the deal ledger; runs on SQLite and PostgreSQL. No Flask.

One *fact* is one counted deal (or announced open-licence declaration): its first basis ledger
line falls in the period and the deal has no VOID line. `facts()` selects them with the
dimension keys a question needs, computed in the database (facts.py); `aggregate()` runs one
GROUP BY per breakdown over the facts in a single statement, with one column group per deal type,
so 次, 件 (COUNT DISTINCT patent), contract amount and amount received are exact sums
(aggregation.py). Rows are streamed (`stream()`, lists.py), never collected per deal in Python.

Every value is a bound parameter and every statement is built once per *shape* (which types,
filters, scope, breakdowns) and cached. The ledger indexes of migration 0007 (`indexes.py`) let
each lookup read an index only.
"""

from market.statistics.queries.aggregation import (  # noqa: F401
    DEAL_TYPE_VALUES,
    GROUPED,
    GROUPED_LICENCES,
    LICENCE_TYPE_VALUES,
    Aggregate,
    aggregate,
    aggregate_statement,
    cross_statement,
)
from market.statistics.queries.lists import (  # noqa: F401
    declaration_lines,
    detail_statement,
    ledger_lines,
    page_of_facts,
    point_names,
    reconcile,
    revisions,
    revisions_statement,
    shelf_counts,
    stream,
)
from market.statistics.queries.selection import (  # noqa: F401
    ALL_KEYS,
    DEAL_KINDS,
    DISTRICT,
    KEY_SOURCE,
    LICENCE_KINDS,
    REVISIONS_LISTED,
    ROWS_PER_FETCH,
    SQLITE_MMAP_BYTES,
    Scope,
    Selection,
    Shape,
    bucket,
    closing_instant,
    facts,
    params_of,
    raw_facts,
    shape_of,
    tune,
)
