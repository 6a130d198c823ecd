"""A point of the chain (网点) and its shelf: the public page of each point and its API."""
