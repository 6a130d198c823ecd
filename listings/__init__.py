"""The supply side: patents (numbers, classification, term, legal status), listings and their shelf rules,
portfolio import, the chain points' shelves, and the search document of each listing.

Above market/accounts; payments, deals, matching and statistics build on it. It tells the floors
above what the register changed through `signals`, never by importing them.
"""
