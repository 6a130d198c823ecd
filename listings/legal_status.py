"""Map CNIPA legal-status events onto legal_status, lapse_reason and encumbrance flags (§1.5)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from listings.vocabulary import Encumbrance, LapseReason, LegalStatus

E = Encumbrance


@dataclass(frozen=True)
class StatusChange:
    """What one register event does to a patent; `recognised=False`: the caller reports it."""

    legal_status: LegalStatus | None = None
    lapse_reason: LapseReason | None = None
    flags_on: frozenset[Encumbrance] = frozenset()
    flags_off: frozenset[Encumbrance] = frozenset()
    recognised: bool = True
    transfer: bool = False
    restores: bool = False
    note: str = ""
    # The register item's family (licence, open_licence, pledge, preservation, suspension) and
    # whether it takes effect ("on") or ends ("off"); the register import acts on both.
    family: str = ""
    action: str = ""


@dataclass
class StatusFold:
    """The state after folding a patent's events; flags keep their last registered state."""

    legal_status: LegalStatus | None = None
    lapse_reason: LapseReason | None = None
    flags: set[Encumbrance] = field(default_factory=set)
    status_date: date | None = None
    transfers: list[date] = field(default_factory=list)
    unrecognised: list[tuple[date, str]] = field(default_factory=list)


def _lapse(reason: LapseReason | None, note: str) -> StatusChange:
    return StatusChange(LegalStatus.LAPSED, reason, note=note)


# CNIPA groups register items under headings that name every action ("…的生效、变更及注销",
# "…及其解除"); the heading alone does not say which one happened, so it is removed before
# looking for the action word and, if nothing else says, the event is reported, not guessed.
_HEADINGS = ("生效、变更及注销", "生效、变更、注销", "生效,变更及注销", "及其解除")
_OFF_WORDS = ("注销", "解除", "撤回", "撤销", "结束", "终止", "失效", "恢复")

# (keywords, any of which names the family, flags it sets) — licence contracts come before open
# licences because a licence taken under an open licence is an ordinary licence contract.
_FAMILIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("许可合同", "实施合同", "许可备案"), "licence"),
    (("开放许可",), "open_licence"),
    (("质押", "出质"), "pledge"),
    (("保全",), "preservation"),
    (("中止",), "suspension"),
)
_FAMILY_FLAGS = {
    "open_licence": frozenset({E.OPEN_LICENSE}),
    "pledge": frozenset({E.PLEDGED}),
    "preservation": frozenset({E.PRESERVED}),
    "suspension": frozenset({E.SUSPENDED}),
}
_FAMILY_NOTES = {
    "licence": "许可合同备案", "open_licence": "开放许可声明", "pledge": "质押登记",
    "preservation": "专利权保全", "suspension": "程序中止（权属纠纷）",
}


def _family_change(text: str, licence_kind: str | None = None) -> StatusChange | None:
    family = next((name for words, name in _FAMILIES if any(w in text for w in words)), None)
    if family is None:
        return None
    residual = text
    for heading in _HEADINGS:
        residual = residual.replace(heading, "")
    note = _FAMILY_NOTES[family]
    if any(w in residual for w in _OFF_WORDS):
        action = "off"
    elif "变更" in residual:
        return StatusChange(note=note + "变更（无状态变化）")
    elif residual != text and "生效" not in residual:
        return StatusChange(recognised=False, note=note + "：事件名未说明是生效还是注销/解除")
    else:
        action = "on"

    if family == "licence":
        kind = licence_kind_of(text, licence_kind)
        kind_flags = (frozenset({E.EXCLUSIVE_LICENSE}) if kind == "EXCLUSIVE"
                      else frozenset({E.SOLE_LICENSE}) if kind == "SOLE" else frozenset())
        if action == "on":
            return StatusChange(flags_on=kind_flags, note=note + ("生效" if kind_flags else "生效（普通许可）"),
                                family=family, action=action)
        # An exclusive or sole licence excludes any other licensee, so a cancelled licence of
        # unstated kind ends whichever of the two was registered.
        return StatusChange(flags_off=kind_flags or frozenset({E.EXCLUSIVE_LICENSE, E.SOLE_LICENSE}),
                            note=note + "注销", family=family, action=action)
    flags = _FAMILY_FLAGS[family]
    if action == "on":
        return StatusChange(flags_on=flags, note=note, family=family, action=action)
    return StatusChange(flags_off=flags, note=note + "结束", family=family, action=action)


def licence_kind_of(text: str, stated: str | None = None) -> str:
    """EXCLUSIVE (独占), SOLE (排他) or ORDINARY: the event's own words, else its kind column."""
    if "独占" in text:
        return "EXCLUSIVE"
    if "排他" in text:
        return "SOLE"
    return stated or "ORDINARY"


def _invalidation_change(text: str) -> StatusChange | None:
    if "全部无效" in text:
        return StatusChange(LegalStatus.LAPSED, LapseReason.INVALIDATED,
                            flags_off=frozenset({E.INVALIDATION_PENDING}), note="专利权全部无效")
    if "部分无效" in text:
        return StatusChange(flags_on=frozenset({E.PARTIALLY_INVALID}),
                            flags_off=frozenset({E.INVALIDATION_PENDING}), note="专利权部分无效")
    if "维持" in text and "有效" in text:
        return StatusChange(LegalStatus.VALID, flags_off=frozenset({E.INVALIDATION_PENDING}),
                            note="维持专利权有效")
    if "无效" not in text:
        return None
    if any(w in text for w in ("撤回", "终止", "结束")):
        return StatusChange(flags_off=frozenset({E.INVALIDATION_PENDING}), note="无效宣告程序结束")
    return StatusChange(flags_on=frozenset({E.INVALIDATION_PENDING}), note="无效宣告请求审查中")


