"""Chinese text for search: jieba segmentation, query terms and highlighted snippets."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import jieba
import jieba.posseg as _posseg
from markupsafe import Markup, escape

_lock = threading.Lock()
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)

# Words that occur in nearly every patent title or abstract and carry no meaning for search.
STOPWORDS = frozenset("""
的 了 和 与 及 或 在 是 为 对 等 其 中 上 下 用 由 将 把 被 从 以 所 该 并 且 一 个 种 一种 及其
本 所述 包括 包含 其中 通过 采用 具有 进行 一种 方法 装置 系统 用于 涉及 提供 发明 实用新型
本发明 本实用新型 使 可 能 可以 设有 设置 连接 以及 之间 其它 其他 多个 一个 至少
""".split())


USER_DICT = Path(__file__).resolve().parents[2] / "config" / "search" / "userdict.txt"


@cache
def _jieba():
    jieba.setLogLevel(logging.WARNING)
    with _lock:
        jieba.initialize()
        # Technical terms jieba's general dictionary splits (石墨烯 → 石墨/烯); versioned in config/.
        with USER_DICT.open("rb") as words:  # jieba leaves a path's file open
            jieba.load_userdict(words)
    return jieba


def normalise(text: str) -> str:
    """Full-width to half-width and lower case, so ＡＢＣ and abc match."""
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str) -> list[str]:
    """Index-side tokens: jieba's search mode emits words and their sub-words."""
    return [t for t in _jieba().cut_for_search(normalise(text), HMM=False)
            if _WORD.search(t) and t not in STOPWORDS]


def query_terms(text: str) -> list[str]:
    """Query-side terms: jieba's precise mode, de-duplicated in order."""
    seen: list[str] = []
    for t in _jieba().cut(normalise(text), HMM=False):
        t = t.strip()
        if t and _WORD.search(t) and t not in STOPWORDS and t not in seen:
            seen.append(t)
    return seen


def word_tag(term: str) -> str | None:
    """The part of speech jieba's dictionary gives a word ('ns' place, 'nt' organisation, 'b'
    attribute, 'n' noun …), or None for a word it does not list."""
    _jieba()
    return _posseg.dt.word_tag_tab.get(term)


def sub_terms(term: str) -> list[str]:
    """Smaller words inside a query term, used when the whole word is not in any document."""
    return [t for t in _jieba().cut_for_search(term, HMM=False) if t != term and len(t) > 1 and t not in STOPWORDS]


@lru_cache(maxsize=256)
def _mark_pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One search's pattern, built once for all its hits' titles and abstracts.

    One mark over adjacent terms: 石墨 + 烯 reads as <mark>石墨烯</mark>, not two marks."""
    return re.compile("(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + ")+",
                      re.IGNORECASE)


def highlight(text: str, terms: list[str], *, window: int | None = None) -> Markup:
    """Escape `text` and wrap each occurrence of a term in <mark>; optionally cut a snippet."""
    text = text or ""
    if not terms:
        return escape(text[:window] + ("…" if window and len(text) > window else "")) if window else escape(text)
    pattern = _mark_pattern(tuple(terms))
    start, end = 0, len(text)
    if window and len(text) > window:
        # Most stored text is already in NFKC form: normalised only when the words are not found as is.
        first = pattern.search(text) or pattern.search(unicodedata.normalize("NFKC", text))
        centre = first.start() if first else 0
        start = max(0, centre - window // 3)
        end = min(len(text), start + window)
    piece = text[start:end]
    # Plain strings of escaped pieces, joined once: Markup's own + and join escape each piece again.
    out = ["…" if start > 0 else ""]
    pos = 0
    for m in pattern.finditer(piece):
        out += [escape(piece[pos:m.start()]), "<mark>", escape(m.group(0)), "</mark>"]
        pos = m.end()
    out.append(escape(piece[pos:]))
    if end < len(text):
        out.append("…")
    return Markup("".join(out))
