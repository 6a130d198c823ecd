"""Organisation registration and approval, users, passwords and API tokens. Never commits."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from market.accounts.auth import hash_password, new_token, password_matches
from market.accounts.models import ApiToken, Organisation, User
from market.accounts.uscc import normalise_uscc
from market.accounts.vocabulary import OrgStatus, OrgType, Role, SoeLevel
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.db import utcnow
from market.core.errors import Conflict, DomainError, Forbidden, NotFound
from market.core.extensions import db
from market.core.names import fold_name

# Types a person may register themselves; operators and the bureau are set up by the bureau.
SELF_REGISTERABLE = (OrgType.UNIVERSITY, OrgType.RESEARCH_INSTITUTE, OrgType.SOE, OrgType.PRIVATE,
                     OrgType.FOREIGN, OrgType.INDIVIDUAL, OrgType.OTHER)


def check_password_rules(password: str) -> None:
    if len(password) < 10 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise DomainError("weak_password", "密码至少 10 位，且须同时包含字母和数字",
                          "The password needs at least 10 characters with letters and digits",
                          field="password")


def _check_soe_level(org_type: OrgType, soe_level: str | None) -> None:
    if org_type == OrgType.SOE and not soe_level:
        raise DomainError("soe_level_required", "国有企业须注明层级（央企/市属/区属）",
                          "A state-owned enterprise needs its level", field="soe_level")


def _checked_uscc(org_type: OrgType, uscc: str | None) -> str | None:
    """The normalised credit code; only an individual may have none."""
    if uscc:
        uscc = normalise_uscc(uscc)
        if db.session.scalar(select(Organisation.id).where(Organisation.uscc == uscc)):
            raise Conflict("duplicate_uscc", "该统一社会信用代码已被其他机构注册",
                           "This credit code is already registered by another organisation", field="uscc")
        return uscc
    if org_type != OrgType.INDIVIDUAL:
        raise DomainError("uscc_required", "请填写统一社会信用代码", "The unified social credit code is required",
                          field="uscc")
    return None


def _check_name_free(name: str) -> None:
    if db.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())):
        raise Conflict("duplicate_org_name", f"机构“{name}”已注册", f"“{name}” is already registered",
                       field="name")


def _check_email_free(email: str) -> None:
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("duplicate_email", "该电子邮箱已注册", "This e-mail address is already registered",
                       field="email")


def create_organisation(*, name: str, org_type: str, uscc: str | None, district: str = "",
                        soe_level: str | None = None, status: str = OrgStatus.PENDING,
                        **details) -> Organisation:
    org_type = OrgType(org_type)
    _check_soe_level(org_type, soe_level)
    if org_type != OrgType.SOE:
        soe_level = None
        # 国有独资 only describes an SOE (EAM 39(3) lets universities skip valuation for those).
        details["wholly_state_owned"] = False
    elif soe_level:
        soe_level = SoeLevel(soe_level)
    if org_type not in (OrgType.UNIVERSITY, OrgType.RESEARCH_INSTITUTE):
        # STL 18's rules (publicity of agreed prices...) are for state-funded universities and institutes.
        details["is_state_funded_rnd"] = False
    uscc = _checked_uscc(org_type, uscc)
    name = name.strip()
    _check_name_free(name)
    org = Organisation(name=name, org_type=org_type, uscc=uscc or None, district=district,
                       soe_level=soe_level, status=status, **details)
    if status == OrgStatus.APPROVED:
        org.approved_at = utcnow()
    db.session.add(org)
    db.session.flush()
    return org


def create_user(org: Organisation, *, email: str, name: str, password: str,
                role: str = Role.MEMBER, language: str = "zh") -> User:
    email = email.strip().lower()
    check_password_rules(password)
    _check_email_free(email)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                organisation=org, role=Role(role), language=language)
    db.session.add(user)
    db.session.flush()
    return user


def _check_self_registerable(org_type: str | None) -> None:
    if org_type not in SELF_REGISTERABLE:
        raise DomainError("org_type_not_allowed", "该机构类型须由区知识产权局开通",
                          "This organisation type is set up by the bureau", field="org_type")


def register_organisation(org_fields: dict, user_fields: dict) -> User:
    """Self-registration: a pending organisation with its first user as admin."""
    _check_self_registerable(org_fields.get("org_type"))
    org = create_organisation(**org_fields)
    return create_user(org, role=Role.ADMIN, **user_fields)


def registration_problems(form: dict) -> list[DomainError]:
    """Every refusal `register_organisation` would give for the fields present, found without writing,
    so that the form shows them all at once instead of one per submit."""
    checks = []
    org_type = OrgType(form["org_type"]) if form.get("org_type") in OrgType.__members__ else None
    if org_type is not None:
        checks.append(lambda: _check_self_registerable(org_type))
        checks.append(lambda: _check_soe_level(org_type, form.get("soe_level")))
        checks.append(lambda: _checked_uscc(org_type, form.get("uscc")))
    if form.get("name"):
        checks.append(lambda: _check_name_free(form["name"].strip()))
    if form.get("email"):
        checks.append(lambda: _check_email_free(form["email"].strip().lower()))
    if form.get("password"):
        checks.append(lambda: check_password_rules(form["password"]))
    problems = []
    for check in checks:
        try:
            check()
        except DomainError as err:
            problems.append(err)
    return problems


def decide_organisation(actor: User, org_id: int, *, approve: bool, note: str = "") -> Organisation:
    if not actor.organisation.is_bureau:
        raise Forbidden("bureau_only", "只有区知识产权局可以审批机构", "Only the bureau approves organisations")
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("org_not_found", "机构不存在", "No such organisation")
    if org.id == actor.organisation_id:
        raise Forbidden("own_org", "不能审批本机构", "The bureau cannot decide on itself")
    if not approve and not note.strip():
        raise DomainError("note_required", "驳回时请说明理由", "Say why the organisation is rejected", field="note")
    org.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    org.status_note = note
    org.approved_at = utcnow() if approve else None
    audit(AuditAction.ORG_APPROVED if approve else AuditAction.ORG_REJECTED, actor=actor,
          object_type="organisation", object_id=org.id,
          summary=f"{'批准' if approve else '驳回'}机构“{org.name}”" + (f"：{note.strip()}" if note.strip() else ""))
    return org


_DUMMY_HASH: list[str] = []


def _dummy_check(password: str) -> None:
    """The work of checking a password, for an e-mail with no account: the answer time tells nothing."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    check_password_hash(_DUMMY_HASH[0], password)


