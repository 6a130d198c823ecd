"""HTML views of the supply side: the catalogue, managing listings, point review."""

from listings.views import catalogue, manage, portfolio, review  # each adds its pages to bp
from listings.views.blueprint import bp

__all__ = ["bp", "catalogue", "manage", "portfolio", "review"]
