"""The one check of every redirect target a request names (`next=`, `back=`): paths on this site only.

Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so `/\t/evil.example`
and `/\\evil.example` both lead to another site (an open redirect), and a line break in a Location
header is refused by the server (a 500). So the target is judged as a browser would read it, after
percent-decoding: a single leading slash, no scheme or host, no backslash, no control character.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def local_target(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (the caller's default applies)."""
    if not target or len(target) > 2000:
        return None
    decoded = target
    for _ in range(3):  # a target decoded twice on its way must still be local
        if not _is_local(decoded):
            return None
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            return target
    return None


def _is_local(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path or _CONTROL.search(path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc
