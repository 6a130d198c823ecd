"""Party names as the CNIPA register compares them (R-DI-3). Pure."""

from __future__ import annotations

import unicodedata


def fold_name(name: str) -> str:
    """Full-width/half-width folded, spaces dropped, case folded: 上海（集团） equals 上海(集团)."""
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()
