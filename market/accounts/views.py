"""Log in and out, register an organisation, manage one's account, tokens and members; the
bureau's organisation approvals."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from market.accounts import services, throttle
from market.accounts.blueprint import bp
from market.accounts.hooks import demo_logins, organisation_listings
from market.accounts.models import ApiToken, Organisation, User
from market.accounts.permissions import bureau_required
from market.accounts.schemas import (
    BankAccountSchema,
    LoginSchema,
    MemberSchema,
    OrganisationProfileSchema,
    PasswordSchema,
    RegistrationSchema,
    TokenSchema,
)
from market.accounts.vocabulary import OrgStatus, OrgType, SoeLevel
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db, limiter
from market.core.i18n import get_lang, t
from market.core.schemas import load
from market.web.actions import run_action
from market.web.redirects import local_target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    errors, form = {}, {}
    if request.method == "POST":
        form, errors = load(LoginSchema(), request.form)
        if not errors:
            throttled = throttle.account_throttled(form["email"])
            try:
                # Always the full password check, throttled or not: the time taken tells nothing.
                user = services.authenticate(form["email"], form["password"])
                if throttled and throttle.address_failed_before(form["email"]):
                    raise DomainError("bad_credentials", "", "", status=429)
            except DomainError as err:
                db.session.rollback()
                throttle.record_failure(form["email"])
                if throttled:
                    return _throttled(form)
                errors = {"password": [err.message(get_lang())]}
            else:
                db.session.commit()
                lang = session.get("lang")
                session.clear()  # a fresh session at login, so a planted one is useless
                if lang:
                    session["lang"] = lang
                login_user(user)
                flash(t(f"欢迎，{user.name}", f"Welcome, {user.name}"), "success")
                return redirect(_safe_next() or url_for("site.dashboard"))
        form.pop("password", None)
    return render_template("accounts/login.html", form=form or request.form, errors=errors,
                           demo_logins=_demo_logins()), 422 if errors else 200


def _throttled(form: dict):
    """429 with the way out: a correct password from another device, or a reset link by e-mail."""
    message = t("该账号近期登录失败次数过多，请稍后再试；如忘记密码，可通过“忘记密码”用邮件重置。",
                "Too many failed logins to this account; wait a little, or reset your password by e-mail "
                "(“Forgot your password?”).")
    page = render_template("accounts/login.html", form={"email": form.get("email", "")},
                           errors={"password": [message]}, demo_logins=_demo_logins())
    return page, 429, {"Retry-After": "60"}


def _safe_next() -> str | None:
    return local_target(request.args.get("next"))


def _demo_logins() -> list[User]:
    if not current_app.config.get("DEMO_MODE"):
        return []

    emails, password = demo_logins()
    users = db.session.scalars(select(User).where(User.email.in_(emails))).all()
    order = {e: i for i, e in enumerate(emails)}
    return [(u, password) for u in sorted(users, key=lambda u: order[u.email])]


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.log_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("site.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register():
    errors, form = {}, {}
    if request.method == "POST":
        form, errors = load(RegistrationSchema(), request.form)
        # The service's own refusals too (credit code, password, names taken), all in one answer.
        for problem in services.registration_problems(form):
            errors.setdefault(problem.field or "name", []).append(problem.message(get_lang()))
        if not errors:
            org_fields = {k: form[k] for k in ("name", "name_en", "org_type", "soe_level", "uscc",
                                               "wholly_state_owned", "is_state_funded_rnd",
                                               "district", "address", "contact_name", "contact_phone")}
            org_fields["contact_email"] = form["email"]
            user_fields = {"email": form["email"], "name": form["user_name"],
                           "password": form["password"], "language": get_lang()}
            done = run_action(lambda: services.register_organisation(org_fields, user_fields))
            errors = done.field_errors("name")
            if done.ok:
                login_user(done.value)
                flash(t("注册成功。区知识产权局审批通过后即可挂牌和交易。",
                        "Registered. You can list and deal once the bureau approves your organisation."),
                      "success")
                return redirect(url_for("site.dashboard"))
    values = dict(request.form)
    values.pop("password", None)
    return render_template("accounts/register.html", form=values, errors=errors,
                           org_types=[o for o in OrgType if o in services.SELF_REGISTERABLE],
                           soe_levels=list(SoeLevel)), 422 if errors else 200


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return _account_page()


def _account_page(profile: dict | None = None, profile_errors: dict | None = None):
    """The account page; `profile` and its errors when the organisation form comes back to be corrected."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    members = db.session.scalars(select(User).where(
        User.organisation_id == current_user.organisation_id).order_by(User.id)).all()
    org = current_user.organisation
    profile = profile if profile is not None else {
        "address": org.address, "district": org.district, "contact_name": org.contact_name,
        "contact_phone": org.contact_phone}
    return render_template("accounts/account.html", tokens=tokens, members=members, now=utcnow(),
                           token_days=current_app.config["API_TOKEN_DAYS"],
                           new_token=session.pop("new_token", None), profile=profile,
                           profile_errors=profile_errors or {}), 422 if profile_errors else 200


