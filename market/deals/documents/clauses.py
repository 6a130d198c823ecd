"""The contract's performance clauses that CC 845 ¶1 and CNIPA's model licence contract list besides
price and term: technical materials and guidance with their acceptance, later improvements,
confidentiality and liability for breach. Each states the statutory default, which applies where the
parties agreed nothing else (their own words go to 其他约定); never commits, pure text.
"""

from __future__ import annotations

from market.deals.documents.model import Section, _tr
from market.deals.models import Deal
from market.deals.vocabulary import LICENCE_KINDS, DealKind


def performance_clauses(deal: Deal, lang: str) -> list[tuple[tuple[str, str], list[str]]]:
    """(heading zh/en, paragraphs) in contract order; the caller numbers them."""
    t = _tr(lang)
    kind = DealKind(deal.kind)
    licence = kind in LICENCE_KINDS or kind == DealKind.OPEN_LICENSE
    out = []
    if licence:
        out.append((("技术资料、技术指导与验收", "Technical materials, guidance and acceptance"), [
            t("许可方应按约定许可被许可方实施专利，交付实施专利有关的技术资料，并提供必要的技术指导（民法典第866条）。",
              "Party A licenses the patent as agreed, delivers the technical materials for working it and gives "
              "the necessary technical guidance (Civil Code art. 866)."),
            t("被许可方收到技术资料后应及时核对清点并书面确认，作为验收；资料不全或与专利不符的，应在收到之日起三十日内"
              "书面提出，许可方应予补交或更正。另行约定的技术服务、咨询或培训，其内容、费用和验收标准以双方书面约定为准。",
              "Party B checks the materials on receipt and confirms them in writing as acceptance; missing or "
              "non-matching materials are claimed in writing within 30 days of receipt and Party A supplies or "
              "corrects them. Technical services, consulting or training agreed separately follow the written "
              "terms the parties set for their content, fee and acceptance.")]))
        out.append((("后续改进", "Later improvements"), [
            t("双方可以按照互利的原则约定后续改进技术成果的分享办法；没有约定或者约定不明确的，一方后续改进的技术成果，"
              "其他各方无权分享（民法典第875条）。",
              "The parties may agree how improvements are shared; absent agreement, an improvement belongs to the "
              "party that made it and the other has no share (Civil Code art. 875).")]))
    elif kind == DealKind.TRANSFER:
        out.append((("技术资料交付与验收", "Delivery of technical materials and acceptance"), [
            t("转让方应在转让登记后交付与专利有关的技术资料，受让方核对清点后书面确认，作为验收。",
              "Party A delivers the technical materials of the patent after registration; Party B checks them and "
              "confirms in writing as acceptance.")]))
    out.append((("保密", "Confidentiality"), [
        t("双方对履行本合同中知悉的对方技术秘密和经营信息负有保密义务，未经对方书面同意不得向第三方披露；"
          "本条在合同终止后继续有效（民法典第501条、第868条、第869条）。",
          "Each party keeps confidential the other's technical secrets and business information learned in "
          "performing this contract and does not disclose them to third parties without written consent; this "
          "survives the contract (Civil Code arts. 501, 868, 869).")]))
    breach = [t("一方不履行合同义务或者履行不符合约定的，应当承担继续履行、采取补救措施或者赔偿损失等违约责任"
                "（民法典第577条）。",
                "A party that fails to perform or performs not as agreed bears liability for breach: performance, "
                "remedial measures or compensation for losses (Civil Code art. 577).")]
    if licence:
        breach.append(t("许可方未按约定许可被许可方实施专利的，应当返还部分或者全部使用费并承担违约责任；被许可方未按约定"
                        "支付使用费的，应当补交使用费并按约定支付违约金，不补交的，应当停止实施专利、交还技术资料并承担"
                        "违约责任（民法典第872条、第873条）。",
                        "If Party A fails to license as agreed it refunds part or all of the fee and is liable; if "
                        "Party B fails to pay it pays the arrears and any agreed penalty, and otherwise stops working "
                        "the patent, returns the materials and is liable (Civil Code arts. 872, 873)."))
    out.append((("违约责任", "Liability for breach"), breach))
    return out


def numbered(deal: Deal, first: int, lang: str, cn) -> list[Section]:
    """The clauses as sections numbered from `first` (`cn` writes the Chinese numeral)."""
    t = _tr(lang)
    return [Section(t(f"第{cn(first + i)}条 {zh}", f"Article {first + i}. {en}"), paragraphs=paragraphs)
            for i, ((zh, en), paragraphs) in enumerate(performance_clauses(deal, lang))]
