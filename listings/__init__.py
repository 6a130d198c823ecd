"""The supply side: patents, listings, identifiers and classification, portfolio import."""
