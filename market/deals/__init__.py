"""Deals and their ledger: open licences (declaration and acquisition, open_licence/), negotiated licences,
transfers and equity investments (negotiation/), royalties/, disputes/, rewards/, the papers
(documents/, with the REC 12 filing grounds), and the exclusivity engine (claims).

Above listings and payments; matching and statistics build on it.
"""
