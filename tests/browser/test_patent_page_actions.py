"""The patent page as an enterprise sees it: one primary action per offered mode (issue 15 #4), and on a
phone the take button within the first screen, on the patent page and on the declaration (#8).

The demo's 202310100037.0 (申江信息工程大学, listed at 10万元) offers an ordinary licence and an
announced open licence: two modes, two primary buttons. The enterprise only looks; nothing is taken.
"""

from __future__ import annotations

APP_NO = "202310100037.0"
VIEWER = "hengxin"


def within_first_screen(locator, variant) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] + box["height"] <= variant.height, (box, variant.height)


def test_one_primary_action_per_mode_and_the_take_button_in_reach(actors, variant, live_server):
    firm = actors(VIEWER)
    page, t = firm.page, firm.t
    firm.goto(f"/patents/{APP_NO}")
    side = page.locator("aside.detail-side")
    primaries = side.locator(".btn-primary:visible, .btn-accent:visible")
    assert [text.strip() for text in primaries.all_inner_texts()] == [
        t("获取开放许可", "Take this open licence"), t("洽谈普通许可", "Negotiate an ordinary licence")]
    within_first_screen(side.locator(".ol-take"), variant)

    # Writing to the patentee without terms is there, folded, and its button is not a primary one.
    ask = side.locator("details.deal-ask")
    assert ask.get_attribute("open") is None
    ask.locator("summary").click()
    send = ask.locator("button[type=submit]")
    assert send.is_visible() and "btn-primary" not in (send.get_attribute("class") or "")

    # The declaration page: the take button comes before the declaration's long text on a phone.
    firm.submit(side.get_by_role("link", name=t("查看声明全文", "The full declaration")))
    take = page.locator(".ol-take")
    assert take.inner_text().strip() == t("获取开放许可", "Take this open licence")
    within_first_screen(take, variant)
    # It leads to the confirmation, which says who gets the notice and how much falls due.
    firm.submit(take)
    assert page.url.endswith("/take")
    text = page.locator("main").inner_text()
    assert "申江信息工程大学" in text and t("100,000.00元", "¥100,000.00") in text
    assert page.locator("input[name=confirm]").is_checked() is False
