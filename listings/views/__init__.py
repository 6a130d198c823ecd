"""HTML views of the supply side: the catalogue, managing listings, point review."""

from flask import Blueprint

bp = Blueprint("listings", __name__)

from listings.views import catalogue, manage, review  # noqa: E402,F401
