"""Settings classes and static configuration data (industry mapping, index definitions)."""
