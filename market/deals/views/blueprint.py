"""The blueprint of the deal pages (endpoints `deals.*`, under /deals)."""

from flask import Blueprint

bp = Blueprint("deals", __name__, url_prefix="/deals")
