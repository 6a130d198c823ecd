"""The dimensions figures are broken down and filtered by, their keys and labels. Pure.

A key is a short text the SQL computes for each counted fact (`queries.dimension_key`): a deal
type, 'SOE_CENTRAL', 'YRD', an IPC section letter, a point id... Unknown dimensions and unknown
keys are refused with a message that lists what exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from listings.industries import MAPPING_VERSION, all_industries, industry_label
from listings.vocabulary import OrgType, PatentType, SoeLevel
from market.core.errors import DomainError
from market.deals.vocabulary import EvidenceLevel
from market.statistics import geography
from market.statistics.measures import Column, StatType

NONE = "NONE"  # no value: no demander (a declaration), no point credited, no industry...

SECTIONS = {
    "A": ("人类生活必需", "Human necessities"),
    "B": ("作业；运输", "Operations; transporting"),
    "C": ("化学；冶金", "Chemistry; metallurgy"),
    "D": ("纺织；造纸", "Textiles; paper"),
    "E": ("固定建筑物", "Fixed constructions"),
    "F": ("机械工程；照明；加热；武器；爆破", "Mechanical engineering; lighting; heating; weapons"),
    "G": ("物理", "Physics"),
    "H": ("电学", "Electricity"),
    "LOCARNO": ("外观设计（洛迦诺分类）", "Designs (Locarno)"),
    NONE: ("无分类号", "No classification"),
}

# Supplier and demander types: OrgType with state-owned enterprises split by level (§6).
PARTY_TYPES: dict[str, tuple[str, str]] = {}
for _t in OrgType:
    if _t == OrgType.SOE:
        for _lvl in SoeLevel:
            PARTY_TYPES[f"SOE_{_lvl.value}"] = (f"国有企业（{_lvl.zh}）", f"SOE ({_lvl.en.lower()})")
        PARTY_TYPES["SOE_UNKNOWN"] = ("国有企业（层级未填）", "SOE (level not given)")
    else:
        PARTY_TYPES[_t.value] = (_t.zh, _t.en)
PARTY_TYPES[NONE] = ("不适用（无需方）", "None (no demander)")

PATENT_TYPES = {**{p.value: (p.zh, p.en) for p in PatentType}, NONE: ("未知", "Unknown")}

# How far each counted fact's record can be checked (issue 12 §4); a declaration's announcement is
# verified when the register import or its point recorded it, else it is the declarant's word.
EVIDENCE_LEVELS = {e.value: (e.zh, e.en) for e in EvidenceLevel}


def _error(code: str, zh: str, en: str, field_name: str) -> DomainError:
    return DomainError(f"statistics.{code}", zh, en, field=field_name, status=400)


@dataclass(frozen=True)
class Dimension:
    name: str
    zh: str
    en: str
    # Static keys in display order; None when the keys live in the database (points).
    keys: Callable[[], Iterable[str]] | None = None
    labeller: Callable[[str, str], str] | None = None
    multi: bool = False  # a fact may carry several keys (industries): rows overlap
    note: tuple[str, str] = field(default=("", ""))
    # Keys a filter accepts when they differ from the breakdown's (deal type: also the groups).
    filter_keys: Callable[[], Iterable[str]] | None = None

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def key_label(self, key: str | None, lang: str = "zh", names: dict[str, str] | None = None) -> str:
        key = NONE if key in (None, "") else str(key)
        if names and key in names:
            return names[key]
        if self.labeller is not None:
            try:
                return self.labeller(key, lang)
            except KeyError:
                return key
        return key

    def ordered_keys(self) -> list[str]:
        return list(self.keys()) if self.keys else []

    def check_key(self, key: str) -> str:
        key = key.strip()
        if self.name == "point":
            if key == NONE or (key.isdigit() and 0 < int(key) < 2**31):
                return key
            raise _error("key_invalid", f"网点须为网点编号或 {NONE}。", f"A point is a point id or {NONE}.", self.name)
        accepted = self.filter_keys or self.keys
        if accepted is not None and key not in set(accepted()):
            allowed = "、".join(accepted())
            raise _error("key_invalid", f"“{self.zh}”没有取值“{key}”；可选：{allowed}。",
                         f"“{self.en}” has no value “{key}”; choose one of: {allowed}.", self.name)
        return key


def _pair(table: dict[str, tuple[str, str]]):
    return lambda key, lang: table[key][1 if lang == "en" else 0]


def _industry(key: str, lang: str) -> str:
    if key == NONE:
        return "未归入战略性新兴产业" if lang != "en" else "No strategic emerging industry"
    return industry_label(key, lang)


def _type(key: str, lang: str) -> str:
    if key in Column.__members__ and key not in StatType.__members__:
        return Column(key).label(lang)
    return StatType(key).label(lang)


def _region(key: str, lang: str) -> str:
    if key == NONE:
        return "不适用" if lang != "en" else "None"
    return geography.GEOGRAPHY.label(key, lang)


def _point(key: str, lang: str) -> str:
    if key == NONE:
        return "未归属网点" if lang != "en" else "No point credited"
    raise KeyError(key)  # names come from the database


DIMENSIONS: dict[str, Dimension] = {d.name: d for d in (
    Dimension("period", "统计期间", "Period"),
    Dimension("type", "交易类型", "Deal type", keys=lambda: [t.value for t in StatType], labeller=_type,
              filter_keys=lambda: [*(t.value for t in StatType), Column.DEALS.value, Column.LICENCES.value]),
    Dimension("patent_type", "专利类型", "Patent type", keys=lambda: list(PATENT_TYPES),
              labeller=_pair(PATENT_TYPES)),
    Dimension("supplier_type", "供方类型", "Supplier type", keys=lambda: list(PARTY_TYPES),
              labeller=_pair(PARTY_TYPES)),
    Dimension("demander_type", "需方类型", "Demander type", keys=lambda: list(PARTY_TYPES),
              labeller=_pair(PARTY_TYPES)),
    Dimension("point", "网点", "Point", labeller=_point),
    Dimension("evidence", "证据等级", "Evidence level", keys=lambda: list(EVIDENCE_LEVELS),
              labeller=_pair(EVIDENCE_LEVELS),
              note=("已核实 = 国家知识产权局登记簿或服务网点已核实；已上传证明文件 = 有主管部门证明、收款方确认的付款或平台记录；当事人自报 = 仅有当事人填写的信息。",
                    "Verified = by the CNIPA register or the point; documented = an authority's certificate, a payment "
                    "the payee confirmed or the platform's records; self-declared = only what the parties typed.")),
    Dimension("industry", "战略性新兴产业", "Strategic emerging industry",
              keys=lambda: [*all_industries(), NONE], labeller=_industry, multi=True,
              note=(f"按专利的 IPC 分类号经参照关系表（{MAPPING_VERSION}）归入产业；一件专利可属多个产业，各产业之和可大于合计。",
                    f"Industries from each patent's IPC through the mapping table ({MAPPING_VERSION}); a patent may "
                    "belong to several industries, so the industry rows can add up to more than the total.")),
    Dimension("ipc_section", "IPC 部", "IPC section", keys=lambda: list(SECTIONS), labeller=_pair(SECTIONS)),
    Dimension("supplier_geo", "供方地域", "Supplier location", keys=lambda: [*geography.REGIONS, NONE],
              labeller=_region),
    Dimension("demander_geo", "需方地域", "Demander location", keys=lambda: [*geography.REGIONS, NONE],
              labeller=_region),
)}

# Dimensions that filter and break down counted facts (period is the trend's own axis).
FILTERABLE = tuple(name for name in DIMENSIONS if name != "period")
BREAKDOWNS = FILTERABLE


def get(name: str) -> Dimension:
    try:
        return DIMENSIONS[name]
    except KeyError:
        allowed = ", ".join(DIMENSIONS)
        raise _error("dimension_unknown", f"未知的统计维度“{name}”；可用维度：{allowed}。",
                     f"Unknown dimension “{name}”; the dimensions are: {allowed}.", name) from None


def parse_filters(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Filter values from (dimension, key) pairs; one key per dimension, every one checked."""
    filters: dict[str, str] = {}
    for name, value in pairs:
        dim = get(name)
        if name == "period":
            raise _error("dimension_not_filter", "统计期间请用 period 或 from/to 指定。",
                         "Give the period with period or from/to.", name)
        value = (value or "").strip()
        if not value:
            continue
        if name in filters and filters[name] != value:
            raise _error("filter_repeated", f"维度“{dim.zh}”只能取一个值。", f"Give one value for “{dim.en}”.", name)
        filters[name] = dim.check_key(value)
    return filters


def parse_breakdowns(text: str | Iterable[str] | None, default: Iterable[str] = BREAKDOWNS) -> list[str]:
    """Which breakdowns to compute, from 'point,industry' or a list; unknown names are refused."""
    if text is None or text == "":
        return list(default)
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    for n in names:
        get(n)
    return list(dict.fromkeys(names))
