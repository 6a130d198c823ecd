"""Open-licence declarations: their states, who may see and manage them, and finding them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from listings.models import Patent
from listings.vocabulary import LegalStatus
from market.accounts.models import User
from market.accounts.permissions import require_approved_org
from market.core.errors import Forbidden, NotFound
from market.core.extensions import db
from market.deals.open_licence.checks import AD_WORDS_FILE, DEFAULT_MIN_TERM_DAYS, load_ad_words
from market.deals.open_licence.models import OpenLicenceDeclaration
from market.deals.vocabulary import DeclarationStatus as S

LIVE = (S.DRAFT, S.ELIGIBLE, S.FILED_WITH_CNIPA, S.ANNOUNCED, S.WITHDRAWAL_FILED)
EDITABLE = (S.DRAFT, S.ELIGIBLE)
# The declaration is in effect (licences can be taken), possibly with a withdrawal on its way.
IN_EFFECT = (S.ANNOUNCED, S.WITHDRAWAL_FILED)
PUBLIC = (S.ANNOUNCED, S.WITHDRAWAL_FILED, S.WITHDRAWN, S.ENDED)
# What CNIPA decided, as recorded here (the audit log keeps who recorded it).
CNIPA_STEPS = (S.FILED_WITH_CNIPA, S.ANNOUNCED, S.NOT_ANNOUNCED, S.WITHDRAWAL_FILED, S.WITHDRAWN)
TRANSITIONS = {
    S.DRAFT: {S.ELIGIBLE},
    S.ELIGIBLE: {S.DRAFT, S.FILED_WITH_CNIPA},
    S.FILED_WITH_CNIPA: {S.ANNOUNCED, S.NOT_ANNOUNCED},
    S.ANNOUNCED: {S.WITHDRAWAL_FILED, S.ENDED},
    S.WITHDRAWAL_FILED: {S.WITHDRAWN, S.ENDED},
}
DEFAULT_TERRITORY = "中华人民共和国境内"
DEFAULT_OTHER_TERMS = ("本开放许可为普通许可，专利权人仍可自行实施或许可他人实施；被许可人不得允许合同规定以外的"
                       "单位或个人实施该专利（专利法第12条）；许可使用费按声明公告的方式和标准支付；"
                       "双方可凭书面通知及付款凭证向国家知识产权局办理许可合同备案。")
TERM_FIELDS = ("fee_terms", "term_start", "term_end", "territory", "other_terms", "fee_basis_note", "contact",
               "evaluation_report_id", "pledgee_consent_doc")


# -- configuration --------------------------------------------------------------------------

def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def min_term_days() -> int:
    return int(_config("OPEN_LICENCE_MIN_TERM_DAYS", DEFAULT_MIN_TERM_DAYS))


def fee_caps() -> dict | None:
    return _config("OPEN_LICENCE_FEE_CAPS", None)


def ad_words():
    return load_ad_words(_config("OPEN_LICENCE_AD_WORDS_FILE", AD_WORDS_FILE))


# -- who may do what ------------------------------------------------------------------------

def owner_org_ids(patent: Patent) -> set[int]:
    return {o.organisation_id for o in patent.owners if o.organisation_id is not None}


def can_manage(user: User | None, decl: OpenLicenceDeclaration) -> bool:
    return user is not None and user.organisation_id == decl.organisation_id


def can_record_cnipa(user: User | None, decl: OpenLicenceDeclaration) -> bool:
    """The declarant, or the operator of the point its listing is on, mirrors CNIPA's dates."""
    if can_manage(user, decl):
        return True
    # A listing made after the announcement is not linked to the declaration; its point still is.
    listing = decl.listing or decl.patent.live_listing
    return user is not None and listing is not None and listing.point.operator_id == user.organisation_id


def can_view(user: User | None, decl: OpenLicenceDeclaration) -> bool:
    """Announced declarations are public (CNIPA publishes them); drafts only to those concerned."""
    if decl.status in PUBLIC:
        return True
    if user is None:
        return False
    return (can_record_cnipa(user, decl) or user.organisation_id in owner_org_ids(decl.patent)
            or user.organisation.is_bureau)


def _require_manager(user: User, decl: OpenLicenceDeclaration) -> None:
    if not can_manage(user, decl):
        raise Forbidden("open_licence.not_declarant", "只有声明开放许可的专利权人可以执行此操作。",
                        "Only the declaring patentee may do this.")
    require_approved_org(user)


def _require_recorder(user: User | None, decl: OpenLicenceDeclaration) -> None:
    if user is not None and not can_record_cnipa(user, decl):
        raise Forbidden("open_licence.not_recorder", "只有专利权人或其挂牌网点可以登记国家知识产权局的办理结果。",
                        "Only the patentee or its listing's point may record CNIPA's decisions.")


# -- reading --------------------------------------------------------------------------------

def get_declaration(declaration_id: int) -> OpenLicenceDeclaration:
    decl = db.session.get(OpenLicenceDeclaration, declaration_id) if 0 < declaration_id < 2**31 else None
    if decl is None:
        raise NotFound("open_licence.not_found", "开放许可声明不存在", "No such open-licence declaration")
    return decl


def live_declaration(patent_id: int) -> OpenLicenceDeclaration | None:
    return db.session.scalar(select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.patent_id == patent_id, OpenLicenceDeclaration.status.in_(LIVE)))


def latest_public_declaration(patent_id: int) -> OpenLicenceDeclaration | None:
    return db.session.scalar(select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.patent_id == patent_id, OpenLicenceDeclaration.status.in_(PUBLIC))
        .order_by(OpenLicenceDeclaration.id.desc()).limit(1))


def announced_declarations(limit: int = 200, offset: int = 0) -> list[OpenLicenceDeclaration]:
    return list(db.session.scalars(select(OpenLicenceDeclaration).where(
        OpenLicenceDeclaration.status.in_(IN_EFFECT))
        .order_by(OpenLicenceDeclaration.announce_date.desc(), OpenLicenceDeclaration.id.desc())
        .options(selectinload(OpenLicenceDeclaration.services_on_offer))  # the API lists them: one query
        .limit(limit).offset(offset)))


def count_announced() -> int:
    return db.session.scalar(select(func.count(OpenLicenceDeclaration.id)).where(
        OpenLicenceDeclaration.status.in_(IN_EFFECT))) or 0


def is_takeable(decl: OpenLicenceDeclaration, today: date) -> bool:
    """Licences can be taken today: announced, in effect, not withdrawn by an announcement (R-OL-10)."""
    return (decl.status in IN_EFFECT and decl.announce_date is not None and decl.announce_date <= today
            and (decl.withdraw_announce_date is None or decl.withdraw_announce_date > today)
            and decl.term_end is not None and decl.term_end >= today
            and decl.patent.legal_status != LegalStatus.LAPSED)


# -- the assistant --------------------------------------------------------------------------
