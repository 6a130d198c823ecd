"""Filing and registration numbers: checked for form, "declared" until the register or the point confirms.

A party types the CNIPA filing number of a licence (备案号) or the registration notice of a
transfer; the form is checked (FILING_RECORD_NO_PATTERN / REGISTRATION_NO_PATTERN) and the step
stays declared until either the legal-status import shows it (it appends FILING_VERIFIED or
REGISTRATION_VERIFIED) or the operator of the deal's point checks the uploaded certificate and
confirms it here; both then refresh the deal's evidence level. Never commits.
"""

from __future__ import annotations

import re
import unicodedata

from flask import current_app, has_app_context

from market.accounts.models import User
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.deals import ledger
from market.deals.models import Deal, DealDocument
from market.deals.negotiation.common import tell_both
from market.deals.verification import may_confirm_certificate
from market.deals.vocabulary import DocumentKind, LedgerEvent

DEFAULT_FILING_PATTERN = r"X?(19|20)\d{2}\d{2}\d{7}"
DEFAULT_REGISTRATION_PATTERN = r"[A-Z0-9]{8,32}"
FILING, REGISTRATION = "filing", "registration"
KINDS = {
    FILING: (LedgerEvent.FILING_VERIFIED, DocumentKind.FILING_PROOF, "备案", "filing"),
    REGISTRATION: (LedgerEvent.REGISTRATION_VERIFIED, DocumentKind.REGISTRATION_PROOF, "转让登记", "registration"),
}


def _pattern(key: str, default: str) -> str:
    return current_app.config.get(key, default) if has_app_context() else default


def _normalised(value: str) -> str:
    # Full-width digits and letters typed from a Chinese keyboard are the same number (R-DI-3).
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value or "")).upper()


def filing_no(value: str) -> str:
    """A licence-contract filing number in CNIPA's form, normalised, or a refusal saying the form."""
    number = _normalised(value)
    if not number:
        raise DomainError("deal.record_no_required", "请填写备案号。", "Give the record number.", field="record_no")
    if not re.fullmatch(_pattern("FILING_RECORD_NO_PATTERN", DEFAULT_FILING_PATTERN), number):
        raise DomainError("deal.record_no_form",
                          f"备案号“{number}”不符合国家知识产权局专利实施许可合同备案号的格式（年份4位+机构代码2位+流水号7位，"
                          "如 2021310000123，旧号可带前缀X）（专利实施许可合同备案办法，R-LC-5）。请按备案证明上的号码填写。",
                          f"“{number}” is not in the form of a CNIPA licence filing number (4-digit year, 2-digit office, "
                          "7-digit serial, e.g. 2021310000123, older ones prefixed X) (REC, R-LC-5). Copy it from "
                          "the filing certificate.", field="record_no")
    return number


def registration_no(value: str) -> str:
    """A transfer registration (notice) number, normalised, or a refusal saying the form."""
    number = _normalised(value)
    if not number:
        raise DomainError("deal.registration_no_required", "请填写登记通知书编号或公告号。",
                          "Give the registration number.", field="registration_no")
    if not re.fullmatch(_pattern("REGISTRATION_NO_PATTERN", DEFAULT_REGISTRATION_PATTERN), number):
        raise DomainError("deal.registration_no_form",
                          f"登记号“{number}”格式不正确：请填写国家知识产权局手续合格通知书上的编号（8至32位字母或数字）"
                          "（专利法第10条，R-TR-1）。",
                          f"“{number}” is not a registration number: copy the number on CNIPA's notice (8 to 32 "
                          "letters or digits) (Patent Law art. 10, R-TR-1).", field="registration_no")
    return number


def verified(deal: Deal, what: str) -> bool:
    kind = KINDS[what][0]
    return any(e.kind == kind for e in deal.events)


def state(deal: Deal, what: str) -> str | None:
    """"verified", "declared", or None when nothing was recorded yet."""
    recorded = deal.filing_record_no if what == FILING else deal.registration_no
    if not recorded:
        return None
    return "verified" if verified(deal, what) else "declared"


def confirm_certificate(user: User, deal: Deal, what: str, document_id: int | None, reason: str) -> None:
    """The point operator checked the uploaded certificate against the declared number: verified."""
    if what not in KINDS:
        raise DomainError("deal.verify_kind", "请选择备案或转让登记。", "Choose filing or registration.")
    kind, doc_kind, zh, en = KINDS[what]
    if not may_confirm_certificate(user, deal):
        raise Forbidden("deal.verify_not_yours",
                        "只有该交易所属服务点的运营方（无服务点时为区知识产权局）可以核实证明文件。",
                        "Only the operator of the deal's point (the bureau when there is none) verifies certificates.")
    if state(deal, what) is None:
        raise Conflict("deal.nothing_declared", f"交易方尚未登记{zh}号，无可核实。",
                       f"No {en} number has been declared yet; there is nothing to verify.")
    if verified(deal, what):
        raise Conflict("deal.already_verified", f"{zh}已核实。", f"The {en} is already verified.")
    document = db.session.get(DealDocument, document_id) if document_id and 0 < document_id < 2**31 else None
    if document is None or document.deal_id != deal.id or document.kind != doc_kind:
        raise DomainError("deal.certificate_required",
                          f"请选择交易方上传的{DocumentKind(doc_kind).zh}；没有证明文件的，请先请交易方上传。",
                          f"Choose the {DocumentKind(doc_kind).en.lower()} the parties uploaded; if there is none, "
                          "ask them to upload it first.", field="document_id")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise DomainError("deal.reason_required", "请写明核实的依据（如证明文件编号与登记号一致、已在国知局查询）。",
                          "Say what the check rests on (e.g. the certificate matches the number; CNIPA was searched).",
                          field="reason")
    number = deal.filing_record_no if what == FILING else deal.registration_no
    ledger.append(deal, kind, actor=user, note=reason,
                  evidence={"source": "point_operator", "document_id": document.id, "number": number,
                            "document_sha256": document.sha256})  # the ledger refreshes the evidence level
    tell_both(deal, f"{what}_verified", f"服务点已核实{zh}（{number}）", f"The point verified the {en} ({number})")
