"""Issue 13 #5: user text cannot break a mail header, and a notice that cannot be sent is parked
(dead-lettered) with its error instead of holding up every other e-mail."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from market.core import mail
from market.core.extensions import db
from market.core.notifications import notify
from market.core.outbox import OutboxEntry, process_outbox
from tests import factories as f


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(folder))
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "")
    return folder


def _messages(folder):
    return {p.name: message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))}


def _entry(note) -> OutboxEntry:
    return db.session.scalar(select(OutboxEntry).where(OutboxEntry.topic == mail.TOPIC,
                                                       OutboxEntry.key == str(note.id)))


@pytest.mark.parametrize("value", ["一种\n隔膜", "标题\r\nBcc: victim@example.test", "a\u2028b", "tab\there\x00"])
def test_header_text_has_no_line_break_or_control_character(value):
    text = mail.header_text(value)
    assert not any(ord(c) < 32 or c in "\x7f\u2028\u2029" for c in text)


def test_a_title_with_line_breaks_is_mailed_on_one_header_line_with_the_others(session, mailbox):
    hostile, other = f.organisation(), f.organisation()
    f.user(hostile, email="a@uni.example").name = "张三\r\nBcc: spy@attacker.example"
    f.user(other, email="b@firm.example")
    bad = notify(hostile.id, "test", ("专利“一种\n隔膜”已上架\r\nBcc: spy@attacker.example", "Listed"))
    good = notify(other.id, "test", ("提成报告已提交", "A royalty report was filed"))
    db.session.commit()
    process_outbox()
    messages = _messages(mailbox)
    assert len(messages) == 2
    for msg in messages.values():
        assert msg["Bcc"] is None
        assert "\n" not in msg["Subject"] and "\n" not in msg["To"]
    assert _entry(bad).processed_at is not None and _entry(good).processed_at is not None


def test_a_notice_that_cannot_be_mailed_is_parked_and_the_rest_go_out(session, mailbox, monkeypatch, runner):
    first, second = f.organisation(), f.organisation()
    f.user(first, email="a@uni.example")
    f.user(second, email="b@firm.example")
    broken = notify(first.id, "test", ("无法发送的通知", "Cannot be sent"))
    fine = notify(second.id, "test", ("正常的通知", "A fine notice"))
    db.session.commit()
    compose = mail.compose

    def failing(note, user, settings):
        if note.id == broken.id:
            raise ValueError("header value is not valid")
        return compose(note, user, settings)

    monkeypatch.setattr(mail, "compose", failing)
    process_outbox()  # no OutboxError: nothing is left failing
    assert [m["Subject"] for m in _messages(mailbox).values()] == ["正常的通知 | A fine notice"]
    parked, sent = _entry(broken), _entry(fine)
    assert sent.processed_at is not None
    assert parked.processed_at is None and parked.parked_at is not None
    assert "header value is not valid" in parked.last_error
    # Parked entries are left alone: later notices are not held up behind them.
    later = notify(second.id, "test", ("后来的通知", "A later notice"))
    db.session.commit()
    process_outbox()
    assert _entry(later).processed_at is not None and _entry(broken).attempts == 1

    status = runner.invoke(args=["mail", "status"])
    assert status.exit_code == 0, status.output
    assert "parked 1" in status.output and "header value is not valid" in status.output

    monkeypatch.setattr(mail, "compose", compose)  # the data was fixed
    retried = runner.invoke(args=["mail", "retry"])
    assert retried.exit_code == 0, retried.output
    db.session.expire_all()
    assert _entry(broken).processed_at is not None
    assert "无法发送的通知 | Cannot be sent" in [m["Subject"] for m in _messages(mailbox).values()]


def test_a_recipient_the_smtp_server_refuses_for_good_is_parked_not_retried_forever(app, session, monkeypatch):
    import socket

    controller_module = pytest.importorskip("aiosmtpd.controller")

    class Collect:
        def __init__(self):
            self.rcpts = []

        async def handle_RCPT(self, server, session_, envelope, address, rcpt_options):
            if address.startswith("gone@"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session_, envelope):
            self.rcpts += envelope.rcpt_tos
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Collect()
    controller = controller_module.Controller(handler, hostname="127.0.0.1", port=port)
    for key, value in {"MAIL_SMTP_HOST": "127.0.0.1", "MAIL_SMTP_PORT": str(port), "MAIL_SMTP_STARTTLS": "0",
                       "MAIL_SMTP_TIMEOUT": "5"}.items():
        monkeypatch.setitem(app.config, key, value)
    first, second = f.organisation(), f.organisation()
    f.user(first, email="gone@uni.example")
    f.user(second, email="here@firm.example")
    refused = notify(first.id, "test", ("通知甲", "Notice A"))
    delivered = notify(second.id, "test", ("通知乙", "Notice B"))
    db.session.commit()
    controller.start()
    try:
        process_outbox()
    finally:
        controller.stop()
    assert handler.rcpts == ["here@firm.example"]
    assert _entry(delivered).processed_at is not None
    assert _entry(refused).parked_at is not None and "refused" in _entry(refused).last_error
