"""Password reset by a signed, expiring, single-use link sent by e-mail (routes on the accounts blueprint).

The link carries an itsdangerous token (salt "password-reset") holding the user's id and session
epoch. Setting a password bumps the epoch, which ends every session and every older link: a link
works once, and not at all after any other password change. It expires after
PASSWORD_RESET_MAX_AGE seconds. Asking for a link answers the same whether the address exists
or not, so the form tells nobody which e-mails are registered.
"""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from market.accounts.auth import hash_password
from market.accounts.blueprint import bp
from market.accounts.models import User
from market.accounts.services import check_password_rules, end_sessions
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.errors import DomainError
from market.core.extensions import db, limiter
from market.core.i18n import get_lang, t
from market.core.mail import MailSettings, send_message
from market.core.outbox import enqueue, handles
from market.web.actions import run_action

SALT = "password-reset"
TOPIC = "mail.password_reset"


# -- tokens and the service (never commits) ---------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "e": user.session_epoch})


def _invalid() -> DomainError:
    return DomainError("reset_link_invalid", "重置链接无效、已使用或已过期，请重新申请。",
                       "This reset link is invalid, used or expired; ask for a new one.", status=400)


def user_for_token(token: str, max_age: int | None = None) -> User:
    """The user a valid, unexpired, unused link was made for; a 400 DomainError otherwise."""
    if max_age is None:
        max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        raise _invalid() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), int):
        raise _invalid()
    user = db.session.get(User, data["u"])
    # The epoch moves on at every password change: a used (or superseded) link stops working.
    if user is None or not user.active or user.session_epoch != data["e"]:
        raise _invalid()
    return user


def request_reset(email: str) -> None:
    """Queue a reset link for the account of `email`, if there is an active one; silent otherwise."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is not None and user.active:
        enqueue(db.session(), TOPIC, user)  # the link is made and mailed after the commit


def reset_password(user: User, new_password: str) -> None:
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    end_sessions(user, revoke_tokens=True)  # this link, older links, every session and API token end here
    audit(AuditAction.PASSWORD_RESET, actor=user, object_type="user", object_id=user.id,
          summary=f"通过邮件链接重置了 {user.email} 的密码")


@handles(TOPIC)
def send_reset_mail(keys: list[str], bulk: bool) -> None:
    """Mail a fresh link to each user (a retried entry sends a link that is still current)."""

    settings = MailSettings.from_app(current_app)
    base = settings.base_url  # configuration only, never the request's Host
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    for user in db.session.scalars(select(User).where(User.id.in_([int(k) for k in keys]))):
        if not user.active:
            continue
        link = f"{base}/password/reset/{make_token(user)}"
        text = "\n".join([
            f"{user.name}，您好：", "",
            f"我们收到了重置专利超市账号 {user.email} 密码的申请。请在 {minutes} 分钟内打开下面的链接设置新密码（链接只能使用一次）：",
            "", link, "", "如果不是您本人申请，请忽略本邮件，您的密码不会改变。", "", "—" * 20, "",
            f"Someone asked to reset the password of {user.email} on the Patent Supermarket. Open the link "
            f"above within {minutes} minutes to set a new one (it works once). If it was not you, ignore "
            "this message; your password stays as it is."])
        send_message(user.name, user.email, "重置密码 | Reset your password", text,
                     key=f"password-reset-{user.id}-{user.session_epoch}")


# -- pages ------------------------------------------------------------------------------------

def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _email_key() -> str:
    return "reset:" + (request.form.get("email") or "").strip().lower()


def _private(page, status: int = 200):
    """Reset pages carry a secret in their address: never cached."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_email_limit, methods=["POST"], key_func=_email_key)
def forgot_password():
    sent, error = False, None
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        if not email:
            error = t("请填写电子邮箱", "Enter your e-mail address")
        else:
            request_reset(email)
            db.session.commit()
            sent = True
    return _private(render_template("accounts/reset_request.html", sent=sent, error=error),
                    422 if error else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def reset_password_page(token: str):
    try:
        user = user_for_token(token)
    except DomainError as err:
        return _private(render_template("accounts/reset_password.html", invalid=err.message(get_lang()),
                                        errors={}), 400)
    errors: dict = {}
    if request.method == "POST":
        new, again = request.form.get("password", ""), request.form.get("password_again", "")

        def reset():
            if new != again:
                raise DomainError("password_mismatch", "两次输入的密码不一致", "The two passwords differ",
                                  field="password_again")
            reset_password(user, new)

        done = run_action(reset)
        errors = done.field_errors("password")
        if done.ok:
            flash(t("密码已重置，请用新密码登录。其他设备上的登录已失效。",
                    "Your password is reset; log in with it. Other devices were logged out."), "success")
            return redirect(url_for("accounts.login"))
    return _private(render_template("accounts/reset_password.html", invalid=None, errors=errors, email=user.email),
                    422 if errors else 200)
