"""IPC → strategic emerging industries (战略性新兴产业, 9 classes), from a versioned mapping file.

The mapping lives in `config/industries/<MAPPING_VERSION>.json` (domain.md §6): a list of IPC prefix
rules, the most specific matching rule wins, and a rule with no industries is an exclusion.
Statistics store `MAPPING_VERSION` beside every industry figure so that a figure can be reproduced.

    >>> industries_for_ipc(["H01M 50/449", "C12N 15/82"])
    ['NEV', 'NEN', 'BIO']

Pure module: no Flask, no database.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Iterable, NamedTuple

MAPPING_VERSION = "sei-ipc-2021.v1"
MAPPING_PATH = (Path(__file__).resolve().parent.parent
                / "config" / "industries" / f"{MAPPING_VERSION}.json")

# Section, class, subclass, main group, subgroup; spaces are removed before matching.
_IPC = re.compile(r"^([A-H])(?:(\d{2})(?:([A-Z])(?:(\d{1,4})(?:/(\d{1,6}))?)?)?)?$")


class IpcParts(NamedTuple):
    section: str
    klass: str | None
    subclass: str | None
    main_group: str | None
    subgroup: str | None


def parse_ipc(symbol: str) -> IpcParts | None:
    """Split an IPC symbol at any level; None if it is not one.

    Accepts the forms seen in CN data: 'H04L9/06(2006.01)I', 'h01m 10/0525', 'A01K', 'A01'.
    """
    text = symbol.split("(", 1)[0]
    text = re.sub(r"\s+", "", text).upper()
    match = _IPC.match(text)
    if not match:
        return None
    section, klass, sub, main, group = match.groups()
    return IpcParts(
        section,
        section + klass if klass else None,
        section + klass + sub if sub else None,
        str(int(main)) if main else None,
        group,
    )


def normalise_ipc(symbol: str) -> str | None:
    """The canonical spelling used in the rules: 'H01M 10/0525', 'A01K 67', 'A01K', 'A01', 'A'."""
    parts = parse_ipc(symbol)
    return _spell(parts) if parts else None


def _spell(parts: IpcParts) -> str:
    if parts.main_group is None:
        return parts.subclass or parts.klass or parts.section
    text = f"{parts.subclass} {parts.main_group}"
    return f"{text}/{parts.subgroup}" if parts.subgroup else text


def _candidates(parts: IpcParts) -> Iterable[str]:
    """Rule keys that could cover the symbol, most specific first."""
    if parts.main_group is not None:
        head = f"{parts.subclass} {parts.main_group}"
        digits = parts.subgroup or ""
        for end in range(len(digits), 0, -1):
            yield f"{head}/{digits[:end]}"
        yield head
    for level in (parts.subclass, parts.klass, parts.section):
        if level:
            yield level


class _Mapping(NamedTuple):
    version: str
    industries: dict[str, dict[str, str]]
    rules: dict[str, dict]


@cache
def _mapping() -> _Mapping:
    path = MAPPING_PATH
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != MAPPING_VERSION:
        raise ValueError(f"{path}: version {data.get('version')!r} != {MAPPING_VERSION!r}")
    industries = data["industries"]
    rules: dict[str, dict] = {}
    for rule in data["rules"]:
        parts = parse_ipc(rule["prefix"])
        if parts is None or _spell(parts) != rule["prefix"]:
            raise ValueError(f"{path}: prefix {rule['prefix']!r} is not a normalised IPC symbol")
        unknown = set(rule["industries"]) - industries.keys()
        if unknown:
            raise ValueError(f"{path}: rule {rule['prefix']!r} names unknown {sorted(unknown)}")
        if rule["prefix"] in rules:
            raise ValueError(f"{path}: prefix {rule['prefix']!r} appears twice")
        rules[rule["prefix"]] = rule
    return _Mapping(data["version"], industries, rules)


def matching_rule(symbol: str) -> dict | None:
    """The rule that decides this symbol (for audit trails), or None if none applies."""
    parts = parse_ipc(symbol)
    if parts is None:
        return None
    rules = _mapping().rules
    for key in _candidates(parts):
        if key in rules:
            return rules[key]
    return None


def industries_for_ipc(symbols: Iterable[str]) -> list[str]:
    """Industry codes of a patent: the union over its IPC symbols, in order of first occurrence.

    Symbols that are not IPC (e.g. a Locarno class) and symbols no rule covers add nothing.
    """
    if isinstance(symbols, str):
        symbols = [symbols]
    codes: list[str] = []
    for symbol in symbols:
        rule = matching_rule(symbol)
        for code in rule["industries"] if rule else ():
            if code not in codes:
                codes.append(code)
    return codes


def industry_label(code: str, lang: str = "zh") -> str:
    """Chinese (default) or English name of an industry code; KeyError for an unknown code."""
    try:
        names = _mapping().industries[code]
    except KeyError:
        raise KeyError(f"unknown strategic emerging industry code {code!r}") from None
    return names["en"] if lang == "en" else names["zh"]


def all_industries() -> list[str]:
    """The nine industry codes in the official order (NGIT … SERV); labels via `industry_label`."""
    return list(_mapping().industries)