def authenticate(email: str, password: str) -> User:
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        _dummy_check(password or "")
    # One message for every case, so the form does not reveal which e-mails exist.
    if user is None or not password_matches(user, password or "") or not user.active:
        raise DomainError("bad_credentials", "电子邮箱或密码不正确", "Wrong e-mail or password",
                          status=401)
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User, *, revoke_tokens: bool) -> int:
    """End every session of `user` server-side (the epoch in each session cookie no longer matches);
    with `revoke_tokens` its API tokens stop working too. Returns how many tokens were revoked."""
    user.session_epoch += 1
    if not revoke_tokens:
        return 0
    now = utcnow()
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                       ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def log_out(user: User) -> None:
    """Logging out ends this user's sessions everywhere, so a copied cookie dies with it."""
    end_sessions(user, revoke_tokens=False)


def change_password(user: User, current: str, new: str) -> None:
    if not password_matches(user, current):
        raise DomainError("bad_password", "当前密码不正确", "The current password is wrong", field="current")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    end_sessions(user, revoke_tokens=True)  # whoever knew the old password may have made a token


def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the plain token, which is shown once and never stored."""
    plain, digest = new_token()
    days = current_app.config.get("API_TOKEN_DAYS", 365) if has_app_context() else 365
    token = ApiToken(user=user, name=name.strip() or "API", token_hash=digest, prefix=plain[:10],
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit(AuditAction.API_TOKEN_ISSUED, actor=user, object_type="api_token", object_id=token.id,
          summary=f"创建 API 令牌“{token.name}”（{token.prefix}…）")
    return token, plain


def revoke_api_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("token_not_found", "令牌不存在", "No such token")
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    audit(AuditAction.API_TOKEN_REVOKED, actor=user, object_type="api_token", object_id=token.id,
          summary=f"撤销 API 令牌“{token.name}”（{token.prefix}…）")


def add_member(actor: User, *, email: str, name: str, password: str, role: str = Role.MEMBER) -> User:
    """An admin adds a user to its own organisation."""
    _require_admin(actor)
    user = create_user(actor.organisation, email=email, name=name, password=password, role=role)
    audit(AuditAction.MEMBER_ADDED, actor=actor, object_type="user", object_id=user.id,
          summary=f"添加成员 {user.email}，角色：{Role(user.role).zh}")
    return user


def change_role(actor: User, member_id: int, role: str) -> User:
    """An admin makes a member of its organisation admin or member; an organisation keeps one admin."""
    _require_admin(actor)
    member = db.session.get(User, member_id) if 0 < member_id < 2**31 else None
    if member is None or member.organisation_id != actor.organisation_id:
        raise NotFound("user_not_found", "成员不存在", "No such member")
    if role not in Role.__members__:
        raise DomainError("bad_role", "角色无效", "Unknown role", field="role")
    if member.role == role:
        return member
    if member.role == Role.ADMIN and not db.session.scalar(select(func.count(User.id)).where(
            User.organisation_id == actor.organisation_id, User.role == Role.ADMIN, User.active.is_(True),
            User.id != member.id)):
        raise Conflict("last_admin", "机构至少需要一名管理员", "The organisation needs at least one admin",
                       field="role")
    before = Role(member.role)
    member.role = Role(role)
    audit(AuditAction.ROLE_CHANGED, actor=actor, object_type="user", object_id=member.id,
          summary=f"{member.email}：{before.zh} → {Role(role).zh}")
    return member


def deactivate_member(actor: User, member_id: int) -> User:
    """An admin deactivates a member of its organisation: sessions and API tokens end at once.

    The user row stays (deals, audit entries and the ledger name it); the account can no longer
    log in, receives no e-mail, and the e-mail address stays taken. An organisation keeps one admin.
    """
    _require_admin(actor)
    member = db.session.get(User, member_id) if 0 < member_id < 2**31 else None
    if member is None or member.organisation_id != actor.organisation_id:
        raise NotFound("user_not_found", "成员不存在", "No such member")
    if member.id == actor.id:
        raise Conflict("deactivate_self", "不能停用自己的账号，请由另一名管理员操作",
                       "You cannot deactivate your own account; ask another admin")
    if not member.active:
        return member
    if member.role == Role.ADMIN and not db.session.scalar(select(func.count(User.id)).where(
            User.organisation_id == actor.organisation_id, User.role == Role.ADMIN, User.active.is_(True),
            User.id != member.id)):
        raise Conflict("last_admin", "机构至少需要一名管理员", "The organisation needs at least one admin")
    member.active = False
    revoked = end_sessions(member, revoke_tokens=True)
    audit(AuditAction.MEMBER_DEACTIVATED, actor=actor, object_type="user", object_id=member.id,
          summary=f"停用成员 {member.email}，撤销 {revoked} 个 API 令牌")
    return member


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("admin_only", "只有本机构管理员可以管理成员", "Only an admin of the organisation manages members")


def set_bank_account(org: Organisation, *, bank_account_name: str, bank_name: str, bank_account_no: str) -> None:
    """The account payers of this organisation's deals transfer to; the name must be the organisation's."""
    digits = "".join(bank_account_no.split())
    if not 8 <= len(digits) <= 30:
        raise DomainError("bank_account_no", "银行账号应为8至30位数字", "A bank account number has 8 to 30 digits",
                          field="bank_account_no")
    if fold_name(bank_account_name) != fold_name(org.name):
        # Banks refuse transfers whose payee name differs from the account holder's.
        raise DomainError("bank_account_name", f"户名须与机构名称“{org.name}”一致",
                          f"The account holder must be the organisation, “{org.name}”", field="bank_account_name")
    org.bank_account_name, org.bank_name, org.bank_account_no = org.name, bank_name.strip(), digits


def update_organisation_profile(actor: User, *, address: str, contact_name: str, contact_phone: str = "",
                                district: str = "") -> Organisation:
    """The admin's own organisation's address and contact; contracts signed later name the new address."""
    _require_admin(actor)
    org = actor.organisation
    org.address, org.contact_name = address.strip(), contact_name.strip()
    org.contact_phone, org.district = contact_phone.strip(), district.strip()
    audit(AuditAction.ORG_PROFILE_UPDATED, actor=actor, object_type="organisation", object_id=org.id,
          summary=f"更新机构“{org.name}”的住所和联系人")
    return org
