"""District statistics (domain.md §6): figures counted from the deal ledger, exact to the fen.

Pure modules (no Flask): `periods`, `measures`, `dimensions`, `geography`, `pivots`.
`queries` turns a request into set-based SQL over the ledger; `services` adds scopes and
comparisons; `export` streams XLSX/CSV; `views`, `api` and `cli` are the three ways in.
"""
