"""Journey 1 (docs/product.md): a university lists its portfolio, end to end in the browser.

The university uploads a CNIPA-style CSV export in GBK with three patents, one of them with a
mistyped check character; the import takes two and rejects the third with the reason, naming the
right character. The university downloads the rejected rows, fixes the number as the reason says,
uploads the fixed file, sets the modes and price of the listings, submits them, and the point's
operator approves them: all three are on the shelf and found by search.
"""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from listings.numbers import check_character

# Per variant: the university, the point its listings go to, that point's operator, a serial block.
SETUP = {
    "zh-desktop": ("pjmu", "浦江之光专利超市·生物医药创新港店", "Pujiang Light Patent Supermarket · Biomedicine Innovation Harbour", "op-qiheng", 10),
    "en-desktop": ("cjau", "浦江之光专利超市·现代农业科技园店", "Pujiang Light Patent Supermarket · Modern Agriculture Science Park", "op-qiheng", 20),
    "zh-phone": ("sjie", "浦江之光专利超市·区知识产权服务中心店", "Pujiang Light Patent Supermarket · District IP Service Centre", "op-pujiang", 30),
    "en-phone": ("scmu", "浦江之光专利超市·新材料产业基地店", "Pujiang Light Patent Supermarket · New Materials Industrial Base", "op-pujiang", 40),
}
HEADERS = ["申请号", "名称", "摘要", "申请日", "授权公告日", "主分类号", "申请（专利权）人", "发明（设计）人", "法律状态"]
TOPICS = [("一种可降解镁合金骨钉及其制备方法", "A61L 31/02", "该骨钉由镁锌钙合金经挤压成形，表面经微弧氧化处理以控制降解速率。"),
          ("一种稻田甲烷排放原位监测装置", "G01N 33/00", "该装置包括静态箱、气体采样泵和红外分析模块，可连续监测稻田甲烷通量。"),
          ("一种基于声发射的管道泄漏定位方法", "G01M 3/24", "该方法采集管道两端的声发射信号，通过互相关计算泄漏点位置。")]


def numbers(block: int) -> list[str]:
    out = []
    for i in range(3):
        digits = f"2019{1}{9300000 + block * 10 + i:07d}"
        out.append(f"{digits}.{check_character(digits)}")
    return out


def wrong(number: str) -> str:
    digits, right = number.split(".")
    return f"{digits}.{'1' if right != '1' else '2'}"


def gbk_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


