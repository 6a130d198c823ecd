"""The blueprint of the supply side's pages (endpoints `listings.*`)."""

from flask import Blueprint

bp = Blueprint("listings", __name__)
