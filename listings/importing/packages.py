"""Import: rows sharing a `package` cell (专利包) become one listing with one price and one set of modes.

Pure helpers for listings.importing.service: which rows form which package, and the one offer
the rows of a package agree on.
"""

from __future__ import annotations

from typing import Any

from listings.importing.columns import clean_text

# The offer columns whose values the rows of one package must agree on (empty cells agree with any).
AGREED = (("asking_price_fen", "报价", "price"), ("modes", "交易方式", "modes"), ("point_id", "网点", "point"),
          ("pricing_method", "定价方式", "pricing method"))


def package_headers(mapping: dict[str, str | None]) -> list[str]:
    return [header for header, fld in mapping.items() if fld == "package"]


def package_key(row: dict[str, str], headers: list[str]) -> str:
    """The package a row belongs to ('' for a row listed on its own)."""
    return next((key for key in (clean_text(row.get(h)) for h in headers) if key), "")


def group_rows(rows: list, headers: list[str]) -> dict[str, list[int]]:
    """Indexes of the rows of each package, in file order; packages in the order they first appear."""
    groups: dict[str, list[int]] = {}
    if not headers:
        return groups
    for index, row in enumerate(rows):
        key = package_key(row, headers)
        if key:
            groups.setdefault(key, []).append(index)
    return groups


def agreed_offer(offers: list[tuple[dict[str, Any], dict[str, str]]]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The package's one offer from its rows' (offer, cells): (offer, problems as (zh, en)).

    A row that leaves a price, modes, point or pricing method empty takes the package's; two rows
    giving different ones is an error (one package has one price and one set of modes).
    """
    problems: list[tuple[str, str]] = []
    merged = dict(offers[0][0])
    given = {"asking_price_fen": ("asking_price", "price_negotiable"), "modes": ("modes",), "point_id": ("point",),
             "pricing_method": ("pricing_method",)}
    for key, zh, en in AGREED:
        values = []
        for offer, cells in offers:
            if any(cells.get(c) for c in given[key]):
                value = offer[key] if key != "modes" else sorted(offer[key])
                if key == "asking_price_fen":
                    value = (offer["asking_price_fen"], offer["price_negotiable"])
                if value not in values:
                    values.append(value)
        if len(values) > 1:
            problems.append((f"同一专利包各行的{zh}不一致：一个专利包只有一个{zh}",
                             f"The rows of one package give different {en}s: a package has one {en}"))
        elif values:
            source = next(o for o, c in offers if any(c.get(x) for x in given[key]))
            merged[key] = source[key]
            if key == "asking_price_fen":
                merged["price_negotiable"] = source["price_negotiable"]
    return merged, problems
