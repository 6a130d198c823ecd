"""Journey 4 (docs/product.md): a negotiated deal closes, end to end in the browser.

An enterprise asks a state-owned enterprise for an exclusive licence below the asking price; the
SOE counters; the enterprise accepts. The SOE records the approvals its rules require (its
collective decision, the asset evaluation and its approval or filing, R-ST-3), the contract is
signed, the enterprise pays by bank transfer and the SOE confirms receipt, and the licence is
filed with CNIPA. The database then holds one filed exclusive licence with its ledger, in order.
(An SOE, not a university: a university's negotiated price is publicised first, R-ST-1, and a
publicity runs its days on the server's clock, longer than a browser journey.)

Each variant takes another patent (two exclusive licences over one patent can never both close).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market.deals.approvals import BY_CODE
from tests.browser.conftest import VARIANTS

BUYER = {"zh-desktop": "lanqi", "en-desktop": "hengxin", "zh-phone": "qingqu", "en-phone": "ruiyan"}
RECEIPT_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
PDF = {"mimeType": "application/pdf", "buffer": RECEIPT_PDF}


def test_a_negotiated_exclusive_licence_closes(actors, variant, live_server):
    from market.core.time import today_local

    target = candidate(live_server)
    today = today_local()
    start, end = today + timedelta(days=30), today + timedelta(days=30 + 3 * 365)
    firm = actors(BUYER[variant.name])
    page, t = firm.page, firm.t

    # The enterprise asks from the patent page, below the asking price.
    firm.goto(f"/patents/{target['app_no']}")
    firm.submit(page.locator(".negotiated-deal-links a[href*='kind=LICENSE_EXCLUSIVE']"))
    asked = target["price_fen"] // 100 // 2
    page.locator("#new-price").fill(str(asked))
    page.locator("#new-start").fill(start.isoformat())
    page.locator("#new-end").fill(end.isoformat())
    page.locator("#new-territory").fill("中华人民共和国境内")
    page.locator("#new-msg").fill(t("我司拟在宝山基地独家实施。", "We mean to exploit it alone at our Baoshan site."))
    firm.submit(page.locator("form.deal-form").get_by_role("button", name=t("发起交易", "Request the deal")))
    assert "/deals/" in page.url
    deal_url = page.url.split("#")[0].split("?")[0]
    deal_path = deal_url.replace(live_server.url, "")

    # The SOE counters at a higher price.
    licensor = actors(target["seller_key"])
    upage = licensor.page
    licensor.goto(deal_path)
    countered = asked * 3 // 2
    upage.locator("#offers details.panel-sub summary").click()
    upage.locator("#counter-price").fill(str(countered))
    upage.locator("#counter-start").fill(start.isoformat())
    upage.locator("#counter-end").fill(end.isoformat())
    upage.locator("#counter-territory").fill("中华人民共和国境内")
    upage.locator("#counter-msg").fill(t("独占许可需覆盖我方放弃自行实施的收益。", "Exclusivity costs us our own use."))
    licensor.submit(upage.locator("#offers").get_by_role("button", name=t("发送报价", "Send the offer")))

    # The enterprise accepts the counter-offer, on a page that says with whom and for how much first.
    firm.goto(deal_path)
    firm.submit(page.locator("#offers").get_by_role("link", name=t("接受此报价", "Accept this offer")))
    lead = page.locator(".confirm-lead").inner_text()
    assert target["seller_name"] in lead and f"{countered:,}.00" in lead, lead
    page.locator("input[name=confirm]").check()
    firm.submit(page.get_by_role("button", name=t("确认接受", "Accept")))
    assert page.locator("#offers .badge-ok").count() == 1

    # The licensor records each approval its checklist asks for.
    licensor.goto(deal_path)
    recorded = []
    for _ in range(6):
        form = upage.locator("#approvals form.deal-form").first
        if not form.count():
            break
        code = form.get_attribute("action").rsplit("/", 1)[-1]
        fill_approval(upage, form, code, today, countered * 100)
        licensor.submit(form.get_by_role("button", name=t("登记", "Record")))
        recorded.append(code)
    assert recorded[:1] == ["DECISION"] and {"VALUATION", "VALUATION_FILED"} <= set(recorded), recorded
    assert upage.locator("#approvals .approval-step .badge-ok").count() == len(recorded)

    # Signature: each party confirms the same frozen text on the platform; a scan is only attached.
    licensor.goto(deal_path)
    licensor.submit(upage.locator("#sign").get_by_role("link", name=t("核对合同文本并签署", "Check the text and sign")))
    sha = upage.locator("input[name=sha256]").get_attribute("value")
    upage.locator("#sg-file").set_input_files({"name": "合同.pdf", **PDF})
    upage.locator("input[name=confirm]").check()
    licensor.submit(upage.get_by_role("button", name=t("确认签署", "Sign"), exact=True))
    firm.goto(deal_path)
    firm.submit(page.locator("#sign").get_by_role("link", name=t("核对合同文本并签署", "Check the text and sign")))
    assert page.locator("input[name=sha256]").get_attribute("value") == sha  # the same text for both
    page.locator("input[name=confirm]").check()
    firm.submit(page.get_by_role("button", name=t("确认签署", "Sign"), exact=True))

    # The enterprise pays by bank transfer; the licensor confirms.
    firm.goto(deal_path)
    row = page.locator("#payments tbody tr").first
    row.locator("input[type=file]").set_input_files({"name": "转账回单.pdf", **PDF})
    firm.submit(row.get_by_role("button", name=t("上传付款凭证", "Upload the receipt")))
    # The next step is now the licensor's: no "pay and upload" any more.
    steps = page.locator("#next-title").locator("xpath=..").inner_text()
    assert t("上传凭证", "upload the receipt") not in steps and t("等待收款方", "waiting for the payee") in steps, steps
    licensor.goto(deal_path)
    licensor.submit(upage.locator("#payments").get_by_role("link", name=t("确认收款", "Confirm receipt")))
    lead = upage.locator(".confirm-lead").inner_text()
    assert org_name(live_server, BUYER[variant.name]) in lead and f"{countered:,}.00" in lead, lead
    upage.locator("input[name=confirm]").check()
    licensor.submit(upage.get_by_role("button", name=t("确认已收款", "Confirm receipt")))

    # The licence is filed with CNIPA (the licensee records the filing).
    firm.goto(deal_path)
    record_no = f"202699000{list(VARIANTS).index(variant.name)}{target['deal_hint']:03d}"
    page.locator("#fl-no").fill(record_no)
    page.locator("#fl-date").fill(today.isoformat())
    firm.submit(page.locator("#filing").get_by_role("button", name=t("登记备案", "Record the filing")))
    assert record_no in page.locator("#filing").inner_text()

    state = deal_state(live_server, target["app_no"], BUYER[variant.name])
    assert state["kind"] == "LICENSE_EXCLUSIVE"
    assert state["status"] in ("FILED", "ACTIVE"), state
    assert state["price_fen"] == countered * 100
    assert state["paid_fen"] == countered * 100
    assert state["filing_record_no"] == record_no
    assert (state["start"], state["end"]) == (start, end)
    events = state["events"]
    n = len(recorded)
    assert sorted(events[4:4 + n]) == sorted(BY_CODE[code].ledger_kind for code in recorded), events
    # The receipt upload is a message line; the payment counts when the licensor confirms it.
    assert events[:4] + events[4 + n:] == ["REQUESTED", "OFFER", "OFFER", "ACCEPTED", "MESSAGE", "MESSAGE",
                                           "SIGNATURE", "PAYMENT_DUE", "MESSAGE", "PAYMENT", "FILING"], " ".join(events)

def fill_approval(page, form, code: str, today, price_fen: int) -> None:
    if code == "DECISION":
        form.locator("#dc-date").fill((today - timedelta(days=3)).isoformat())
        form.locator("#dc-file").set_input_files({"name": "校长办公会纪要.pdf", **PDF})
    elif code == "VALUATION_DECISION":
        form.locator("#vd-reason").fill("挂牌交易，以市场价格为参考，不另行评估。")
    elif code == "INVENTOR_WAIVER":
        form.locator("#iw-file").set_input_files({"name": "发明人放弃声明.pdf", **PDF})
    elif code == "VALUATION":
        form.locator("#val-appraiser").fill("上海演示资产评估有限公司")
        form.locator("#val-report").fill("演评报字[2026]第0001号")
        form.locator("#val-value").fill(f"{price_fen // 100}.{price_fen % 100:02d}")  # in 元; the agreed price may not be below it (R-ST-3)
        form.locator("#val-date").fill((today - timedelta(days=30)).isoformat())
        form.locator("#val-file").set_input_files({"name": "评估报告.pdf", **PDF})
    elif code == "VALUATION_FILED":
        form.locator("#vf-no").fill("沪国资评备2026第0001号")
        form.locator("#vf-date").fill((today - timedelta(days=2)).isoformat())
        form.locator("#vf-file").set_input_files({"name": "评估备案表.pdf", **PDF})
    else:
        raise AssertionError(f"the journey does not know how to record {code}")


def candidate(server) -> dict:
    """The first SOE listing (by id) at a fixed price that no deal or open licence touches yet."""
    from listings.models import Listing
    from market.accounts.models import Organisation, User
    from market.core.extensions import db
    from market.core.time import today_local
    from market.deals.models import Deal
    from market.deals.open_licence.models import OpenLicenceDeclaration

    with server.app.app_context():
        query = (select(Listing).join(Listing.organisation).where(
            Listing.status == "PUBLISHED", Organisation.org_type == "SOE",
            Listing.asking_price_fen.is_not(None)).order_by(Listing.id))
        for listing in db.session.scalars(query):
            patent = listing.patent
            if ("LICENSE_EXCLUSIVE" not in listing.modes or len(patent.owners) != 1 or patent.active_flags()
                    or not patent.last_protected_day or patent.last_protected_day < today_local() + timedelta(days=4 * 365)
                    or db.session.scalar(select(Deal.id).where(Deal.patent_id == patent.id).limit(1))
                    or db.session.scalar(select(OpenLicenceDeclaration.id).where(
                        OpenLicenceDeclaration.patent_id == patent.id).limit(1))):
                continue
            seller = db.session.scalars(select(User).where(User.organisation_id == listing.organisation_id)
                                        .order_by(User.id)).first()
            return {"app_no": patent.application_number, "price_fen": listing.asking_price_fen,
                    "seller_key": seller.email.split("@")[0], "deal_hint": listing.id,
                    "seller_name": listing.organisation.name}
        raise AssertionError("the demo catalogue has no listing left for an exclusive licence")


def deal_state(server, app_no: str, buyer_key: str) -> dict:
    from listings.models import Patent
    from market.accounts.models import User
    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.payments.models import Payment

    with server.app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == f"{buyer_key}@demo.psm.test"))
        deal = db.session.scalar(select(Deal).join(Patent, Deal.patent_id == Patent.id).where(
            Patent.application_number == app_no, Deal.buyer_org_id == buyer.organisation_id))
        events = list(db.session.scalars(select(DealEvent.kind).where(DealEvent.deal_id == deal.id).order_by(DealEvent.seq)))
        paid = sum(p.amount_fen for p in db.session.scalars(select(Payment).where(Payment.deal_id == deal.id))
                   if p.status == "PAID")
        return {"kind": deal.kind, "status": deal.status, "price_fen": deal.price_fen, "paid_fen": paid,
                "filing_record_no": deal.filing_record_no, "start": deal.start_date, "end": deal.end_date,
                "events": events}


def test_a_refused_deal_request_keeps_its_input_and_names_every_problem(actors, variant, live_server):
    """Issue 15 §6: a bad amount and a term that ends before it starts, both named beside their fields at once,
    in the page's language, with everything typed still there."""
    from market.core.time import today_local

    firm = actors(BUYER[variant.name])
    page, t = firm.page, firm.t
    listing_id = licence_listing(live_server, BUYER[variant.name])
    firm.goto(f"/deals/new?listing={listing_id}&kind=LICENSE_ORDINARY")
    start = today_local() + timedelta(days=10)
    page.locator("#new-price").fill("12.345")
    page.locator("#new-start").fill(start.isoformat())
    page.locator("#new-end").fill((start - timedelta(days=1)).isoformat())
    page.locator("#new-territory").fill(t("上海市宝山区", "Baoshan, Shanghai"))
    page.locator("#new-msg").fill(t("请报最低价。", "Your best price, please."))
    response = firm.submit(page.get_by_role("button", name=t("发起交易", "Request the deal")), expect_ok=False)
    assert response.status == 422
    assert page.locator("#new-price").input_value() == "12.345"
    assert page.locator("#new-start").input_value() == start.isoformat()
    assert page.locator("#new-territory").input_value() == t("上海市宝山区", "Baoshan, Shanghai")
    assert page.locator("#new-msg").input_value() == t("请报最低价。", "Your best price, please.")
    assert t("两位小数", "two decimals") in page.locator("#new-price-error").inner_text()
    assert t("结束日不能早于开始日", "cannot end before it starts") in page.locator("#new-end-error").inner_text()
    assert page.locator("#new-price").get_attribute("aria-invalid") == "true"


def licence_listing(server, buyer_key: str) -> int:
    """A published listing offering an ordinary licence, of another organisation than the buyer's."""
    from listings.models import Listing
    from market.accounts.models import User
    from market.core.extensions import db

    with server.app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == f"{buyer_key}@demo.psm.test"))
        for listing in db.session.scalars(select(Listing).where(Listing.status == "PUBLISHED").order_by(Listing.id)):
            if "LICENSE_ORDINARY" in listing.modes and listing.organisation_id != buyer.organisation_id:
                return listing.id
        raise AssertionError("the demo has no listing offering an ordinary licence")


def org_name(server, key: str) -> str:
    from market.accounts.models import User
    from market.core.extensions import db

    with server.app.app_context():
        return db.session.scalar(select(User).where(User.email == f"{key}@demo.psm.test")).organisation.name
