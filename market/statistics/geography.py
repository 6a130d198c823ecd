"""Where a party sits: in the district, elsewhere in Shanghai, the Yangtze River Delta... Pure.

The table is versioned in `config/statistics/geography.v1.json`; the home district is a
setting (HOME_DISTRICT). `region()` classifies one organisation in Python, and `Geography`
hands the same lists to the SQL CASE in `queries`, so both always agree.

    >>> GEOGRAPHY.region("上海市", "宝山区", "CN", home="宝山区")
    'IN_DISTRICT'
    >>> GEOGRAPHY.region("浙江省", "", "CN", home="宝山区")
    'YRD'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VERSION = "geography.v1"
PATH = Path(__file__).resolve().parents[2] / "config" / "statistics" / f"{VERSION}.json"

IN_DISTRICT, OTHER_SHANGHAI, YRD, ELSEWHERE, ABROAD, UNKNOWN = (
    "IN_DISTRICT", "OTHER_SHANGHAI", "YRD", "ELSEWHERE", "ABROAD", "UNKNOWN")
REGIONS = (IN_DISTRICT, OTHER_SHANGHAI, YRD, ELSEWHERE, ABROAD, UNKNOWN)


@dataclass(frozen=True)
class Geography:
    version: str
    labels: dict[str, dict[str, str]]
    home_country: str
    shanghai_names: tuple[str, ...]
    shanghai_districts: tuple[str, ...]
    delta_names: tuple[str, ...]
    outside_mainland: tuple[str, ...]

    def home_names(self, home: str) -> tuple[str, ...]:
        """The home district as people write it: '宝山区' and '宝山'."""
        home = home.strip()
        short = home.removesuffix("区").removesuffix("新") if len(home) > 2 else home
        return tuple(dict.fromkeys((home, short)))

    def region(self, province: str | None, district: str | None, country: str | None, *, home: str) -> str:
        province, district = (province or "").strip(), (district or "").strip()
        country = (country or self.home_country).strip().upper()
        if country != self.home_country or province in self.outside_mainland:
            return ABROAD
        if province in self.shanghai_names:
            if not district:
                return UNKNOWN
            return IN_DISTRICT if district in self.home_names(home) else OTHER_SHANGHAI
        if province in self.delta_names:
            return YRD
        return ELSEWHERE if province else UNKNOWN

    def label(self, key: str, lang: str = "zh") -> str:
        names = self.labels.get(key)
        if names is None:
            raise KeyError(key)
        return names["en" if lang == "en" else "zh"]


@cache
def load(path: Path = PATH) -> Geography:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != VERSION:
        raise ValueError(f"{path}: version {data.get('version')!r} != {VERSION!r}")
    if set(data["regions"]) != set(REGIONS):
        raise ValueError(f"{path}: regions must be exactly {REGIONS}")
    return Geography(
        version=data["version"], labels=data["regions"], home_country=data["home_country"],
        shanghai_names=tuple(data["shanghai"]["province"]),
        shanghai_districts=tuple(data["shanghai"]["districts"]),
        delta_names=tuple(name for names in data["yangtze_river_delta"] for name in names),
        outside_mainland=tuple(data["outside_mainland"]))


GEOGRAPHY = load()
