"""The web floor: HTTP conventions shared by every feature's pages and API.

api (the /api/v1 blueprint, the `route` decorator, token auth, body parsing), openapi (the
document built from what `route` recorded), errors (error pages, the JSON error shape, security
headers). Imports only market/core.
"""
