"""Whether an open-licence declaration may be filed: R-OL-1…R-OL-6 and R-OL-14. Pure: no Flask.

The services gather the facts (patent, register, rights held, consents) into `DeclarationFacts`;
`check_declaration` returns every problem at once, so the patentee sees the whole list instead
of fixing one field at a time. A blocking problem stops the declaration; a warning is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from config.settings import ROOT
from listings.vocabulary import Encumbrance as E
from listings.vocabulary import LegalStatus, PatentType
from market.core.errors import DomainError
from market.deals.fees import FeeTerms

AD_WORDS_FILE = ROOT / "config" / "open_licence" / "ad_words.v1.txt"
DEFAULT_MIN_TERM_DAYS = 365  # OLP pilot rule "不少于1年" (domain.md §4.1 R-OL-6, configurable)
EXCLUSIVE_RIGHTS = frozenset({E.EXCLUSIVE_LICENSE, E.SOLE_LICENSE, "LICENSE_EXCLUSIVE", "LICENSE_SOLE"})


@dataclass(frozen=True)
class Problem:
    """One finding of the checks, named by its rule so a person can look the rule up."""

    rule: str
    code: str
    zh: str
    en: str
    blocking: bool = True
    field: str | None = None

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class HeldRight:
    """An exclusive or sole licence on the patent (a register flag or a platform deal's claim)."""

    kind: str
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class DeclarationFacts:
    patent_no: str
    patent_type: str
    legal_status: str
    granted: bool
    last_protected_day: date | None
    flags: frozenset[str]
    # A pledgee's written consent is on record (on the pledge flag or the declaration).
    pledgee_consent: bool
    exclusive_rights: tuple[HeldRight, ...]
    # The evaluation report the declaration relies on: (report no, conclusion) or None.
    evaluation_report: tuple[str, str] | None
    register_patentees: tuple[str, ...]
    patentees: tuple[str, ...]
    consents: Mapping[str, object]
    fee_terms: Mapping
    term_start: date | None
    term_end: date | None
    territory: str
    other_terms: str
    fee_basis_note: str
    contact: str
    annual_fee_paid_through: date | None = None
    extra_texts: tuple[str, ...] = field(default=())


def check_declaration(facts: DeclarationFacts, *, today: date,
                      ad_words: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
                      min_term_days: int = DEFAULT_MIN_TERM_DAYS, caps: dict | None = None) -> list[Problem]:
    """Every problem of the declaration, blocking ones first."""
    problems = [*_granted_and_valid(facts), *_complete(facts), *_no_advertising(facts, ad_words),
                *_evaluation_report(facts), *_no_obstacle(facts, today), *_consents(facts),
                *_term(facts, today, min_term_days), *_fee_caps(facts, caps)]
    return sorted(problems, key=lambda p: not p.blocking)


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocking]


# -- R-OL-1 --------------------------------------------------------------------------------

def _granted_and_valid(f: DeclarationFacts) -> list[Problem]:
    if f.legal_status == LegalStatus.PENDING or not f.granted:
        return [Problem("R-OL-1", "not_granted",
                        "专利申请尚未授权公告，不能声明开放许可（专利法实施细则第85条第1款）。",
                        "An application that has not been granted cannot be offered as an open licence "
                        "(IR art. 85(1)).")]
    if f.legal_status == LegalStatus.LAPSED:
        return [Problem("R-OL-1", "lapsed", "专利权已终止或失效，不能声明开放许可。",
                        "The patent has lapsed; it cannot be offered as an open licence.")]
    return []


# -- R-OL-2 --------------------------------------------------------------------------------

_REQUIRED = (
    ("territory", "许可实施地域", "territory"),
    ("other_terms", "其他事项", "other terms"),
    ("fee_basis_note", "许可使用费估算依据及方法的说明", "how the fee was estimated"),
    ("contact", "联系人及联系方式", "contact"),
)


def _complete(f: DeclarationFacts) -> list[Problem]:
    out = []
    if not f.patent_no:
        out.append(Problem("R-OL-2", "patent_no_missing", "缺少专利号。", "The patent number is missing.",
                           field="patent_no"))
    if not f.patentees:
        out.append(Problem("R-OL-2", "patentees_missing", "请列明全部专利权人。", "List every patentee.",
                           field="patentees"))
    elif tuple(f.patentees) != tuple(f.register_patentees):
        out.append(Problem("R-OL-2", "patentees_differ",
                           f"声明中的专利权人（{'、'.join(f.patentees)}）与登记的专利权人"
                           f"（{'、'.join(f.register_patentees)}）不一致，请按登记顺序列明全部专利权人。",
                           f"The patentees of the declaration ({', '.join(f.patentees)}) differ from the "
                           f"register ({', '.join(f.register_patentees)}); list them all in register order.",
                           field="patentees"))
    try:
        FeeTerms.from_dict(dict(f.fee_terms or {}))
    except DomainError as err:
        out.append(Problem("R-OL-2", "fee_terms", "许可使用费支付方式及标准：" + err.zh,
                           "Fee payment method and standard: " + err.en, field=err.field or "mode"))
    if f.term_start is None or f.term_end is None:
        out.append(Problem("R-OL-2", "term_missing", "请填写许可期限的起止日期。",
                           "Give the first and last day of the licence term.", field="term_end"))
    for name, zh, en in _REQUIRED:
        if not str(getattr(f, name) or "").strip():
            out.append(Problem("R-OL-2", f"{name}_missing", f"请填写{zh}。", f"Fill in the {en}.", field=name))
    return out


