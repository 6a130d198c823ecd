"""The written notice an open licensee sends the patentee (PL 51 ¶1)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from market.core.errors import DomainError
from market.deals.documents.model import Document, Section, _beijing, _day, _tr, contract_number, notice_event
from market.deals.fees import FeeTerms
from market.deals.models import Deal
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import (
    DealKind,
)

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.deals.open_licence.models import OpenLicenceDeclaration


# -- the written notice ----------------------------------------------------------------------

def notice_text(deal: Deal, decl: OpenLicenceDeclaration, user: User | None, today: date) -> str:
    """书面通知 (PL 51 ¶1): the licensee's notice to the patentee, fixed when it is delivered."""
    p = deal.patent
    buyer = deal.buyer
    terms = FeeTerms.from_dict(deal.fee_terms)
    lines = [
        "开放许可书面通知",
        f"致：{'、'.join(decl.patentees or p.owner_names)}",
        f"依据《中华人民共和国专利法》第五十一条第一款，{buyer.name}（统一社会信用代码：{buyer.uscc or '—'}；"
        f"住所：{buyer.address or '—'}）书面通知贵方：",
        f"本单位接受贵方于{_day(decl.announce_date)}公告（公告卷期：{decl.gazette_issue or '—'}）的开放许可声明，"
        f"实施专利号为{p.patent_no}、名称为《{p.title}》的专利，",
        f"并按声明公告的许可使用费支付方式和标准支付许可使用费：{terms.describe('zh')}。",
        f"许可期限：{_day(deal.start_date)}至{_day(deal.end_date)}；实施地域：{deal.territory}。",
        "本单位将依声明履行付款及提成报告义务，并依法办理许可合同备案。",
        f"通知人：{buyer.name}" + (f"（经办人：{user.name}）" if user is not None else ""),
        f"许可编号：{contract_number(deal)}",
        f"日期：{today.isoformat()}",
    ]
    return "\n".join(lines)


def notice(deal: Deal, lang: str = "zh") -> Document:
    """The notice as delivered (its text and hash come from the ledger, so they never change)."""
    t = _tr(lang)
    event = notice_event(deal)
    if deal.kind != DealKind.OPEN_LICENSE or event is None:
        raise DomainError("documents.no_notice", "该交易没有书面通知。", "This deal has no written notice.", status=404)
    ev = event.evidence or {}
    lines = (ev.get("notice_text") or "").splitlines()
    rows = [(t("送达方式", "Delivered by"), t("平台站内送达专利权人", "In-app delivery to the patentee")),
            (t("送达时间（北京时间）", "Delivered at (Beijing time)"), _beijing(ev.get("delivered_at"))),
            (t("通知文本的数字指纹（SHA-256）", "Fingerprint of the notice text (SHA-256)"), ev.get("notice_sha256", "—")),
            (t("账本记录", "Ledger line"), f"#{event.seq}")]
    notes = []
    if lang == "en":
        notes.append("The notice was delivered in Chinese; the text above is the delivered text.")
    return Document("notice", lines[0] if lines else t("书面通知", "Written notice"), contract_number(deal), lang,
                    sections=[Section("", paragraphs=lines[1:]),
                              Section(t("送达证明", "Proof of delivery"), rows=rows)], notes=notes)