# Checked in order: lapse events quote "授权公告日" and "申请公布" in their details, so they
# must win over the grant and publication words.
_SIMPLE_RULES: tuple[tuple[tuple[str, ...], StatusChange], ...] = (
    (("期限补偿",), StatusChange(flags_on=frozenset({E.TERM_EXTENDED}), note="专利权期限补偿")),
    (("期限延长",), StatusChange(flags_on=frozenset({E.TERM_EXTENDED}), note="专利权期限补偿")),
    (("驳回", "撤销"), StatusChange(restores=True, note="驳回决定被撤销，申请恢复审查")),
    (("恢复",), StatusChange(restores=True, note="权利恢复")),
    (("未缴年费",), _lapse(LapseReason.FEE_UNPAID, "未缴年费专利权终止")),
    (("年费", "终止"), _lapse(LapseReason.FEE_UNPAID, "未缴年费专利权终止")),
    (("届满",), _lapse(LapseReason.EXPIRED, "专利权期限届满")),
    (("放弃",), _lapse(LapseReason.ABANDONED, "放弃")),
    (("驳回",), _lapse(LapseReason.REJECTED, "申请被驳回")),
    (("撤回",), _lapse(LapseReason.WITHDRAWN, "申请撤回或视为撤回")),
    (("终止",), _lapse(None, "专利权终止（原因未注明）")),
    (("授权",), StatusChange(LegalStatus.VALID, note="授权")),
    (("授予",), StatusChange(LegalStatus.VALID, note="授权")),
    (("专利权维持",), StatusChange(LegalStatus.VALID, note="专利权维持")),
    (("实质审查",), StatusChange(LegalStatus.PENDING, note="实质审查")),
    (("公布",), StatusChange(LegalStatus.PENDING, note="申请公布")),
    (("公开",), StatusChange(LegalStatus.PENDING, note="申请公开")),
    (("受理",), StatusChange(LegalStatus.PENDING, note="申请受理")),
    (("初审",), StatusChange(LegalStatus.PENDING, note="初步审查")),
    (("著录事项",), StatusChange(note="著录事项变更（无状态变化）")),
    (("变更",), StatusChange(note="著录事项变更（无状态变化）")),
    (("更正",), StatusChange(note="更正（无状态变化）")),
)


def map_cnipa_event(event: str, licence_kind: str | None = None) -> StatusChange:
    """Map one CNIPA legal-status event name (optionally with detail text) onto a StatusChange.

    `licence_kind` is the register row's licence kind column, for event names that do not say it.
    """
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", event or ""))
    if not text:
        return StatusChange(recognised=False, note="空的法律状态事件")
    if "转移" in text or "转让" in text:
        return StatusChange(transfer=True, note="专利申请权、专利权的转移（无状态变化）", family="transfer",
                            action="on")
    change = _family_change(text, licence_kind) or _invalidation_change(text)
    if change is not None:
        return change
    for words, rule in _SIMPLE_RULES:
        if all(w in text for w in words):
            return rule
    return StatusChange(recognised=False, note=f"未识别的法律状态事件：{text}")


def apply_events(events: list[tuple[date, str]] | list[tuple[date, str, str | None]], *,
                 last_protected_day: date | None = None) -> StatusFold:
    """Fold (date, event[, licence kind]) tuples, in date order, into the final status, lapse reason and flags."""
    fold = StatusFold()
    before_lapse: LegalStatus | None = None
    for when, event, *kind in sorted(events, key=lambda item: item[0]):
        change = map_cnipa_event(event, kind[0] if kind else None)
        if not change.recognised:
            fold.unrecognised.append((when, event))
            continue
        if change.transfer:
            fold.transfers.append(when)
        if change.restores and fold.legal_status is LegalStatus.LAPSED:
            fold.legal_status, fold.lapse_reason, fold.status_date = before_lapse, None, when
        new = change.legal_status
        # Publication and examination records are often dated after the grant in exports;
        # they must not turn a granted or lapsed patent back into an application.
        if new is LegalStatus.PENDING and fold.legal_status not in (None, LegalStatus.PENDING):
            new = None
        if new is not None:
            if new is LegalStatus.LAPSED and fold.legal_status is not LegalStatus.LAPSED:
                before_lapse = fold.legal_status
            reason = change.lapse_reason if new is LegalStatus.LAPSED else None
            # A termination that does not state its cause and is recorded once the term has
            # run out is taken as expiry; earlier ones keep an unknown reason.
            if (new is LegalStatus.LAPSED and reason is None and last_protected_day is not None
                    and when >= last_protected_day):
                reason = LapseReason.EXPIRED
            fold.legal_status, fold.lapse_reason, fold.status_date = new, reason, when
        fold.flags -= change.flags_off
        fold.flags |= change.flags_on
    return fold
