"""What the journeys need beyond the demo seed, made through the services as the demo is."""

from __future__ import annotations


def prepare(app) -> None:
    pass
