"""Map the column names of real patent exports onto canonical fields, and clean their cells."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from market.core.errors import DomainError

# Canonical field -> header synonyms, best source first: when several columns of a file map to
# one field, apply_mapping takes the best-ranked column that has a value. Spelling of brackets,
# spaces, case and full/half width does not matter (see _normalise). Extend freely; a synonym
# may belong to one field only (checked at import).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "application_number": ("申请号", "专利号", "申请号/专利号", "专利申请号", "申请专利号",
                           "application_number", "application_no", "app_no", "patent_application_number"),
    "title": ("名称", "专利名称", "发明名称", "发明创造名称", "实用新型名称", "外观设计名称", "题名",
              "标题", "title", "patent_title", "invention_title"),
    "abstract": ("摘要", "摘要文本", "专利摘要", "abstract", "summary"),
    "patent_type": ("专利类型", "专利种类", "类型", "patent_type", "derived_patent_type"),
    "filing_date": ("申请日", "申请日期", "filing_date", "application_date", "app_date"),
    "publication_number": ("公开（公告）号", "公开号", "公告号", "公布号", "申请公布号", "授权公告号",
                           "publication_number", "publication_no", "pub_no"),
    "publication_date": ("公开（公告）日", "公开日", "公告日", "公布日", "公开日期", "公告日期",
                         "申请公布日", "publication_date", "pub_date"),
    "grant_date": ("授权公告日", "授权日", "授权日期", "授权公告日期", "grant_date", "issue_date"),
    "ipc": ("分类号", "IPC分类号", "IPC", "IPC分类", "国际分类号", "全部分类号", "ipc", "ipc_all",
            "ipc_codes", "ipc_subclass", "classification"),
    "ipc_main": ("主分类号", "主分类", "主IPC", "IPC主分类号", "主IPC分类号", "ipc_main", "main_ipc"),
    "locarno": ("洛迦诺分类号", "洛迦诺分类", "洛加诺分类号", "外观设计分类号", "外观分类号", "LOC分类号",
                "locarno"),
    # Current owners outrank the applicants of record: a patent may have been transferred since.
    "applicants": ("当前专利权人", "专利权人", "权利人", "专利所有人", "申请（专利权）人", "申请人",
                   "申请人名称", "专利申请人", "patentees", "patentee", "owners", "owner", "assignees",
                   "assignee", "applicants", "applicant"),
    "inventors": ("发明（设计）人", "发明人", "设计人", "发明人姓名", "inventors", "inventor", "designers"),
    "agent": ("代理机构", "专利代理机构", "代理机构名称", "agency", "agent"),
    "address": ("地址", "申请人地址", "专利权人地址", "通讯地址", "联系地址", "address"),
    "province_code": ("国省代码", "省市代码", "province_code"),
    "first_claim": ("主权项", "首项权利要求", "第一权利要求", "独立权利要求", "first_claim", "claim_1",
                    "main_claim"),
    # 专利权状态 is a state (有权/无权), not an event; only a fallback for exports without 法律状态.
    "legal_status": ("法律状态", "当前法律状态", "最新法律状态", "法律状态信息", "专利权状态",
                     "legal_status"),
    "legal_status_date": ("法律状态日", "法律状态日期", "法律状态公告日", "法律状态生效日",
                          "legal_status_date"),
    "modes": ("转化方式", "交易方式", "转让方式", "许可方式", "合作方式", "意向交易方式", "modes",
              "offered_modes", "deal_modes"),
    "asking_price": ("报价", "价格", "挂牌价", "挂牌价格", "转让价格", "许可价格", "意向价格", "期望价格",
                     "参考价格", "建议价格", "交易价格", "asking_price", "price"),
    "price_negotiable": ("是否面议", "面议", "价格面议", "可面议", "是否可议价", "price_negotiable",
                         "negotiable"),
    "pricing_method": ("定价方式", "作价方式", "价格确定方式", "pricing_method"),
    "point": ("网点", "所属网点", "挂牌网点", "服务网点", "超市网点", "point"),
    "problem_solved": ("解决的问题", "解决问题", "解决的技术问题", "技术问题", "problem_solved"),
    "advantages": ("技术优势", "优势", "技术优点", "优点", "有益效果", "技术效果", "创新点", "advantages"),
    "applications": ("应用领域", "应用场景", "应用前景", "适用领域", "适用范围", "applications"),
    "maturity": ("技术成熟度", "成熟度", "成熟阶段", "技术阶段", "maturity"),
    # Rows sharing a value here are one package (专利包): one listing, one price (issue 14).
    "package": ("专利包", "专利包名称", "专利包编号", "所属专利包", "打包", "package", "package_id", "bundle"),
    "industry": ("所属行业", "行业", "行业分类", "产业领域", "所属产业", "所属领域", "技术领域", "industry",
                 "industries", "industry_tags"),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)
# Fields whose cell holds a list; numbered columns (申请人1, 申请人2) are joined, not ranked.
MULTI_VALUE = frozenset({"applicants", "inventors", "ipc", "modes"})
# Columns of real exports that are known and deliberately not imported.
IGNORED: tuple[str, ...] = (
    # CNIPA/TRS: empty, page counts, or facts the marketplace does not model.
    "主分类号描述", "合并申请人", "代理人", "省", "市", "区", "申请类型", "国际申请", "国际公布",
    "进入国家日期", "优先权", "同族专利项", "参考文献", "分案原申请号", "审查员", "关键词", "族号", "页数",
    "申请国代码", "申请来源", "权利要求书页数", "说明书页数", "说明书附图页数",
    # Provenance keys of the compiled data sets, and spreadsheet row counters.
    "source_id", "source_path", "source_url", "derived_application_year", "序号",
    # The two columns our own rejected-rows report puts in front, so it can be re-uploaded.
    "行号", "错误原因", "Row", "Reason",
)
# What exports print when an inventor asked not to be named: not a person, so never a name.
UNDISCLOSED_PEOPLE = frozenset({"不公告发明人", "不公告设计人", "不公布发明人", "不公布姓名",
                                "请求不公布姓名"})

_PUNCT = re.compile(r"[\s_\-.·/\\:：*()\[\]{}<>【】〔〕「」『』《》]+")
_UNIT = re.compile(r"(万元|千元|元|rmb|cny)$")


def _normalise(header: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", header).casefold())


def _build_index() -> dict[str, tuple[str | None, int]]:
    index: dict[str, tuple[str | None, int]] = {}
    entries = [(f, rank, s) for f, synonyms in SYNONYMS.items() for rank, s in enumerate(synonyms)]
    entries += [(None, 0, s) for s in IGNORED]
    for field, rank, synonym in entries:
        key = _normalise(synonym)
        if key in index and index[key][0] != field:
            raise ValueError(f"header synonym {synonym!r} is claimed by two fields")
        index.setdefault(key, (field, rank))
    return index


_INDEX = _build_index()


def _lookup(header: str) -> tuple[str | None, int] | None:
    """Find (field, rank) for a header, trying it bare of a unit and of a column number."""
    key = _normalise(header)
    for candidate in (key, _UNIT.sub("", key), key.rstrip("0123456789")):
        if candidate and candidate in _INDEX:
            return _INDEX[candidate]
    return None


def suggest_mapping(headers: list[str]) -> dict[str, str | None]:
    """Suggest a canonical field for each header, None for columns not imported."""
    return {h: (found[0] if (found := _lookup(h)) else None) for h in headers}


def unknown_headers(headers: list[str]) -> list[str]:
    """Headers that are neither mapped nor known and deliberately ignored."""
    return [h for h in headers if _lookup(h) is None]


def apply_mapping(row: dict[str, str], mapping: dict[str, str | None]) -> dict[str, str]:
    """Build a canonical dict from one row; only fields that some column maps to appear."""
    by_field: dict[str, list[tuple[int, str]]] = {}
    for order, (header, fld) in enumerate(mapping.items()):
        if fld:
            if fld not in SYNONYMS:
                raise ValueError(f"{fld!r} is not a canonical field")
            found = _lookup(header)
            rank = found[1] if found and found[0] == fld else len(SYNONYMS.get(fld, ())) + order
            by_field.setdefault(fld, []).append((rank, header))
    result: dict[str, str] = {}
    for fld, columns in by_field.items():
        result[fld] = ""
        for rank in sorted({r for r, _ in columns}):
            values = [_with_unit(clean_text(row.get(h)), h) for r, h in columns if r == rank]
            values = [v for v in values if v]
            if values:
                result[fld] = "; ".join(values) if fld in MULTI_VALUE else values[0]
                break
    # ipc holds every symbol of the row, so a file with only a main-class column still fills it.
    if result.get("ipc_main"):
        result["ipc"] = _main_first(result["ipc_main"], result.get("ipc", ""))
    return result


def _main_first(main: str, symbols: str) -> str:
    """Put the main classification first in the list, adding it when the list lacks it."""
    def key(symbol: str) -> str:
        return re.sub(r"\(.*?\)\w*$|\s", "", symbol).upper()

    parts = [p for p in re.split(r"\s*[;；,，]\s*", symbols) if p]
    if parts and key(parts[0]) == key(main):
        return symbols
    return "; ".join([main] + [p for p in parts if key(p) != key(main)])


def _with_unit(value: str, header: str) -> str:
    # "报价（万元）: 50" must not become 50 yuan once the header is gone.
    unit = _UNIT.search(_normalise(header))
    if unit and unit.group() in ("万元", "千元") and re.fullmatch(r"\d+(\.\d+)?", value):
        return value + unit.group()
    return value


_SEPARATORS = re.compile(r"[;；,，、|\n]")
_COMPANY_SUFFIX = re.compile(r"(inc|ltd|llc|co|corp|corporation|limited|gmbh|ag|plc|s\.?a|l\.?p|n\.?v|b\.?v)\.?",
                             re.I)
_CJK_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·•]+")


def split_people(raw: str | None) -> list[str]:
    """Split a cell of applicants or inventors into names, in order and without repeats."""
    text = clean_text(raw)
    if not text:
        return []
    names: list[str] = []
    if _SEPARATORS.search(text):
        for part in _SEPARATORS.split(text):
            part = part.strip()
            # "Acme, Inc." is one company, not two.
            if names and _COMPANY_SUFFIX.fullmatch(part):
                names[-1] = f"{names[-1]}, {part}"
            elif part:
                names.append(part)
    elif all(_CJK_NAME.fullmatch(t) for t in text.split()):
        # Space-separated lists of Chinese names; a Latin name like "John Smith" stays whole.
        names = text.split()
    else:
        names = [text]
    unique: dict[str, str] = {}
    for name in names:
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).casefold())
        if name not in UNDISCLOSED_PEOPLE:
            unique.setdefault(key, name)
    return list(unique.values())


_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?"
               r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def parse_date(raw: str | None, *, field: str | None = None) -> date | None:
    """Parse the date spellings real exports use; None when blank, DomainError when garbage."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        if match := pattern.fullmatch(text):
            year, month, day = map(int, match.groups())
            try:
                value = date(year, month, day)
            except ValueError:
                break
            if 1900 <= value.year <= 2100:
                return value
            break
    shown = (raw or "").strip()[:40]
    raise DomainError("import_bad_date", f"无法识别的日期「{shown}」，请使用 2016-05-11 这样的格式",
                      f"Unrecognised date “{shown}”; use a format like 2016-05-11", field=field)


# Junk that the compiled data sets leave behind: "$#!" (or "$＃!") after the last sentence, a
# lone "$" after a full stop, and an <img tag cut off at the end of the cell.
_TRAILING_JUNK = re.compile(r"(?:\$[#＃][!！]|(?<=[。．.!！?？）)」])\$[#＃]?|<img[^>]*)\s*$")
_ONLY_QUESTION_MARKS = re.compile(r"[?？]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(raw: str | None) -> str:
    """Drop export junk and collapse whitespace; meaningful text is never changed."""
    text = _INVISIBLE.sub("", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[^\S\n]+", " ", text)
    text = re.sub(r" *\n\s*", "\n", text).strip()
    # A cell of only "?" is an export that could not encode the value, not the value itself.
    if _ONLY_QUESTION_MARKS.fullmatch(text):
        return ""
    return _TRAILING_JUNK.sub("", text).rstrip()