@bp.post("/account/organisation")
@login_required
def update_organisation():
    """The admin keeps the organisation's address (住所) and contact current: filings name the address."""
    if not current_user.is_admin:
        abort(403)
    form, errors = load(OrganisationProfileSchema(), request.form)
    if errors:
        # Every problem beside its field at once; what was typed stays in the form.
        return _account_page(dict(request.form), errors)
    done = run_action(lambda: services.update_organisation_profile(current_user, **form))
    if not done.ok:
        return _account_page(dict(request.form), done.field_errors("address"))
    flash(t("机构住所和联系人已保存", "Address and contact saved"), "success")
    return redirect(url_for("accounts.account") + "#organisation")


@bp.post("/account/tokens")
@login_required
def create_token():
    form, errors = load(TokenSchema(), request.form)
    _, plain = services.issue_api_token(current_user, form.get("name", "API"))
    db.session.commit()
    # Shown once on the next page; only its digest is stored.
    session["new_token"] = plain
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    services.revoke_api_token(current_user, token_id)
    db.session.commit()
    flash(t("令牌已撤销", "Token revoked"), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/password")
@login_required
def change_password():
    form, errors = load(PasswordSchema(), request.form)

    def change():
        if errors:
            raise DomainError("invalid", t("请填写当前密码和新密码", "Fill in both passwords"),
                              "Fill in both passwords")
        services.change_password(current_user, form["current"], form["new"])

    done = run_action(change)
    if not done.ok:
        flash(done.message, "error")
    else:
        # Keep this session (the epoch change ends the others). The user object, not the proxy:
        # flask-login stores what it is given, and a proxy to itself recursed until the process died.
        login_user(current_user._get_current_object())
        flash(t("密码已更新，其他设备上的登录已失效", "Password changed; other sessions were logged out"),
              "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/bank")
@login_required
def set_bank_account():
    if not current_user.is_admin:
        abort(403)
    form, errors = load(BankAccountSchema(), request.form)

    def save():
        if errors:
            field, messages = next(iter(errors.items()))
            raise DomainError("invalid", messages[0], messages[0], field=field)
        services.set_bank_account(current_user.organisation, **form)

    done = run_action(save)
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("收款账户已保存", "Bank account saved"), "success")
    return redirect(url_for("accounts.account") + "#bank")


@bp.post("/account/members")
@login_required
def add_member():
    if not current_user.is_admin:
        abort(403)
    form, errors = load(MemberSchema(), request.form)

    def add():
        if errors:
            field, messages = next(iter(errors.items()))
            raise DomainError("invalid", f"{field}: {messages[0]}", f"{field}: {messages[0]}")
        services.add_member(current_user, email=form["email"], name=form["name"],
                            password=form["password"], role=form["role"])

    done = run_action(add)
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t("成员已添加", "Member added"), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/members/<int:user_id>/role")
@login_required
def change_role(user_id: int):
    if not current_user.is_admin:
        abort(403)
    done = run_action(lambda: services.change_role(current_user, user_id, request.form.get("role", "")),
                      abort_on=(403, 404))
    if not done.ok:
        flash(done.message, "error")
    else:
        flash(t(f"已更新 {done.value.email} 的角色", f"Role of {done.value.email} updated"), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/members/<int:user_id>/deactivate")
@login_required
def deactivate_member(user_id: int):
    if not current_user.is_admin:
        abort(403)
    outcome = run_action(lambda: services.deactivate_member(current_user._get_current_object(), user_id),
                         abort_on=(403, 404))
    if outcome.ok:
        flash(t(f"已停用 {outcome.value.email}：其登录和 API 令牌已全部失效",
                f"{outcome.value.email} deactivated: their sessions and API tokens no longer work"), "success")
    else:
        flash(outcome.message, "error")
    return redirect(url_for("accounts.account"))


@bp.get("/admin/organisations")
@bureau_required
def organisations():
    status = request.args.get("status", OrgStatus.PENDING)
    query = select(Organisation).order_by(Organisation.created_at.desc())
    if status in {s.value for s in OrgStatus}:
        query = query.where(Organisation.status == status)
    orgs = db.session.scalars(query).all()
    return render_template("accounts/organisations.html", orgs=orgs, status=status,
                           statuses=list(OrgStatus))


@bp.post("/admin/organisations/<int:org_id>/decision")
@bureau_required
def decide(org_id: int):
    approve = request.form.get("decision") == "approve"
    done = run_action(lambda: services.decide_organisation(current_user, org_id, approve=approve,
                                                           note=request.form.get("note", "")[:500]),
                      raise_on=(403, 404))
    if not done.ok:
        flash(done.message, "error")
        return redirect(url_for("accounts.organisations"))
    org = done.value
    flash(t(f"已{'批准' if approve else '驳回'}：{org.name}",
            f"{'Approved' if approve else 'Rejected'}: {org.name}"), "success")
    return redirect(url_for("accounts.organisations"))


@bp.get("/organisations/<int:org_id>")
def organisation(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or not org.is_approved:
        abort(404)

    return render_template("accounts/organisation.html", org=org,
                           listings=organisation_listings(org.id, limit=50))