def test_a_university_lists_its_portfolio(actors, variant, live_server):
    key, point_zh, point_en, operator_key, block = SETUP[variant.name]
    good = numbers(block)
    university = actors(key)
    page, t = university.page, university.t
    owner = org_name(live_server, key)
    rows = [[number if i != 2 else wrong(number), title, abstract, "2019-03-1%d" % i, "2021-06-2%d" % i, ipc,
             owner, "张三;李四", "有效"] for i, (number, (title, ipc, abstract)) in enumerate(zip(good, TOPICS))]

    # Upload the GBK file from the Import page, to go to the university's point as drafts.
    university.goto("/my/listings")
    university.submit(page.locator("nav.mainnav").get_by_role("link", name=t("导入", "Import")))
    page.locator("#f-file").set_input_files({"name": "专利清单.csv", "mimeType": "text/csv", "buffer": gbk_csv(rows)})
    page.locator("#f-point_id").select_option(label=t(point_zh, point_en))
    university.submit(page.get_by_role("button", name=t("上传并预览", "Upload and preview")))

    # The preview: the encoding was recognised and the bad row is flagged before anything is written.
    assert "GB" in page.locator("main header .muted").inner_text().upper()
    assert page.locator("table.table-preview tr.row-bad").count() == 1
    assert page.locator("table.table-preview tr.row-ok").count() == 2
    university.submit(page.get_by_role("button", name=t("开始导入 3 行", "Import 3 rows")))

    stats = [s.inner_text() for s in page.locator(".stat-grid .stat-num").all()]
    # new patents, updated, duplicate rows, rejected rows (these four add up to the rows), new listings
    assert stats == ["2", "0", "0", "1", "2"], stats
    reason = page.locator("section[aria-labelledby=rej-title] tbody tr").inner_text()
    assert wrong(good[2]) in reason or wrong(good[2]).split(".")[0] in reason, reason

    # Download the rejected rows; fix the number as the reason says; upload the file again.
    with page.expect_download() as download:
        page.get_by_role("link", name=t("下载被拒绝的行（可修改后重新导入）", "Download the rejected rows (fix and re-import)")).click()
    raw = download.value.path().read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
    rejected = list(csv.reader(io.StringIO(text)))
    assert len(rejected) == 2, rejected  # the header and the one rejected row
    header, row = rejected
    why = row[1]
    named = re.search(r"(?:应为|should be|correct[^0-9X]*)[^0-9X]*([0-9X])", why)
    assert named, why
    number_col = header.index("申请号")
    digits = row[number_col].split(".")[0]
    row[number_col] = f"{digits}.{named.group(1)}"
    assert row[number_col] == good[2]
    fixed = io.StringIO()
    csv.writer(fixed).writerows([header, row])
    university.submit(page.locator("main").get_by_role("link", name=t("再导入一个文件", "Import another file")))
    page.locator("#f-file").set_input_files({"name": "专利清单-修正.csv", "mimeType": "text/csv",
                                             "buffer": fixed.getvalue().encode("gbk")})
    page.locator("#f-point_id").select_option(label=t(point_zh, point_en))
    university.submit(page.get_by_role("button", name=t("上传并预览", "Upload and preview")))
    university.submit(page.get_by_role("button", name=t("开始导入 1 行", "Import 1 rows")))
    stats = [s.inner_text() for s in page.locator(".stat-grid .stat-num").all()]
    assert stats == ["1", "0", "0", "0", "1"], stats
    assert page.locator(".notice-success").inner_text() == t("所有行均已导入。", "Every row was imported.")

    # Modes and price of the fixed one: an exclusive licence too, at 30万元.
    university.submit(page.locator("main").get_by_role("link", name=t("查看我的挂牌", "My listings")))
    listing_row = page.locator("table.table-listings tbody tr").filter(has_text=good[2])
    university.submit(listing_row.get_by_role("link", name=t("编辑", "Edit")))
    page.locator("fieldset#f-modes input[value=LICENSE_EXCLUSIVE]").check()
    page.locator("#f-asking_price_yuan").fill("300000")
    university.submit(page.get_by_role("button", name=t("保存修改", "Save changes")))

    # Submit the three drafts for review.
    university.goto("/my/listings")
    for number in good:
        listing_row = page.locator("table.table-listings tbody tr").filter(has_text=number)
        university.submit(listing_row.get_by_role("button", name=t("提交审核", "Submit")))
        # The columns: the bulk-action tick, the patent, its status...
        assert page.locator("table.table-listings tbody tr").filter(has_text=number).locator("td").nth(2).inner_text() == \
            t("待审核", "Submitted for review")

    # The point's operator approves them from the review queue.
    operator = actors(operator_key)
    opage = operator.page
    operator.goto("/")
    operator.submit(opage.locator("nav.mainnav").get_by_role("link", name=t("审核", "Review")))
    for number in good:
        item = opage.locator("li.review-item").filter(has_text=number)
        assert item.locator("dd").filter(has_text=owner).count() >= 1
        operator.submit(item.get_by_role("button", name=t("通过并上架", "Approve and publish")))
        assert opage.locator("li.review-item").filter(has_text=number).count() == 0

    # On the shelf: anyone finds them by their words.
    visitor = actors(None)
    visitor.goto(f"/search?q={TOPICS[2][0]}&lang={variant.lang}")
    assert visitor.page.locator("article.listing-card").filter(has_text=good[2]).count() == 1
    assert listings_of(live_server, good) == {
        good[0]: ("PUBLISHED", ["TRANSFER", "LICENSE_ORDINARY"], None),
        good[1]: ("PUBLISHED", ["TRANSFER", "LICENSE_ORDINARY"], None),
        good[2]: ("PUBLISHED", ["TRANSFER", "LICENSE_ORDINARY", "LICENSE_EXCLUSIVE"], 30_000_000),
    }


def org_name(server, key: str) -> str:
    from market.accounts.models import User
    from market.core.extensions import db

    with server.app.app_context():
        return db.session.scalar(select(User).where(User.email == f"{key}@demo.psm.test")).organisation.name


def listings_of(server, app_numbers: list[str]) -> dict:
    from listings.models import Listing, Patent
    from market.core.extensions import db

    with server.app.app_context():
        found = db.session.execute(select(Patent.application_number, Listing).join(Listing, Listing.patent_id == Patent.id)
                                   .where(Patent.application_number.in_(app_numbers))).all()
        return {number: (listing.status, sorted(listing.modes, key=["TRANSFER", "LICENSE_ORDINARY", "LICENSE_EXCLUSIVE"].index),
                         listing.asking_price_fen) for number, listing in found}
