"""Chinese patent application numbers (申请号) and publication numbers (公开/公告号), domain.md §1.2-1.3."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from listings.vocabulary import PatentType
from market.core.errors import DomainError

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)

_TYPE_BY_CODE = {
    "1": PatentType.INVENTION, "8": PatentType.INVENTION,
    "2": PatentType.UTILITY_MODEL, "9": PatentType.UTILITY_MODEL,
    "3": PatentType.DESIGN,
}
# The 2003 standard reserves the other digits for CNIPA's future use, so a current-format number
# carrying one may be real; the pre-2003 scheme had no reserved digits, so there they are errors.
_RESERVED_CODES = frozenset("04567")

# Numbers from the first years of the 1985 system are still quoted without a check character
# (CNIPA's own data: CN85105156, CN85107119), because it was only printed once the register was
# computerised. Missing check characters are accepted for filings of 1985-1988 only, so that a
# truncated modern number (the commonest typing error) is still refused with the right fix.
_NO_CHECK_LAST_YEAR = 1988

_PREFIX = re.compile(r"^(?:CN|ZL)\s?")
_CURRENT = re.compile(r"^(\d{4}) ?(\d) ?(\d{7})(?:\.?([0-9X]))?$", re.ASCII)
_LEGACY = re.compile(r"^(\d{2}) ?(\d) ?(\d{5})(?:\.?([0-9X]))?$", re.ASCII)
_PUBLICATION = re.compile(r"^CN(\d{7,9})([A-Z]\d?)$", re.ASCII)

_FIELD = "application_number"


def check_character(digits: str) -> str:
    """The check character for 12 (current) or 8 (legacy) digits: weighted sum mod 11, 10 → 'X'."""
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12):
        raise ValueError(f"expected 8 or 12 digits, got {digits!r}")
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    r = sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return "X" if r == 10 else str(r)


@dataclass(frozen=True)
class ApplicationNumber:
    """A validated application number: digits and check character (None for early 1985 ones)."""

    digits: str
    check: str | None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    declared_type: PatentType | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.normalised

    @property
    def normalised(self) -> str:
        return self.digits if self.check is None else f"{self.digits}.{self.check}"

    @property
    def is_legacy(self) -> bool:
        return len(self.digits) == 8

    @property
    def year(self) -> int:
        if not self.is_legacy:
            return int(self.digits[:4])
        return _legacy_year(int(self.digits[:2]))

    @property
    def type_code(self) -> str:
        return self.digits[2] if self.is_legacy else self.digits[4]

    @property
    def patent_type(self) -> PatentType | None:
        """Type from the type digit; for a reserved digit, the type the caller declared (if any)."""
        return _TYPE_BY_CODE.get(self.type_code, self.declared_type)

    @property
    def is_pct(self) -> bool:
        return self.type_code in ("8", "9")

    @property
    def patent_no(self) -> str:
        return "ZL" + self.normalised


def _legacy_year(yy: int) -> int:
    # Two-digit years 85-99 are the 1900s; 00-03 are the last legacy years before 2003-10-01.
    return 1900 + yy if yy >= 85 else 2000 + yy


def _fail(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, zh, en, field=_FIELD)


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").upper().strip()
    text = re.sub(r"\s+", " ", text).replace("·", ".").replace("。", ".")
    return _PREFIX.sub("", text)


def parse_application_number(raw: str, *, declared_type: PatentType | None = None,
                             today: date | None = None) -> ApplicationNumber:
    """Parse any real input form of an application number; raise DomainError if it is wrong."""
    today = today or date.today()
    text = _clean(raw)
    if not text:
        raise _fail("apn_empty", "请填写申请号。", "Please enter the application number.")

    match = _CURRENT.match(text) or _LEGACY.match(text)
    shown = raw.strip()
    if match is None:
        raise _fail(
            "apn_shape",
            f"申请号“{shown}”格式不正确，应为 12 位数字加校验位（如 202010123456.2），"
            "或 2003 年以前的 8 位数字加校验位（如 95115608.X）。",
            f"Application number '{shown}' is malformed: expected 12 digits and a check "
            "character (e.g. 202010123456.2), or 8 digits and a check character for filings "
            "before 2003 (e.g. 95115608.X).")
    head, type_code, serial, check = match.groups()
    digits = head + type_code + serial
    legacy = len(digits) == 8
    year = _legacy_year(int(head)) if legacy else int(head)

    _check_year(year, legacy, int(head), today)
    expected = check_character(digits)
    if check is None and not (legacy and year <= _NO_CHECK_LAST_YEAR):
        raise _fail(
            "apn_check_missing",
            f"申请号缺少校验位，应为 {digits}.{expected}。",
            f"The application number lacks its check character; it should be {digits}.{expected}.")
    if check is not None and check != expected:
        raise _fail(
            "apn_check",
            f"申请号 {digits}.{check} 的校验位不正确，校验位应为 {expected}（{digits}.{expected}）。",
            f"Wrong check character in {digits}.{check}: it should be {expected} "
            f"({digits}.{expected}).")

    warnings = _check_type(type_code, legacy, declared_type)
    return ApplicationNumber(digits, check, tuple(warnings), declared_type)


def _check_year(year: int, legacy: bool, head: int, today: date) -> None:
    if legacy and 4 <= head <= 84:
        raise _fail(
            "apn_year",
            f"8 位申请号的年份“{head:02d}”无效：旧格式只用于 1985 年至 2003 年的申请。",
            f"Year '{head:02d}' is invalid for an 8-digit number: the old format was used "
            "for filings from 1985 to 2003 only.")
    low = 1985 if legacy else 2003
    if not low <= year <= today.year:
        raise _fail(
            "apn_year",
            f"申请号中的年份 {year} 不在 {low} 年至 {today.year} 年之间。"
            + ("（12 位申请号自 2003 年起使用）" if not legacy and year < 2003 else ""),
            f"The year {year} in the application number is not between {low} and {today.year}."
            + (" (12-digit numbers are used from 2003 on.)" if not legacy and year < 2003 else ""))


def _check_type(type_code: str, legacy: bool, declared: PatentType | None) -> list[str]:
    derived = _TYPE_BY_CODE.get(type_code)
    if derived is None and (legacy or type_code not in _RESERVED_CODES):
        raise _fail(
            "apn_type_unknown",
            f"申请号中的类型位“{type_code}”无效：应为 1（发明）、2（实用新型）、3（外观设计）、"
            "8（PCT 发明）或 9（PCT 实用新型）。",
            f"Unknown type digit '{type_code}': it should be 1 (invention), 2 (utility model), "
            "3 (design), 8 (PCT invention) or 9 (PCT utility model).")
    if derived is None:
        return [f"类型位“{type_code}”为国家知识产权局保留代码，请核对专利类型。 / "
                f"Type digit '{type_code}' is reserved by CNIPA; please check the patent type."]
    if declared is not None and declared != derived:
        raise _fail(
            "apn_type_mismatch",
            f"申请号的类型位“{type_code}”表示{derived.zh}，与所填专利类型“{declared.zh}”不符。",
            f"The type digit '{type_code}' means {derived.en.lower()}, which does not match the "
            f"declared patent type '{declared.en.lower()}'.")
    return []


def normalise_publication_number(raw: str) -> str:
    """Return a publication/grant number as e.g. `CN102110728A`; raise DomainError if malformed."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "").upper())
    if text and text[0].isdigit():
        text = "CN" + text  # users often drop the country code; digits + kind are unambiguous
    if not _PUBLICATION.match(text):
        raise DomainError(
            "pub_shape",
            f"公开（公告）号“{(raw or '').strip()}”格式不正确，应为 CN + 7 至 9 位数字 + 文献类型"
            "（如 CN102110728A、CN212345678U）。",
            f"Publication number '{(raw or '').strip()}' is malformed: expected CN, 7 to 9 digits "
            "and a kind code (e.g. CN102110728A, CN212345678U).",
            field="publication_number")
    return text


