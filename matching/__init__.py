"""The demand side: technology demands and the matching engine (built on the search backend)."""
