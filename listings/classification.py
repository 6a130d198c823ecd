"""IPC symbols at every level and Locarno classes for designs (domain.md §1.4)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from market.core.errors import DomainError

# CN records append the IPC version and a flag: "H04L9/06(2006.01)I", "A01K 67/027 (2006.01)".
_VERSION_SUFFIX = re.compile(r"\s*\(\s*\d{4}\s*\.\s*\d{2}\s*\)\s*[A-Z]?$")
_IPC = re.compile(
    r"^(?P<section>[A-Z])"
    r"(?:(?P<cls>\d{2})"
    r"(?:(?P<sub>[A-Z])"
    r"(?:\s?(?P<main>\d{1,4})"
    r"(?:\s?/\s?(?P<sub_group>\d{2,6}))?)?)?)?$"
)
_LIST_SEPARATORS = re.compile(r"[;,、\n\r]+")
_LOCARNO_PREFIX = re.compile(r"^(?:LOC\s*(?:\(\s*\d+\s*\))?\s*)?(?:CL\s*\.?\s*)?")
_LOCARNO = re.compile(r"^(\d{1,2})(?:\s*[-–—.]\s*|\s+)(\d{1,2})$|^(\d{2})(\d{2})$")

_EXAMPLE = "A、A01、A01K、A01K 67/00 或 A01K 67/027"
_EXAMPLE_EN = "A, A01, A01K, A01K 67/00 or A01K 67/027"


@dataclass(frozen=True)
class IpcSymbol:
    """An IPC symbol; the finer parts are None above the symbol's level."""

    section: str
    ipc_class: str | None = None
    subclass: str | None = None
    main_group: str | None = None
    group: str | None = None

    def __str__(self) -> str:
        return self.symbol

    @property
    def level(self) -> str:
        if self.group:
            return "group"
        if self.main_group:
            return "main_group"
        if self.subclass:
            return "subclass"
        return "class" if self.ipc_class else "section"

    @property
    def symbol(self) -> str:
        if self.group:
            return self.group
        if self.main_group:
            return self.main_group + "/00"
        return self.subclass or self.ipc_class or self.section

    def prefixes(self) -> list[str]:
        """The symbol at every level from section down to itself, for search facets."""
        out = [self.section, self.ipc_class, self.subclass,
               self.main_group and self.main_group + "/00", self.group]
        return [p for p in out if p]


def _ipc_error(raw: str, zh_reason: str, en_reason: str) -> DomainError:
    shown = (raw or "").strip()
    return DomainError(
        "ipc_malformed",
        f"IPC 分类号“{shown}”无效：{zh_reason}。应写作 {_EXAMPLE}。",
        f"IPC symbol '{shown}' is invalid: {en_reason}. Write it as {_EXAMPLE_EN}.",
        field="ipc")


def parse_ipc(raw: str) -> IpcSymbol:
    """Parse an IPC symbol at any level (section to subgroup); raise DomainError if malformed."""
    text = unicodedata.normalize("NFKC", raw or "").upper().strip()
    text = _VERSION_SUFFIX.sub("", text)
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise _ipc_error(raw, "为空", "it is empty")
    if not "A" <= text[0] <= "H":
        raise _ipc_error(raw, f"部“{text[0]}”应为 A 至 H", f"the section '{text[0]}' must be A to H")
    match = _IPC.match(text)
    if match is None:
        raise _ipc_error(raw, "格式不符", "it does not follow the IPC layout")
    section, cls, sub, main, sub_group = match.group("section", "cls", "sub", "main", "sub_group")
    if cls is None:
        return IpcSymbol(section)
    ipc_class = section + cls
    if sub is None:
        return IpcSymbol(section, ipc_class)
    subclass = ipc_class + sub
    if main is None:
        return IpcSymbol(section, ipc_class, subclass)
    if int(main) == 0:
        raise _ipc_error(raw, "大组号不能为 0", "the main group number cannot be 0")
    # Leading zeros only pad the main group to four digits ("A01K0067/027"); drop them.
    main_group = f"{subclass} {int(main)}"
    if sub_group is None or int(sub_group) == 0:
        return IpcSymbol(section, ipc_class, subclass, main_group)
    return IpcSymbol(section, ipc_class, subclass, main_group, f"{main_group}/{sub_group}")


def _merge_tokens(chunk: str) -> list[str]:
    """Split on whitespace but re-join a group ("67/027") or version suffix to its symbol."""
    tokens: list[str] = []
    for token in chunk.split():
        glued_flag = len(token) == 1 and tokens and tokens[-1].endswith(")")
        if tokens and (token[0].isdigit() or token[0] in "/(" or tokens[-1].endswith("/")
                       or glued_flag):
            tokens[-1] += " " + token
        else:
            tokens.append(token)
    return tokens


def parse_ipc_list(raw: str) -> list[IpcSymbol]:
    """Parse a multi-value IPC cell (; ； , ， 、 newline or space), de-duplicated in order."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    seen: dict[str, IpcSymbol] = {}
    for chunk in _LIST_SEPARATORS.split(text):
        for token in _merge_tokens(chunk):
            symbol = parse_ipc(token)
            seen.setdefault(symbol.symbol, symbol)
    return list(seen.values())


def parse_locarno(raw: str) -> str:
    """Normalise a design's Locarno class to `NN-NN` (14-03, 14.03, 1403, LOC(12) Cl. 14-03)."""
    text = unicodedata.normalize("NFKC", raw or "").upper().strip()
    text = _LOCARNO_PREFIX.sub("", text).strip()
    match = _LOCARNO.match(text)
    shown = (raw or "").strip()
    if match is None:
        raise DomainError(
            "locarno_malformed",
            f"洛迦诺分类号“{shown}”格式不正确，应为“大类-小类”，如 14-03。",
            f"Locarno class '{shown}' is malformed: expected class-subclass, e.g. 14-03.",
            field="locarno")
    cls, sub = (int(g) for g in match.groups() if g is not None)
    # Classes 01-32 exist (the 10th edition added 32); 99 is the miscellaneous class.
    if not (1 <= cls <= 32 or cls == 99) or sub == 0:
        raise DomainError(
            "locarno_unknown",
            f"洛迦诺分类号“{shown}”不存在：大类应为 01 至 32 或 99，小类从 01 起。",
            f"Locarno class '{shown}' does not exist: the class must be 01-32 or 99 and the "
            "subclass starts at 01.",
            field="locarno")
    return f"{cls:02d}-{sub:02d}"