def publication_kind(pub_no: str) -> str:
    """The kind code of a publication number, e.g. 'A', 'B', 'U', 'S' or 'C1'."""
    return _PUBLICATION.match(normalise_publication_number(pub_no)).group(2)


def check_filing_year(number: ApplicationNumber, filing_date: date) -> str | None:
    """The filing date against the year in the number (APN): refuse the impossible, warn the unusual.

    CNIPA numbers an application in the year it receives it, so a filing date in a later year
    cannot be right. An earlier one can: a divisional application keeps its parent's filing date
    and a PCT application entering the national phase keeps its international filing date, so
    that only earns a warning (returned).
    """
    if filing_date.year > number.year:
        raise DomainError(
            "filing_year_mismatch",
            f"申请日 {filing_date.isoformat()} 与申请号 {number.normalised} 中的年份 {number.year} 不符：申请号按国知局受理"
            f"申请的年份编号，申请日不会晚于该年（专利申请号标准）。请核对申请日或申请号。",
            f"The filing date {filing_date.isoformat()} contradicts the year {number.year} in application number "
            f"{number.normalised}: CNIPA numbers an application in the year it receives it, so it cannot be filed "
            "in a later year (application-number standard). Check the filing date or the number.",
            field="filing_date")
    if filing_date.year < number.year:
        return (f"申请日 {filing_date.isoformat()} 早于申请号中的年份 {number.year}：分案申请或 PCT 进入国家阶段的申请"
                "沿用原申请日，否则请核对。")
    return None
