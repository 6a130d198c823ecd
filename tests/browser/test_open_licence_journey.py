"""Journey 2 (docs/product.md): an enterprise takes an open licence, end to end in the browser.

It searches in Chinese, filters by industry and mode, opens the patent, reads the declared fee,
confirms what taking the licence means and takes it (the written notice reaches the patentee), asks for the transfer details, pays by
bank transfer and uploads the receipt; the patentee confirms receipt; the enterprise then has the
licence record, the contract and the filing package with its deadline.

The demo seed announced an open licence of 沪北理工大学 on 202010100037.7 (a lump sum of 5万元)
that 澜启 and 衡芯 took already; each variant is taken by another enterprise, which also shows
that any number of enterprises take the same licence on the same terms.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.browser.conftest import VARIANTS

APP_NO = "202010100037.7"
PATENTEE = "nsut"
TAKER = {"zh-desktop": "qingqu", "en-desktop": "hesui", "zh-phone": "luosi", "en-phone": "ruiyan"}
assert set(TAKER) == set(VARIANTS)
FEE_FEN = 5_000_000
# A one-page PDF: the bank's transfer slip, as a person would scan it.
RECEIPT_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def test_an_enterprise_takes_an_open_licence(actors, variant, live_server):
    firm = actors(TAKER[variant.name])
    page = firm.page
    t = firm.t

    # Search in Chinese from the home page's search box (the same words in both languages).
    firm.goto("/")
    page.locator("input[type=search][name=q]").first.fill("锂电池 隔膜")
    with page.expect_navigation():
        page.locator("input[type=search][name=q]").first.press("Enter")
    assert "/search" in page.url
    heading = page.locator("#results-title")
    assert heading.inner_text() == t("“锂电池 隔膜”：共 6 件专利", "6 patents for “锂电池 隔膜”")

    # Filter by industry, then by mode; on a phone the filters are folded away first.
    facets = page.locator("details.facets")
    if variant.mobile:
        assert facets.get_attribute("open") is None, "filters should start folded on a phone"
        facets.locator("summary").click()
    with page.expect_navigation():
        page.locator("section[aria-labelledby=facet-industry] a.facet-link[href*='industry=']").filter(
            has_text=t("新能源汽车", "New-energy vehicles")).click()
    if variant.mobile:
        page.locator("details.facets summary").click()
    with page.expect_navigation():
        page.locator("section[aria-labelledby=facet-mode] a[href*='mode=OPEN_LICENSE']").click()
    assert page.locator(".active-filters .chip-filter").count() == 2
    # Only patents with an announced declaration show 开放许可 (a utility model without its
    # evaluation report could not be declared, so the demo no longer shows it as open).
    assert heading.inner_text() == t("“锂电池 隔膜”：共 1 件专利", "1 patents for “锂电池 隔膜”")
    card = page.locator("article.listing-card").filter(has_text=APP_NO)
    assert card.count() == 1

    # The patent page: declared fee standard, term and legal status.
    with page.expect_navigation():
        card.locator("h3.card-title a").click()
    assert page.url.endswith(f"/patents/{APP_NO}")
    panel = page.locator("#open-licence")
    assert panel.locator(".badge-ok").inner_text() == t("声明有效", "In effect")
    fee = panel.locator(".ol-fee").inner_text()
    assert fee == t("一次总算、一次总付50,000.00元", "a lump sum of ¥50,000.00, paid at once"), fee
    assert panel.locator("dd .badge").first.inner_text() == t("有效", "In force")

    # The take button: on a phone within the first screen, not below the long read (issue 15 #8).
    take = panel.get_by_role("link", name=t("获取开放许可", "Take this open licence"))
    box = take.bounding_box()
    assert box is not None and box["y"] + box["height"] <= variant.height, (box, variant.height)

    # A confirmation first: what happens, to whom, for how much and how long; nothing changes yet.
    firm.submit(take)
    assert page.url.endswith("/take"), page.url
    confirmation = page.locator("main").inner_text()
    for fact in ("沪北理工大学", firm_name(live_server, firm.key), t("50,000.00元", "¥50,000.00"),
                 t("书面通知", "written notice")):
        assert fact in confirmation, fact
    assert licences_taken(live_server, firm.key) == 0
    # The written notice, the fee computed from the standard: only with the box ticked.
    page.locator("input[name=confirm]").check()
    firm.submit(page.get_by_role("button", name=t("确认并发出书面通知", "Confirm and send the written notice")))
    assert "/licence" in page.url
    assert t("书面通知已送达专利权人", "Your written notice has reached the patentee") in firm.flash_text()
    record_url = page.url
    assert page.locator("h1 .badge").inner_text() == t("待付款", "Awaiting payment")

    # Pay by bank transfer: read the account, then upload the transfer slip on the deal page.
    firm.submit(page.get_by_role("link", name=t("付款", "Pay"), exact=True))
    pay_row = page.locator("#payments tbody tr").first
    firm.submit(pay_row.get_by_role("button", name=t("在线支付 / 转账信息", "Pay online / transfer details")))
    bank = page.locator("section[aria-labelledby=bank-title]")
    assert "沪北理工大学" in bank.inner_text()
    assert t("50,000.00 元", "¥50,000.00") in bank.inner_text()  # the exact amount to transfer
    firm.submit(page.get_by_role("link", name=t("返回交易", "Back to the deal")))
    pay_row = page.locator("#payments tbody tr").first
    pay_row.locator("input[type=file]").set_input_files(
        {"name": "转账回单.pdf", "mimeType": "application/pdf", "buffer": RECEIPT_PDF})
    firm.submit(pay_row.get_by_role("button", name=t("上传付款凭证", "Upload the receipt")))
    assert page.locator("#payments tbody tr").first.get_by_role("link", name=t("付款凭证", "Receipt")).count() == 1
    deal_url = page.url.split("#")[0]

    # The patentee finds the deal under "My deals" and confirms the money arrived.
    university = actors(PATENTEE)
    upage = university.page
    university.goto("/deals/")
    buyer_name = firm_name(live_server, firm.key)
    row = upage.locator("tbody tr").filter(has_text=buyer_name).first
    university.submit(row.locator("td a").first)
    assert upage.url.split("#")[0] == deal_url
    university.submit(upage.locator("#payments").get_by_role("link", name=t("确认收款", "Confirm receipt")))
    assert buyer_name in upage.locator(".confirm-lead").inner_text()  # from whom and how much, before it counts
    upage.locator("input[name=confirm]").check()
    university.submit(upage.get_by_role("button", name=t("确认已收款", "Confirm receipt")))
    assert upage.locator("#payments tbody tr").first.locator("td").nth(3).inner_text().startswith(
        t("已到账", "Paid"))

    # The enterprise's licence record: in force, filing deadline, and the papers.
    firm.goto(record_url.replace(live_server.url, ""))
    assert page.locator("h1 .badge").inner_text() == t("已取得许可", "Licensed")
    deal = licence_of(live_server, firm.key)
    deadline = page.locator(".filing-deadline").inner_text()
    assert deadline == deal["deadline"], (deadline, deal)
    assert deal["status"] == "LICENSED" and deal["price_fen"] == FEE_FEN and deal["paid_fen"] == FEE_FEN
    assert deal["licensed_on"] + timedelta(days=89) <= deal["deadline_date"] <= deal["licensed_on"] + timedelta(days=92)

    contract = page.get_by_role("link", name=t("开放许可合同", "Open-licence contract"))
    firm.submit(contract)
    assert APP_NO in page.locator("main").inner_text()
    page.go_back()
    firm.submit(page.get_by_role("link", name=t("备案材料", "Filing package")))
    filing = page.locator("main").inner_text()
    assert APP_NO in filing and deal["deadline"] in filing
    page.go_back()
    # The PDF opens in the browser's viewer; fetch it with the enterprise's own cookies instead.
    pdf = page.request.get(page.locator("a[href$='/filing-package.pdf']").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def firm_name(server, key: str) -> str:
    from market.accounts.models import User
    from market.core.extensions import db

    with server.app.app_context():
        return db.session.scalar(select(User).where(User.email == f"{key}@demo.psm.test")).organisation.name


def licences_taken(server, key: str) -> int:
    from listings.models import Patent
    from market.accounts.models import User
    from market.core.extensions import db
    from market.deals.models import Deal

    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{key}@demo.psm.test"))
        return len(db.session.scalars(select(Deal.id).join(Patent, Deal.patent_id == Patent.id).where(
            Patent.application_number == APP_NO, Deal.buyer_org_id == user.organisation_id)).all())


def licence_of(server, key: str) -> dict:
    """The enterprise's open licence on APP_NO as the database has it (the journey's end state)."""
    from listings.models import Patent
    from market.accounts.models import User
    from market.core.extensions import db
    from market.deals.models import Deal
    from market.payments.models import Payment

    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{key}@demo.psm.test"))
        deals = db.session.scalars(select(Deal).join(Patent, Deal.patent_id == Patent.id).where(
            Patent.application_number == APP_NO, Deal.buyer_org_id == user.organisation_id)).all()
        assert len(deals) == 1, deals
        deal = deals[0]
        paid = sum(p.amount_fen for p in db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
                   if p.status == "PAID")
        return {"status": deal.status, "price_fen": deal.price_fen, "paid_fen": paid,
                "licensed_on": deal.licensed_date, "deadline_date": deal.filing_deadline,
                "deadline": deal.filing_deadline.isoformat() if deal.filing_deadline else None}

