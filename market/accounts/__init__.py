"""Who is on the platform: organisations, users and roles, API tokens, password reset, the chain's points.

Above market/core and market/web; the listings floor and every one above build on it. What the
account pages show from higher floors (an organisation's listings, the demo's logins) comes
through `hooks`, filled by those floors when they load.
"""
