"""The site's stylesheets parse: a line a browser cannot read drops the rule after it without a word."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
MARKER = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)


def test_no_merge_conflict_marker_is_left_in_a_stylesheet():
    # A stray "=======" once sat before `.amount { white-space: nowrap }`: Chromium read the two as one
    # invalid selector and dropped the rule, so amounts lost their tabular figures.
    found = {path.name: MARKER.findall(path.read_text(encoding="utf-8")) for path in STATIC.glob("*.css")}
    assert found and {name: marks for name, marks in found.items() if marks} == {}
