"""The ground floor: what every feature stands on, importing no feature.

db (the declarative base, SQLite tuning, write intent), extensions (Flask extensions, unbound),
errors (DomainError and its kinds), time (Asia/Shanghai legal dates), i18n (zh first, en beside),
names (folding organisation names), money (fen <-> 元, every display form), vocabulary (the
Labelled base of every closed vocabulary), schemas (shared marshmallow pieces), tokens, hooks
(slots higher floors fill), outbox (side effects after commit), mail, notifications, audit.
Floors above, in order: web, accounts, listings, payments, deals, matching, statistics, the shell.
"""