def load_ad_words(path: Path = AD_WORDS_FILE) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(banned words, allowed phrases) from the configured list."""
    return _read_ad_words(str(path))


@lru_cache(maxsize=4)
def _read_ad_words(path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    banned, allowed = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        (allowed if word.startswith("!") else banned).append(word.lstrip("!").strip().lower())
    # Longest first, so that "最高不超过" is removed before "最高" would be.
    return tuple(banned), tuple(sorted(allowed, key=len, reverse=True))


def advertising_words(text: str, words: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> list[str]:
    """The banned words found in `text`, after the allowed phrases are taken out."""
    banned, allowed = words or load_ad_words()
    rest = (text or "").lower().replace("％", "%")
    for phrase in allowed:
        rest = rest.replace(phrase, " ")
    return [w for w in banned if w in rest]


def _no_advertising(f: DeclarationFacts, ad_words) -> list[Problem]:
    words = load_ad_words() if ad_words is None else ad_words
    out = []
    texts = {"territory": f.territory, "other_terms": f.other_terms, "fee_basis_note": f.fee_basis_note,
             "contact": f.contact, "royalty_base_note": str((f.fee_terms or {}).get("royalty_base_note") or "")}
    for i, extra in enumerate(f.extra_texts):
        texts[f"extra_{i}"] = extra
    for name, text in texts.items():
        found = advertising_words(text, words)
        if found:
            out.append(Problem("R-OL-2", "advertising",
                               f"声明内容应准确、清楚，不得使用商业广告用语（专利法实施细则第85条第3款）："
                               f"请删去“{'”“'.join(found)}”。",
                               f"A declaration must be accurate and plain, without advertising wording "
                               f"(IR art. 85(3)): remove “{'”, “'.join(found)}”.", field=name))
    return out


# -- R-OL-3 --------------------------------------------------------------------------------

def _evaluation_report(f: DeclarationFacts) -> list[Problem]:
    if f.patent_type not in (PatentType.UTILITY_MODEL, PatentType.DESIGN):
        return []
    if f.evaluation_report is None:
        return [Problem("R-OL-3", "evaluation_report_missing",
                        "实用新型和外观设计专利声明开放许可，须提交专利权评价报告（专利法第50条第1款）。",
                        "A utility model or design needs a patent evaluation report for an open licence "
                        "(Patent Law art. 50(1)).", field="evaluation_report_id")]
    number, conclusion = f.evaluation_report
    if conclusion != "NO_DEFECT":
        return [Problem("R-OL-3", "evaluation_report_adverse",
                        f"评价报告 {number} 认为专利存在不符合授权条件的缺陷，国家知识产权局可能不予公告。",
                        f"Evaluation report {number} found a defect against the grant conditions; CNIPA may "
                        "refuse to announce the declaration.", blocking=False, field="evaluation_report_id")]
    return []


# -- R-OL-4 --------------------------------------------------------------------------------

def _no_obstacle(f: DeclarationFacts, today: date) -> list[Problem]:
    out = []
    end = f.term_end or f.last_protected_day or today
    for right in f.exclusive_rights:
        if right.kind not in EXCLUSIVE_RIGHTS:
            continue
        if (right.ends_on is None or right.ends_on >= today) and (right.starts_on is None or right.starts_on <= end):
            exclusive = right.kind in (E.EXCLUSIVE_LICENSE, "LICENSE_EXCLUSIVE")
            zh, en = ("独占许可", "An exclusive licence") if exclusive else ("排他许可", "A sole licence")
            until = f"（至{right.ends_on.isoformat()}）" if right.ends_on and right.ends_on.year < 9999 else ""
            out.append(Problem("R-OL-4", "exclusive_licence_in_term",
                               f"该专利的{zh}尚在有效期内{until}，不能声明开放许可（专利法实施细则第86条第1项）。",
                               f"{en} is in its term{f' (until {right.ends_on})' if until else ''}; no open "
                               "licence can be declared (IR art. 86(1))."))
            break
    if E.SUSPENDED in f.flags:
        out.append(Problem("R-OL-4", "suspended", "专利权因权属纠纷处于中止程序，不能声明开放许可（实施细则第86条第2项）。",
                           "The patent is suspended over an ownership dispute (IR art. 86(2))."))
    if E.PRESERVED in f.flags:
        out.append(Problem("R-OL-4", "preserved", "专利权已被人民法院采取保全措施，不能声明开放许可（实施细则第86条第2项）。",
                           "A court has preserved the patent (IR art. 86(2))."))
    if f.legal_status == LegalStatus.FEE_GRACE:
        out.append(Problem("R-OL-4", "fee_grace", "年费处于滞纳期，未按规定缴纳年费，不能声明开放许可（实施细则第86条第3项）。",
                           "The annual fee is overdue (grace period); pay it before declaring (IR art. 86(3))."))
    elif f.annual_fee_paid_through is not None and f.annual_fee_paid_through < today \
            and f.legal_status == LegalStatus.VALID:
        out.append(Problem("R-OL-4", "fee_unknown",
                           f"登记的年费只缴至{f.annual_fee_paid_through.isoformat()}，请核实年费已按规定缴纳。",
                           f"Annual fees are recorded as paid only until {f.annual_fee_paid_through}; "
                           "check they are paid.", blocking=False))
    if E.PLEDGED in f.flags and not f.pledgee_consent:
        out.append(Problem("R-OL-4", "pledged_without_consent",
                           "专利权已质押，须提交质权人同意开放许可的书面文件（实施细则第86条第4项）。",
                           "The patent is pledged: record the pledgee's written consent (IR art. 86(4)).",
                           field="pledgee_consent_doc"))
    if E.INVALIDATION_PENDING in f.flags:
        out.append(Problem("R-OL-4", "invalidation_pending",
                           "该专利有无效宣告请求正在审查中；这不妨碍声明，但请向被许可人说明。",
                           "An invalidation request is pending; it does not bar the declaration, but tell "
                           "licensees.", blocking=False))
    if E.PARTIALLY_INVALID in f.flags:
        out.append(Problem("R-OL-4", "partially_invalid", "该专利已被部分宣告无效，开放许可仅及于维持有效的权利要求。",
                           "The patent was partly invalidated; the licence covers only the claims kept.",
                           blocking=False))
    return out


# -- R-OL-5 --------------------------------------------------------------------------------

def _consents(f: DeclarationFacts) -> list[Problem]:
    missing = [name for name in f.register_patentees if not f.consents.get(name)]
    if not missing:
        return []
    return [Problem("R-OL-5", "consent_missing",
                    f"共有专利权人{'、'.join(missing)}尚未同意本声明；全部专利权人均须同意。",
                    f"Co-owner(s) {', '.join(missing)} have not consented; every patentee must.",
                    field="consents")]


# -- R-OL-6 --------------------------------------------------------------------------------

def _term(f: DeclarationFacts, today: date, min_term_days: int) -> list[Problem]:
    if f.term_start is None or f.term_end is None:
        return []
    out = []
    if f.term_end < f.term_start:
        return [Problem("R-OL-6", "term_reversed", "许可期限的届满日早于起始日。",
                        "The licence term ends before it starts.", field="term_end")]
    if f.last_protected_day is not None and f.term_end > f.last_protected_day:
        out.append(Problem("R-OL-6", "term_beyond_patent",
                           f"许可期限届满日不得晚于专利权期限届满日 {f.last_protected_day.isoformat()}"
                           "（民法典第865条）。",
                           f"The term cannot end after the patent's last protected day, "
                           f"{f.last_protected_day.isoformat()} (Civil Code art. 865).", field="term_end"))
    if f.term_end < today:
        out.append(Problem("R-OL-6", "term_over", "许可期限已经届满。", "The licence term is already over.",
                           field="term_end"))
    days = (f.term_end - f.term_start).days + 1
    if days < min_term_days:
        out.append(Problem("R-OL-6", "term_too_short",
                           f"许可期限至少为{min_term_days}天（当前{days}天）。",
                           f"The licence term must be at least {min_term_days} days (it is {days}).",
                           field="term_end"))
    return out


# -- R-OL-14 -------------------------------------------------------------------------------

def _fee_caps(f: DeclarationFacts, caps: dict | None) -> list[Problem]:
    try:
        terms = FeeTerms.from_dict(dict(f.fee_terms or {}))
    except DomainError:
        return []  # reported under R-OL-2
    return [Problem("R-OL-14", "fee_cap", zh + "请在估算说明中说明理由。", en + " Explain why in the fee note.",
                    blocking=False, field="fee_basis_note") for zh, en in terms.cap_warnings(caps)]
