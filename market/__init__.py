"""专利超市 — the patent supermarket web application.

`create_app` is imported lazily so that the pure domain modules (patent numbers, fees,
scoring) can be imported without pulling in Flask.
"""


def create_app(config=None):
    """Build the Flask application; `flask --app market` finds this."""
    from market.factory import create_app as build  # lazily: pure domain modules import without Flask

    return build(config)
