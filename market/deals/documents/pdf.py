"""Rendering a Document as PDF (reportlab, with the built-in CID font STSong-Light for Chinese)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from market.deals.documents.model import Document

if TYPE_CHECKING:
    pass


# -- PDF ---------------------------------------------------------------------------------------

FONT = "STSong-Light"


def render_pdf(doc: Document) -> bytes:
    """The document as an A4 PDF; Chinese text in the built-in CID font (no font file needed)."""

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=13)
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=24, alignment=1, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=3)
    width = A4[0] - 40 * mm
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    pairs = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)])

    def para(text: str, style=base) -> Paragraph:
        return Paragraph(escape(text or "").replace("\n", "<br/>"), style)

    def story_of(d: Document) -> list:
        story = [para(d.title, title)]
        story += [para(line, small) for line in d.intro]
        for section in d.sections:
            if section.heading:
                story.append(para(section.heading, heading))
            story += [para(text) for text in section.paragraphs]
            if section.rows:
                table = Table([[para(k, small), para(v, small)] for k, v in section.rows],
                              colWidths=[width * 0.3, width * 0.7])
                table.setStyle(pairs)
                story += [Spacer(1, 3), table]
            if section.table:
                cols = len(section.table[0])
                table = Table([[para(c, small) for c in row] for row in section.table],
                              colWidths=[width / cols] * cols, repeatRows=1)
                table.setStyle(grid)
                story += [Spacer(1, 3), table]
        if d.signatures:
            story.append(Spacer(1, 14))
            sig = Table([[para(f"{role}（签章）" if d.lang != "en" else f"{role} (signature and seal)", base)
                          for role, _ in d.signatures],
                         [para(name) for _, name in d.signatures],
                         [para("日期：" if d.lang != "en" else "Date:") for _ in d.signatures]],
                        colWidths=[width / len(d.signatures)] * len(d.signatures))
            sig.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("TOPPADDING", (0, 0), (-1, -1), 6)]))
            story.append(sig)
        story += [Spacer(1, 6), *(para(n, small) for n in d.notes)]
        if d.appendix is not None:
            story += [PageBreak(), *story_of(d.appendix)]
        return story

    out = io.BytesIO()
    footer_text = f"{doc.number}"

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"{footer_text} · {document.page}")
        canvas.restoreState()

    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=doc.title, author="专利超市 Patent Supermarket",
                      subject=doc.number).build(story_of(doc), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
