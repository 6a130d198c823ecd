"""Deals: open-licence acquisitions, negotiated licences, transfers, equity investments, their ledger."""
