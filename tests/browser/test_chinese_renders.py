"""Chinese text renders as Chinese glyphs, not tofu boxes: the CJK font the harness installs is used.

Chromium reports, through the DevTools protocol, which platform fonts drew a node's text and how many
glyphs each drew: the page's Chinese heading must be drawn by a Noto CJK font, every glyph of it.
"""

from __future__ import annotations

from tests.services import chromium


def test_the_harness_found_a_cjk_font():
    assert any("CJK" in family for family in chromium.cjk_fonts()), chromium.cjk_fonts()


def test_chinese_headings_are_drawn_with_a_cjk_font(actors, live_server):
    visitor = actors(None)
    visitor.goto("/search?q=锂电池 隔膜")
    heading = visitor.page.locator("#results-title")
    text = heading.inner_text()
    assert text == "“锂电池 隔膜”：共 6 件专利"
    cdp = visitor.context.new_cdp_session(visitor.page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#results-title"})["nodeId"]
    cdp.send("CSS.enable")
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk = [f for f in fonts if "CJK" in f["familyName"]]
    assert cjk, fonts
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    assert sum(f["glyphCount"] for f in cjk) >= han, fonts
    # And the screenshot a person would see is not empty (a blank page is one colour).
    png = visitor.page.screenshot(full_page=False)
    assert len(png) > 10_000
