"""A Document as one self-contained HTML file: the bytes a contract is frozen as and signed by.

No template, no request, no language cookie takes part, so the same Document always gives the
same bytes; once frozen, those bytes are served as they are (the signed text is never re-rendered).
"""

from __future__ import annotations

import base64
import hashlib

from markupsafe import escape

from market.deals.documents.model import Document

_STYLE = ("body{font-family:'Noto Serif CJK SC','Songti SC',SimSun,serif;max-width:46rem;margin:2rem auto;"
          "line-height:1.7;padding:0 1rem}h1{text-align:center;font-size:1.5rem}h2{font-size:1.05rem}"
          "table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.25rem .5rem;"
          "text-align:left;vertical-align:top}.meta,.note{color:#444;font-size:.9rem}"
          ".signatures{display:flex;gap:2rem;margin-top:2rem}.signatures div{flex:1}")


# The frozen page's own style is allowed by its hash, so the signed bytes need no stylesheet link.
CSP = ("default-src 'none'; script-src 'self'; object-src 'none'; style-src 'sha256-"
       + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode() + "'; frame-ancestors 'none'")


def _p(text: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{escape(text)}</p>"


def to_html(doc: Document) -> bytes:
    """The document as UTF-8 HTML, deterministic for a given Document."""
    zh = doc.lang != "en"
    out = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">',
           f"<title>{escape(doc.title)} · {escape(doc.number)}</title><style>{_STYLE}</style></head><body>",
           "<article>", f"<h1>{escape(doc.title)}</h1>"]
    out += [_p(line, "meta") for line in doc.intro]
    for section in doc.sections:
        out.append("<section>")
        if section.heading:
            out.append(f"<h2>{escape(section.heading)}</h2>")
        out += [_p(paragraph) for paragraph in section.paragraphs]
        if section.rows:
            out.append("<table><tbody>")
            out += [f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in section.rows]
            out.append("</tbody></table>")
        if section.table:
            head, *rows = section.table
            out.append("<table><thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows]
            out.append("</tbody></table>")
        out.append("</section>")
    if doc.signatures:
        out.append('<div class="signatures">')
        for role, name in doc.signatures:
            seal = "（签章）" if zh else " (signature and seal)"
            out.append(f"<div>{_p(f'{role}{seal}')}{_p(name)}{_p('日期：' if zh else 'Date:')}</div>")
        out.append("</div>")
    out += [_p(note, "note") for note in doc.notes]
    out.append("</article></body></html>")
    return "\n".join(out).encode("utf-8")
