"""Mapping CNIPA legal-status events onto status, lapse reason and encumbrance flags (§1.5)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from listings.legal_status import StatusChange, apply_events, map_cnipa_event
from listings.vocabulary import Encumbrance as E
from listings.vocabulary import LapseReason, LegalStatus

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _jsonl(relative: str) -> list[dict]:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (../shared/data is absent)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- status events ---------------------------------------------------------------------------

@pytest.mark.parametrize("event, status", [
    ("实质审查的生效", LegalStatus.PENDING),
    ("发明专利申请公布", LegalStatus.PENDING),
    ("公开", LegalStatus.PENDING),
    ("授权", LegalStatus.VALID),
    ("发明专利权授予", LegalStatus.VALID),
    ("实用新型专利权授予", LegalStatus.VALID),
    ("专利权维持", LegalStatus.VALID),
])
def test_examination_and_grant_events_set_the_status(event, status):
    change = map_cnipa_event(event)
    assert change.recognised
    assert change.legal_status is status
    assert change.lapse_reason is None


@pytest.mark.parametrize("event, reason", [
    ("期限届满", LapseReason.EXPIRED),
    ("专利权有效期届满", LapseReason.EXPIRED),
    ("未缴年费专利权终止", LapseReason.FEE_UNPAID),
    ("专利权的终止 未缴年费专利权终止 IPC(主分类)：A01K 67/027 授权公告日：2010.1.6",
     LapseReason.FEE_UNPAID),
    ("放弃", LapseReason.ABANDONED),
    ("避免重复授权放弃专利权", LapseReason.ABANDONED),
    ("驳回", LapseReason.REJECTED),
    ("发明专利申请公布后的驳回", LapseReason.REJECTED),
    ("撤回", LapseReason.WITHDRAWN),
    ("视为撤回", LapseReason.WITHDRAWN),
    ("发明专利申请公布后的撤回", LapseReason.WITHDRAWN),
    ("发明专利申请公布后的视为撤回", LapseReason.WITHDRAWN),
    ("全部无效", LapseReason.INVALIDATED),
    ("宣告专利权全部无效", LapseReason.INVALIDATED),
])
def test_lapse_events_give_status_and_reason(event, reason):
    change = map_cnipa_event(event)
    assert change.recognised
    assert change.legal_status is LegalStatus.LAPSED
    assert change.lapse_reason is reason


def test_bare_termination_lapses_with_unknown_reason():
    change = map_cnipa_event("专利权的终止")
    assert change.legal_status is LegalStatus.LAPSED
    assert change.lapse_reason is None


# --- encumbrance flags -----------------------------------------------------------------------

@pytest.mark.parametrize("event, flag", [
    ("质押合同登记生效", E.PLEDGED),
    ("专利权质押合同登记的生效", E.PLEDGED),
    ("开放许可声明", E.OPEN_LICENSE),
    ("专利权保全", E.PRESERVED),
    ("中止", E.SUSPENDED),
    ("专利申请权、专利权的中止", E.SUSPENDED),
    ("无效宣告", E.INVALIDATION_PENDING),
    ("专利权无效宣告请求", E.INVALIDATION_PENDING),
    ("部分无效", E.PARTIALLY_INVALID),
    ("专利权期限补偿", E.TERM_EXTENDED),
    ("独占许可合同备案生效", E.EXCLUSIVE_LICENSE),
    ("专利实施许可合同备案的生效 许可种类：独占许可", E.EXCLUSIVE_LICENSE),
    ("专利实施许可合同备案的生效（排他许可）", E.SOLE_LICENSE),
])
def test_encumbrance_events_switch_a_flag_on(event, flag):
    change = map_cnipa_event(event)
    assert change.recognised
    assert flag in change.flags_on
    assert change.legal_status in (None, LegalStatus.LAPSED)


@pytest.mark.parametrize("event, flag", [
    ("质押合同登记注销", E.PLEDGED),
    ("专利权质押合同登记的注销", E.PLEDGED),
    ("开放许可声明撤回", E.OPEN_LICENSE),
    ("专利权保全解除", E.PRESERVED),
    ("中止解除", E.SUSPENDED),
    ("维持专利权有效", E.INVALIDATION_PENDING),
    ("无效宣告请求的撤回", E.INVALIDATION_PENDING),
    ("全部无效", E.INVALIDATION_PENDING),
    ("部分无效", E.INVALIDATION_PENDING),
    ("独占许可合同备案注销", E.EXCLUSIVE_LICENSE),
])
def test_ending_events_switch_a_flag_off(event, flag):
    change = map_cnipa_event(event)
    assert change.recognised
    assert flag in change.flags_off
    assert flag not in change.flags_on


def test_withdrawing_an_open_licence_is_not_withdrawing_the_application():
    assert map_cnipa_event("开放许可声明撤回").legal_status is None


def test_ordinary_licence_filing_is_recognised_without_a_flag():
    change = map_cnipa_event("许可合同备案生效")
    assert change.recognised
    assert not change.flags_on and change.legal_status is None


def test_cancelled_licence_of_unstated_kind_ends_exclusive_and_sole():
    change = map_cnipa_event("专利实施许可合同备案的注销")
    assert change.flags_off == {E.EXCLUSIVE_LICENSE, E.SOLE_LICENSE}


def test_licence_under_an_open_licence_is_an_ordinary_licence():
    change = map_cnipa_event("开放许可实施合同备案")
    assert change.recognised and not change.flags_on


@pytest.mark.parametrize("event", ["专利权质押合同登记的变更", "专利实施许可合同备案的变更"])
def test_changed_registrations_keep_their_flags(event):
    change = map_cnipa_event(event)
    assert change.recognised and not change.flags_on and not change.flags_off


@pytest.mark.parametrize("event", [
    "专利权质押合同登记的生效、变更及注销",
    "专利实施许可合同备案的生效、变更及注销",
    "专利权的保全及其解除",
])
def test_bare_grouped_headings_are_reported_not_guessed(event):
    change = map_cnipa_event(event)
    assert not change.recognised
    assert not change.flags_on and not change.flags_off


@pytest.mark.parametrize("event, on", [
    ("专利权质押合同登记的生效、变更及注销 登记生效日：2019.03.01", True),
    ("专利权质押合同登记的生效、变更及注销 解除日：2020.03.01", False),
])
def test_grouped_headings_follow_their_detail_text(event, on):
    change = map_cnipa_event(event)
    assert change.recognised
    assert (E.PLEDGED in change.flags_on) is on
    assert (E.PLEDGED in change.flags_off) is not on


# --- no-change and unknown events ---------------------------------------------------------------

def test_transfer_is_recognised_without_status_change():
    change = map_cnipa_event("专利申请权、专利权的转移")
    assert change.recognised and change.transfer
    assert change.legal_status is None and not change.flags_on and not change.flags_off


@pytest.mark.parametrize("event", ["著录事项变更", "专利权人的姓名或者名称、地址的变更"])
def test_bibliographic_changes_are_recognised_without_status_change(event):
    assert map_cnipa_event(event) == StatusChange(note=map_cnipa_event(event).note)


@pytest.mark.parametrize("event", ["", "   ", "复审请求", "???", "something else"])
def test_unknown_events_are_reported_not_raised(event):
    change = map_cnipa_event(event)
    assert not change.recognised
    assert change.legal_status is None and change.note


@pytest.mark.parametrize("event", ["权利的恢复", "驳回决定的撤销"])
def test_restoration_events_restore(event):
    assert map_cnipa_event(event).restores


def test_full_width_and_spaced_event_text_is_understood():
    assert map_cnipa_event(" 实质审查的 生效 ").legal_status is LegalStatus.PENDING


# --- the shared data ----------------------------------------------------------------------------

USTB_EXPECTED = {
    "实质审查的生效": LegalStatus.PENDING,
    "发明专利申请公布": LegalStatus.PENDING,
    "公开": LegalStatus.PENDING,
    "发明专利权授予": LegalStatus.VALID,
    "授权": LegalStatus.VALID,
    "专利权的终止": LegalStatus.LAPSED,
    "发明专利申请公布后的撤回": LegalStatus.LAPSED,
    "著录事项变更": None,
    "专利申请权、专利权的转移": None,
}


def test_every_ustb_legal_status_is_recognised_and_mapped():
    statuses = {row["legal_status"] for row in _jsonl("cn_university_ustb/patents.jsonl")}
    assert statuses == set(USTB_EXPECTED)
    for status in statuses:
        change = map_cnipa_event(status)
        assert change.recognised, status
        assert change.legal_status is USTB_EXPECTED[status], status


def test_every_non_empty_trs_legal_status_is_recognised():
    rows = _jsonl("cn_export_samples/cnipa_trs_export.jsonl")
    for value in {row["法律状态"] for row in rows} | {row["专利权状态"] for row in rows}:
        if value.strip():
            assert map_cnipa_event(value).recognised, value


# --- folding a history ----------------------------------------------------------------------------

def test_fold_follows_an_application_to_a_fee_lapse():
    fold = apply_events([
        (date(2014, 5, 7), "未缴年费专利权终止"),
        (date(2012, 3, 1), "发明专利申请公布"),
        (date(2012, 5, 2), "实质审查的生效"),
        (date(2013, 9, 4), "发明专利权授予"),
    ])
    assert fold.legal_status is LegalStatus.LAPSED
    assert fold.lapse_reason is LapseReason.FEE_UNPAID
    assert fold.status_date == date(2014, 5, 7)


def test_fold_tracks_flags_on_and_off():
    fold = apply_events([
        (date(2015, 1, 1), "授权"),
        (date(2016, 1, 1), "质押合同登记生效"),
        (date(2016, 6, 1), "开放许可声明"),
        (date(2017, 1, 1), "质押合同登记注销"),
        (date(2018, 1, 1), "专利权保全"),
    ])
    assert fold.legal_status is LegalStatus.VALID
    assert fold.flags == {E.OPEN_LICENSE, E.PRESERVED}


def test_late_publication_record_does_not_reopen_a_granted_patent():
    fold = apply_events([(date(2015, 1, 1), "授权"), (date(2015, 2, 1), "公开")])
    assert fold.legal_status is LegalStatus.VALID


def test_restoration_returns_to_the_status_before_the_lapse():
    fold = apply_events([
        (date(2015, 1, 1), "授权"),
        (date(2016, 1, 1), "未缴年费专利权终止"),
        (date(2016, 3, 1), "权利的恢复"),
    ])
    assert fold.legal_status is LegalStatus.VALID and fold.lapse_reason is None


def test_transfers_and_unknown_events_are_collected():
    fold = apply_events([
        (date(2015, 1, 1), "授权"),
        (date(2016, 1, 1), "专利申请权、专利权的转移"),
        (date(2016, 2, 1), "复审请求"),
    ])
    assert fold.transfers == [date(2016, 1, 1)]
    assert fold.unrecognised == [(date(2016, 2, 1), "复审请求")]
    assert fold.legal_status is LegalStatus.VALID


@pytest.mark.parametrize("recorded, reason", [
    (date(2030, 3, 14), LapseReason.EXPIRED),
    (date(2031, 1, 1), LapseReason.EXPIRED),
    (date(2020, 6, 1), None),
])
def test_bare_termination_after_the_last_protected_day_is_expiry(recorded, reason):
    fold = apply_events([(date(2012, 1, 1), "授权"), (recorded, "专利权的终止")],
                        last_protected_day=date(2030, 3, 14))
    assert fold.legal_status is LegalStatus.LAPSED
    assert fold.lapse_reason is reason


def test_empty_history_has_no_status():
    fold = apply_events([])
    assert fold.legal_status is None and fold.flags == set()


def test_every_ustb_record_folds_without_error():
    for row in _jsonl("cn_university_ustb/patents.jsonl"):
        when = date.fromisoformat(row["legal_status_date"])
        fold = apply_events([(when, row["legal_status"])])
        assert not fold.unrecognised, row["legal_status"]
