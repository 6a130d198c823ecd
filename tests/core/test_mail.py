"""Notices by e-mail: queued with the notice, sent after commit, to a folder or an SMTP server."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from market.core.extensions import db
from market.core.notifications import notify
from market.core.outbox import OutboxEntry, OutboxError, process_outbox
from tests import factories as f


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(folder))
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAIL_BASE_URL", "https://psm.example.cn")
    return folder


def _read(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _notice(org):
    return notify(org.id, "test", ("提成报告已提交", "A royalty report was filed"),
                  body=("请确认。", "Please confirm."), link="/deals/7/royalties")


def test_a_notice_is_mailed_to_each_active_user_after_commit(session, mailbox):
    org = f.organisation()
    first, second = f.user(org, email="a@uni.example"), f.user(org, email="b@uni.example")
    f.user(org, email="gone@uni.example").active = False
    note = _notice(org)
    db.session.flush()
    assert not mailbox.exists()  # nothing leaves before the commit
    db.session.commit()
    process_outbox()
    files = sorted(mailbox.glob("*.eml"))
    assert [p.name for p in files] == [f"notice-{note.id:08d}-{first.id}.eml", f"notice-{note.id:08d}-{second.id}.eml"]
    msg = _read(files[0])
    assert msg["To"] == "测试用户 <a@uni.example>" and msg["Subject"] == "提成报告已提交 | A royalty report was filed"
    assert msg["Message-ID"] == f"<notice-{note.id}-{first.id}@localhost>"
    text = msg.get_content()
    # Chinese first, then English, with the link made absolute.
    assert text.index("请确认。") < text.index("Please confirm.")
    assert "https://psm.example.cn/deals/7/royalties" in text
    assert _read(files[1])["To"] == "测试用户 <b@uni.example>"


def test_a_rolled_back_notice_sends_nothing(session, mailbox):
    org = f.organisation()
    f.user(org)
    db.session.commit()
    _notice(org)
    db.session.rollback()
    process_outbox()
    assert not mailbox.exists() or not list(mailbox.glob("*.eml"))


def test_a_notice_deduplicated_by_key_is_mailed_once(session, mailbox):
    org = f.organisation()
    f.user(org)
    notify(org.id, "test", ("一", "One"), dedupe_key="once")
    notify(org.id, "test", ("一", "One"), dedupe_key="once")
    db.session.commit()
    process_outbox()
    assert len(list(mailbox.glob("*.eml"))) == 1


def test_a_royalty_report_filed_on_the_web_reaches_the_licensors_mailbox(app, client, mailbox):
    from datetime import timedelta

    from market.core.time import add_months, today_local
    from tests.deals import royalty_builders as rb

    with app.test_request_context():
        p = rb.parties()
        start = add_months(today_local(), -4)
        d = rb.deal(p, start=start, end=add_months(start, 24) - timedelta(days=1))
        licensor_email, licensee_email, deal_id = p.licensor_user.email, p.licensee_user.email, d.id
        db.session.commit()
    f.login(client, licensee_email)
    token = f.csrf_token(client, "/account")
    response = client.post(f"/deals/{deal_id}/royalties", data={
        "csrf_token": token, "period": start.isoformat(), "base_amount": "1000"})
    assert response.status_code == 302
    (path,) = mailbox.glob("*.eml")
    msg = _read(path)
    assert msg["To"].endswith(f"<{licensor_email}>") and "被许可方提交了第1期提成报告" in msg["Subject"]


# ---- SMTP ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")

    class Collect:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 OK"

    handler = Collect()
    port = _free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    for key, value in {"MAIL_SMTP_HOST": "127.0.0.1", "MAIL_SMTP_PORT": str(port), "MAIL_SMTP_STARTTLS": "0",
                       "MAIL_FROM": "专利超市 <noreply@psm.example.cn>", "MAIL_SMTP_TIMEOUT": "5"}.items():
        monkeypatch.setitem(app.config, key, value)
    started = []
    yield controller, handler, started
    if started:
        controller.stop()


def test_smtp_delivers_after_commit(session, smtp_server):
    controller, handler, started = smtp_server
    controller.start()
    started.append(True)
    org = f.organisation()
    user = f.user(org, email="licensor@uni.example")
    note = _notice(org)
    db.session.commit()
    assert handler.messages == []
    process_outbox()
    ((rcpt, msg),) = handler.messages
    assert rcpt == ["licensor@uni.example"] and msg["Subject"] == "提成报告已提交 | A royalty report was filed"
    assert msg["From"] == "专利超市 <noreply@psm.example.cn>"
    assert msg["Message-ID"] == f"<notice-{note.id}-{user.id}@psm.example.cn>"


def test_smtp_down_keeps_the_mail_queued_and_a_retry_sends_it(session, smtp_server):
    controller, handler, started = smtp_server
    org = f.organisation()
    f.user(org, email="licensee@firm.example")
    note = _notice(org)
    db.session.commit()
    with pytest.raises(OutboxError):
        process_outbox()
    entry = session.scalar(select(OutboxEntry).where(OutboxEntry.topic == "mail.notification",
                                                     OutboxEntry.key == str(note.id)))
    assert entry.processed_at is None and entry.attempts == 1 and entry.last_error
    controller.start()
    started.append(True)
    process_outbox()
    assert [rcpt for rcpt, _ in handler.messages] == [["licensee@firm.example"]]
    session.refresh(entry)
    assert entry.processed_at is not None
