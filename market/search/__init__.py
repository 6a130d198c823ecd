"""Search infrastructure: the SearchBackend interface and its embedded implementation."""
