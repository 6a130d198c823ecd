"""The blueprint of the account pages (endpoints `accounts.*`): views.py and reset.py add to it."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
