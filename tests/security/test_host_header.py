"""Issue 13 #1: links in e-mails come from configuration, never from the request's Host header."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from config.settings import Settings
from market import create_app
from market.core.extensions import db, limiter
from market.core.mail import MailSettings
from market.factory import ConfigurationError
from tests import factories as f
from tests.security.sweep import fresh_client


@pytest.fixture
def person(app):
    with app.test_request_context():
        org = f.organisation("主机头测试科技有限公司", org_type="PRIVATE")
        f.user(org, email="host-header@example.test")
        db.session.commit()
        db.session.remove()
    for old in Path(app.config["MAIL_FOLDER"]).glob("password-reset-*.eml"):
        old.unlink()
    limiter.reset()
    return "host-header@example.test"


def _reset_link(app) -> str:
    (mail,) = sorted(Path(app.config["MAIL_FOLDER"]).glob("password-reset-*.eml"))
    text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
    return re.search(r"(\S+/password/reset/\S+)", text).group(1)


def _ask_for_reset(app, email: str, host: str):
    client = fresh_client(app)
    token = f.csrf_token(client, f"http://{host}/password/forgot")
    return client.post(f"http://{host}/password/forgot", data={"email": email, "csrf_token": token})


@pytest.mark.parametrize("base", ["", "https://psm.example.cn"])
def test_reset_link_ignores_the_request_host(app, person, monkeypatch, base):
    monkeypatch.setitem(app.config, "MAIL_BASE_URL", base)
    assert _ask_for_reset(app, person, "attacker.example").status_code == 200
    link = _reset_link(app)
    assert "attacker.example" not in link
    if base:
        assert link.startswith("https://psm.example.cn/password/reset/")


def test_a_host_outside_trusted_hosts_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["psm.example.cn"])
    client = fresh_client(app)
    assert client.get("/login", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/api/v1/statistics/public", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "psm.example.cn"}).status_code == 200


def _production(tmp_path, **settings) -> Settings:
    config = Settings(str(tmp_path))
    config.SECRET_KEY = "production-test"
    config.MAIL_BASE_URL, config.TRUSTED_HOSTS = "", None
    for key, value in settings.items():
        setattr(config, key, value)
    return config


def test_production_refuses_to_start_without_a_mail_address(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="MAIL_BASE_URL"):
        create_app(_production(tmp_path))
    with pytest.raises(ConfigurationError, match="MAIL_BASE_URL"):
        create_app(_production(tmp_path, TRUSTED_HOSTS=[".example.cn"]))


@pytest.mark.parametrize("settings", [{"MAIL_BASE_URL": "https://psm.example.cn"},
                                      {"TRUSTED_HOSTS": ["psm.example.cn"]}])
def test_production_starts_with_a_configured_address(tmp_path, monkeypatch, settings, make_app):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = make_app(_production(tmp_path, **settings))
    assert MailSettings.from_app(app).base_url == "https://psm.example.cn"


def test_the_demo_has_a_local_address_and_hosts(tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.delenv("MAIL_BASE_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    config = Settings(str(tmp_path))
    assert config.MAIL_BASE_URL == "http://127.0.0.1:5000"
    assert "127.0.0.1" in config.TRUSTED_HOSTS and "localhost" in config.TRUSTED_HOSTS
