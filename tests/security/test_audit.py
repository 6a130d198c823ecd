"""The audit log: one entry per sensitive action, read by the bureau only, refused any rewrite by the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from market.core.audit import AuditAction, AuditEntry
from market.core.extensions import db
from tests import factories as f
from tests.security.sweep import fresh_client
from tests.security.world import build


@pytest.fixture
def world(app):
    with app.test_request_context():
        w = build()
        w.ids["pending_2"] = f.organisation("安全测试待审批公司二", org_type="PRIVATE", approved=False).id
        db.session.commit()
        db.session.remove()
    return w


def _as(app, world, actor: str):
    client = fresh_client(app)
    f.login(client, world.actors[actor].email)
    return client, f.csrf_token(client, "/account")


def _bearer(world, actor: str) -> dict:
    return {"Authorization": f"Bearer {world.actors[actor].token}"}


def _entries(app, after: int = 0) -> list[AuditEntry]:
    with app.test_request_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return rows


def _last_id(app) -> int:
    with app.test_request_context():
        return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def _one(app, since: int, world, action: AuditAction, actor: str | None, object_type: str, object_id) -> AuditEntry:
    entries = _entries(app, since)
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [(action, object_type, str(object_id))]
    entry = entries[0]
    person = world.actors[actor] if actor else None
    assert (entry.actor_user_id, entry.actor_org_id) == ((person.user_id, person.org_id) if person else (None, None))
    assert entry.ip == ("127.0.0.1" if person else None)
    return entry


def test_approving_and_rejecting_an_organisation_are_logged(app, world):
    client, token = _as(app, world, "bureau")
    since = _last_id(app)
    client.post(f"/admin/organisations/{world.pending_org}/decision", data={"decision": "approve", "csrf_token": token})
    entry = _one(app, since, world, AuditAction.ORG_APPROVED, "bureau", "organisation", world.pending_org)
    assert entry.summary == "批准机构“安全测试待审批公司”"
    since = entry.id
    client.post(f"/admin/organisations/{world.pending_2}/decision",
                data={"decision": "reject", "note": "信用代码与名称不符", "csrf_token": token})
    entry = _one(app, since, world, AuditAction.ORG_REJECTED, "bureau", "organisation", world.pending_2)
    assert entry.summary == "驳回机构“安全测试待审批公司二”：信用代码与名称不符"


def test_a_refused_decision_logs_nothing(app, world):
    client, token = _as(app, world, "bureau")
    since = _last_id(app)
    response = client.post(f"/admin/organisations/{world.pending_org}/decision",
                           data={"decision": "reject", "note": "", "csrf_token": token})
    assert response.status_code == 302 and _entries(app, since) == []


def test_voiding_a_deal_is_logged_on_the_page_and_on_the_api(app, world):
    client, token = _as(app, world, "ent_a")
    since = _last_id(app)
    client.post(f"/deals/{world.neg_deal}/void", data={"reason": "录入错误", "confirm": "1", "csrf_token": token})
    entry = _one(app, since, world, AuditAction.DEAL_VOIDED, "ent_a", "deal", world.neg_deal)
    assert entry.summary.endswith("：录入错误")
    since = entry.id
    response = fresh_client(app).post(f"/api/v1/deals/{world.roy_deal}/void", json={"reason": "重复登记"},
                                      headers=_bearer(world, "bureau"))
    assert response.status_code == 200
    _one(app, since, world, AuditAction.DEAL_VOIDED, "bureau", "deal", world.roy_deal)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_statistics_export_from_the_page_is_logged(app, world, fmt):
    client, _ = _as(app, world, "bureau")
    since = _last_id(app)
    response = client.get(f"/statistics/export?format={fmt}&period=2024", buffered=True)  # read in its context
    assert response.status_code == 200
    entry = _one(app, since, world, AuditAction.STATISTICS_EXPORTED, "bureau", "statistics", fmt)
    assert entry.summary.startswith("全区（区知识产权局）；2024-01-01至2024-12-31；")


def test_the_deals_behind_the_figures_on_the_api_are_logged(app, world):
    since = _last_id(app)
    response = fresh_client(app).get("/api/v1/statistics/deals?period=2024", headers=_bearer(world, "op_x"))
    assert response.status_code == 200
    entry = _one(app, since, world, AuditAction.STATISTICS_EXPORTED, "op_x", "statistics", "api")
    assert entry.summary.startswith("网点：")


def test_a_statistics_export_from_the_command_line_is_logged(app, world, runner, tmp_path):
    since = _last_id(app)
    out = tmp_path / "stats.csv"
    result = runner.invoke(args=["stats", "export", "--period", "2024", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    entry = _one(app, since, world, AuditAction.STATISTICS_EXPORTED, None, "statistics", "csv")
    assert entry.summary.startswith("命令行 全区") and entry.summary.endswith(f"→ {out}")


def test_a_refused_export_logs_nothing(app, world):
    since = _last_id(app)
    response = fresh_client(app).get("/api/v1/statistics/deals?scope=district", headers=_bearer(world, "ent_a"))
    assert response.status_code == 403 and _entries(app, since) == []


def test_members_added_and_roles_changed_are_logged(app, world):
    client, token = _as(app, world, "pat_a")
    since = _last_id(app)
    client.post("/account/members", data={"email": "new-member@example.test", "name": "新成员",
                                          "password": "member-Passw0rd1", "role": "MEMBER", "csrf_token": token})
    (added,) = _entries(app, since)
    with app.test_request_context():
        from market.accounts.models import User

        new_id = db.session.scalar(select(User.id).where(User.email == "new-member@example.test"))
    entry = _one(app, since, world, AuditAction.MEMBER_ADDED, "pat_a", "user", new_id)
    assert entry.summary == "添加成员 new-member@example.test，角色：成员"
    client.post(f"/account/members/{world.member}/role", data={"role": "ADMIN", "csrf_token": token})
    entry = _one(app, added.id, world, AuditAction.ROLE_CHANGED, "pat_a", "user", world.member)
    assert entry.summary.endswith("：成员 → 管理员")


def test_the_last_admin_cannot_step_down(app, world):
    client, token = _as(app, world, "ent_a")
    since = _last_id(app)
    page = client.post(f"/account/members/{world.actors['ent_a'].user_id}/role",
                       data={"role": "MEMBER", "csrf_token": token}, follow_redirects=True)
    assert "机构至少需要一名管理员" in page.get_data(as_text=True) and _entries(app, since) == []


def test_a_member_who_is_not_admin_cannot_change_roles(app, world):
    with app.test_request_context():
        from market.accounts.models import User

        email = db.session.get(User, world.member).email
    client = fresh_client(app)
    f.login(client, email)
    token = f.csrf_token(client, "/account")
    since = _last_id(app)
    response = client.post(f"/account/members/{world.actors['pat_a'].user_id}/role",
                           data={"role": "MEMBER", "csrf_token": token})
    assert response.status_code == 403 and _entries(app, since) == []


def test_api_tokens_issued_and_revoked_are_logged(app, world):
    client, token = _as(app, world, "pat_a")
    since = _last_id(app)
    client.post("/account/tokens", data={"name": "科研系统", "csrf_token": token})
    (issued,) = _entries(app, since)
    assert (issued.action, issued.actor_user_id, issued.object_type) == (
        AuditAction.API_TOKEN_ISSUED, world.actors["pat_a"].user_id, "api_token")
    assert issued.summary.startswith("创建 API 令牌“科研系统”（psm_")
    client.post(f"/account/tokens/{issued.object_id}/revoke", data={"csrf_token": token})
    _one(app, issued.id, world, AuditAction.API_TOKEN_REVOKED, "pat_a", "api_token", issued.object_id)
    last = _last_id(app)
    client.post(f"/account/tokens/{issued.object_id}/revoke", data={"csrf_token": token})
    assert _entries(app, last) == []  # revoking again changes nothing, so logs nothing


@pytest.mark.parametrize("actor", ["pat_a", "op_x"])
def test_open_licence_steps_recorded_for_cnipa_are_logged(app, world, actor):
    client, token = _as(app, world, actor)
    since = _last_id(app)
    client.post(f"/open-licences/{world.decl}/withdrawal-requested", data={"on": world.today, "csrf_token": token})
    entry = _one(app, since, world, AuditAction.OPEN_LICENCE_CNIPA_STEP, actor, "open_licence_declaration", world.decl)
    assert entry.summary == f"已公告(生效) → 已申请撤回（{world.today}）"


def test_the_bureau_reads_the_log_newest_first_and_filters_it(app, world):
    client, token = _as(app, world, "pat_a")
    client.post("/account/tokens", data={"name": "最新的令牌", "csrf_token": token})
    bureau, _ = _as(app, world, "bureau")
    page = bureau.get("/admin/audit").get_data(as_text=True)
    assert page.index("最新的令牌") < page.index("已提交国知局 → 已公告(生效)")
    filtered = bureau.get("/admin/audit?action=OPEN_LICENCE_CNIPA_STEP").get_data(as_text=True)
    assert "已提交国知局 → 已公告(生效)" in filtered and "最新的令牌" not in filtered
    assert "共 2 条" in filtered  # the world's filing and announcement


def test_the_log_is_paged(app, world):
    with app.test_request_context():
        from market.core.audit import record

        for n in range(60):
            record(AuditAction.STATISTICS_EXPORTED, actor=None, object_type="statistics", object_id=n,
                   summary=f"分页测试第{n:02d}条")
        db.session.commit()
    bureau, _ = _as(app, world, "bureau")
    first = bureau.get("/admin/audit?action=STATISTICS_EXPORTED").get_data(as_text=True)
    second = bureau.get("/admin/audit?action=STATISTICS_EXPORTED&page=2").get_data(as_text=True)
    assert "分页测试第59条" in first and "分页测试第10条" in first and "分页测试第09条" not in first
    assert "分页测试第09条" in second and "分页测试第00条" in second and "分页测试第10条" not in second


@pytest.mark.parametrize("actor", ["anon", "ent_a", "pat_a", "op_x"])
def test_nobody_but_the_bureau_reads_the_log(app, world, actor):
    client = fresh_client(app)
    if actor != "anon":
        f.login(client, world.actors[actor].email)
    response = client.get("/admin/audit")
    if actor == "anon":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403 and "审计日志" not in response.get_data(as_text=True)


def test_no_route_changes_the_log(app):
    audit_routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")
                    for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert audit_routes == {("GET", "/admin/audit")}


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET summary = 'rewritten'", "DELETE FROM audit_log"])
def test_the_database_refuses_to_rewrite_the_log(app, world, statement):
    with app.test_request_context():
        connection = db.session.connection()
        before = connection.execute(text("SELECT count(*), min(summary) FROM audit_log")).one()
        assert before[0] > 0
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError) as err:
            connection.execute(text(statement))
        savepoint.rollback()
        assert "audit_append_only" in str(err.value)
        assert connection.execute(text("SELECT count(*), min(summary) FROM audit_log")).one() == before


def test_postgresql_refuses_truncate_too(app, world):
    with app.test_request_context():
        connection = db.session.connection()
        if connection.dialect.name != "postgresql":
            pytest.skip("TRUNCATE is PostgreSQL's (SQLite has none)")
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError) as err:
            connection.execute(text("TRUNCATE audit_log"))
        savepoint.rollback()
        assert "audit_append_only" in str(err.value)
