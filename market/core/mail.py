"""E-mail copies of in-app notices, sent after the commit that wrote the notice.

`notify()` queues an outbox entry in the notice's own transaction; the handler that sends one
message to each active user of the organisation lives with the users (market/accounts/notice_mail.py). Transport by configuration: SMTP when
MAIL_SMTP_HOST is set, otherwise each message is written as an .eml file under
<instance>/mail/ (the embedded default, so a fresh install shows what it would have sent).
Delivery is at least once: a batch that fails part-way is retried whole, and each message
carries a Message-ID fixed by notice and recipient so that a mail system can drop the repeat.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from flask import current_app

from market.core.outbox import PermanentError, enqueue

TOPIC = "mail.notification"


def _setting(config, name: str, default: str = "") -> str:
    """The app's setting (config/settings.py reads the environment); the environment if unset."""
    value = config[name] if name in config else os.environ.get(name, default)
    return default if value is None else str(value)


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Outside production (debug, tests) with nothing configured: the development server's address.
LOCAL_BASE_URL = "http://127.0.0.1:5000"


def mail_base_url(config) -> str:
    """The address links in e-mails start with: MAIL_BASE_URL, else the first trusted host over HTTPS.

    Never the request's Host: a client chooses that one (password-reset link poisoning).
    """
    base = str(config.get("MAIL_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base
    for host in config.get("TRUSTED_HOSTS") or ():
        if host and not host.startswith("."):  # ".example.cn" is a wildcard, no address
            return f"https://{host}"
    return ""


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    starttls: bool
    implicit_tls: bool
    sender: str
    base_url: str
    folder: Path
    timeout: float

    @classmethod
    def from_app(cls, app) -> MailSettings:
        """MAIL_* from the app's configuration (see config/settings.py)."""
        c = app.config
        port = int(_setting(c, "MAIL_SMTP_PORT", "587"))
        return cls(
            smtp_host=_setting(c, "MAIL_SMTP_HOST"),
            smtp_port=port,
            smtp_user=_setting(c, "MAIL_SMTP_USER"),
            smtp_password=_setting(c, "MAIL_SMTP_PASSWORD"),
            # Port 465 speaks TLS from the first byte; 587 upgrades with STARTTLS.
            starttls=_flag(_setting(c, "MAIL_SMTP_STARTTLS", "1" if port == 587 else "0")),
            implicit_tls=port == 465,
            sender=_setting(c, "MAIL_FROM", "专利超市 <noreply@localhost>"),
            base_url=mail_base_url(c) or (LOCAL_BASE_URL if app.debug or app.testing else ""),
            folder=Path(_setting(c, "MAIL_FOLDER", str(Path(app.instance_path) / "mail"))),
            timeout=float(_setting(c, "MAIL_SMTP_TIMEOUT", "10")),
        )


@dataclass(frozen=True)
class Outgoing:
    notification_id: int
    user_id: int
    message: EmailMessage


# Line breaks and other control characters: in a header they would end it (header injection),
# and the email package refuses them, which would fail the whole batch.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def header_text(value: str | None) -> str:
    """`value` fit for one header line: every line break or control character becomes a space."""
    return " ".join(_HEADER_BREAKS.sub(" ", value or "").split())


def address(name: str | None, email: str) -> str:
    """A To/From value from a display name and an address that users typed."""
    return formataddr((header_text(name), header_text(email).replace(" ", "")))


def compose(note, user, settings: MailSettings) -> EmailMessage:
    """One notice as a bilingual plain-text message to one user (Chinese first)."""
    msg = EmailMessage()
    msg["Subject"] = header_text(f"{note.title_zh} | {note.title_en}" if note.title_en else note.title_zh)
    msg["From"] = settings.sender
    msg["To"] = address(user.name, user.email)
    msg["Date"] = format_datetime(note.created_at.replace(tzinfo=UTC))
    domain = settings.sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    msg["Message-ID"] = f"<notice-{note.id}-{user.id}@{domain}>"
    link = ""
    if note.link:
        link = f"{settings.base_url}{note.link}" if note.link.startswith("/") else note.link
    zh = [note.title_zh, "", note.body_zh] if note.body_zh else [note.title_zh]
    en = [note.title_en, "", note.body_en] if note.body_en else [note.title_en]
    lines = [*zh]
    if link:
        lines += ["", f"查看：{link}"]
    if note.title_en:
        lines += ["", "—" * 20, "", *en]
        if link:
            lines += ["", f"Open: {link}"]
    lines += ["", "—" * 20, "此邮件由专利超市自动发送，请勿直接回复。站内“消息”中可查看全部通知。",
              "Sent automatically by the Patent Supermarket; please do not reply. All notices are in your Inbox."]
    msg.set_content("\n".join(lines))
    return msg


class FolderTransport:
    """Writes each message as <folder>/notice-<id>-<user>.eml; a retry overwrites the same file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, outgoing: list[Outgoing]) -> list[tuple[Outgoing, str]]:
        self.folder.mkdir(parents=True, exist_ok=True)
        for item in outgoing:
            path = self.folder / f"notice-{item.notification_id:08d}-{item.user_id}.eml"
            # A temporary name of this writer's own: two workers may send the same notice at
            # once (the outbox is at-least-once), and must not move each other's file away.
            tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_bytes(item.message.as_bytes())
            tmp.replace(path)  # readers never see half a message
        return []


class SmtpTransport:
    """One SMTP session per batch. A message the server refuses for good (5xx for its recipient or
    its content) is returned with the reason; any other failure raises, and the outbox retries."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(self, outgoing: list[Outgoing]) -> list[tuple[Outgoing, str]]:
        s = self.settings
        context = ssl.create_default_context()
        if s.implicit_tls:
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.timeout, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
        with client:
            if s.starttls:
                client.starttls(context=context)
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password)
            refused = []
            for item in outgoing:
                try:
                    client.send_message(item.message)
                except smtplib.SMTPRecipientsRefused as err:
                    refused.append((item, f"recipient refused: {err.recipients}"))
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as err:
                    if not 500 <= err.smtp_code < 600:
                        raise
                    refused.append((item, f"refused ({err.smtp_code}): {err.smtp_error!r}"))
            return refused


def transport_for(settings: MailSettings):
    return SmtpTransport(settings) if settings.smtp_host else FolderTransport(settings.folder)


def queue(session, note) -> None:
    """Send `note` by e-mail once the transaction that wrote it commits."""

    enqueue(session, TOPIC, note)


def send_message(to_name: str, to_address: str, subject: str, text: str, *, key: str) -> None:
    """One plain-text message to one address, now, through the configured transport.

    For mail that belongs to no notice (a password-reset link). `key` names the message: its
    Message-ID, and its file under MAIL_FOLDER when there is no SMTP server.
    """

    settings = MailSettings.from_app(current_app)
    msg = EmailMessage()
    msg["Subject"] = header_text(subject)
    msg["From"] = settings.sender
    msg["To"] = address(to_name, to_address)
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = settings.sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    msg["Message-ID"] = f"<{key}@{domain}>"
    msg.set_content(text)
    if settings.smtp_host:
        for _, reason in SmtpTransport(settings).send([Outgoing(0, 0, msg)]):
            raise PermanentError(f"{key}: {reason}")
        return
    settings.folder.mkdir(parents=True, exist_ok=True)
    path = settings.folder / f"{key}.eml"
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")  # as FolderTransport
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
