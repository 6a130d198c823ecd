"""Closed vocabularies of the demand side, with Chinese and English labels."""

from __future__ import annotations

from listings.vocabulary import Labelled


class Visibility(Labelled):
    PUBLIC = "PUBLIC", "公开", "Public"
    PATENTEES = "PATENTEES", "仅对专利权人可见", "Patentees only"
    PRIVATE = "PRIVATE", "不公开（仅用于匹配）", "Private (matching only)"


class DemandStatus(Labelled):
    OPEN = "OPEN", "征集中", "Open"
    MATCHED = "MATCHED", "已对接", "Matched"
    CLOSED = "CLOSED", "已关闭", "Closed"
    WITHDRAWN = "WITHDRAWN", "已撤回", "Withdrawn"


class DismissReason(Labelled):
    TOO_EARLY = "TOO_EARLY", "技术太早期", "Too early stage"
    BENEFIT_UNCLEAR = "BENEFIT_UNCLEAR", "效益不明确", "Benefit unclear"
    PRICE = "PRICE", "价格不合适", "Price"
    WRONG_FIELD = "WRONG_FIELD", "领域不符", "Wrong field"
    HAVE_SOLUTION = "HAVE_SOLUTION", "已有解决方案", "Already have a solution"
    OTHER = "OTHER", "其他", "Other"


class MatchState(Labelled):
    SAVED = "SAVED", "已收藏", "Saved"
    DISMISSED = "DISMISSED", "不合适", "Dismissed"
    CONTACTED = "CONTACTED", "已发起对接", "Deal requested"


class InquiryStatus(Labelled):
    OPEN = "OPEN", "待回复", "Awaiting reply"
    ANSWERED = "ANSWERED", "已回复", "Answered"
    CLOSED = "CLOSED", "已关闭", "Closed"
