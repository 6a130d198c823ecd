"""Disputes (R-OL-13; PL 52): negotiation → mediation → court, forward only, one open per deal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market.accounts.services import issue_api_token
from market.core.errors import Conflict, DomainError, Forbidden
from market.core.extensions import db
from market.core.notifications import Notification
from market.core.time import today_local
from market.deals.disputes import services as disputes
from market.deals.disputes.models import Dispute
from market.deals.models import Deal, DealEvent
from tests.api.test_api_openapi import conforms
from tests.deals import dispute_builders as b


def lines(deal: Deal) -> list[tuple[str, dict]]:
    rows = db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id, DealEvent.kind == "DISPUTE")
                              .order_by(DealEvent.seq))
    return [(e.note, e.evidence) for e in rows]


def notices(org) -> list[str]:
    return list(db.session.scalars(select(Notification.title_zh).where(
        Notification.organisation_id == org.id, Notification.kind == "deal.dispute").order_by(Notification.id)))


def test_r_ol_13_a_party_raises_a_dispute_that_starts_in_negotiation(session):
    c = b.cast()
    deal = b.deal(c, status="FILED")
    version = deal.version
    d = disputes.raise_dispute(c.buyer_user, deal, subject="  提成基数计算有分歧 ", reason="净销售额应扣除运费")
    db.session.flush()
    assert (d.stage, d.subject, d.reason, d.opened_on, d.opened_by_org_id, d.opened_by_user_id, d.is_open) == (
        "NEGOTIATION", "提成基数计算有分歧", "净销售额应扣除运费", today_local(), c.buyer.id, c.buyer_user.id, True)
    assert lines(deal) == [("提出争议（协商解决）：提成基数计算有分歧",
                            {"dispute_id": d.id, "action": "OPENED", "stage": "NEGOTIATION"})]
    # The deal itself is untouched: same state, same row version.
    assert (deal.status, deal.version) == ("FILED", version)
    assert notices(c.seller) == [f"“{c.patent.title}”：对方提出争议：提成基数计算有分歧"]
    assert notices(c.buyer) == []


@pytest.mark.parametrize("who", ["operator_user", "bureau_user"])
def test_r_ol_13_only_a_party_raises_a_dispute(session, who):
    c = b.cast()
    deal = b.deal(c)
    with pytest.raises(Forbidden):
        disputes.raise_dispute(getattr(c, who), deal, subject="质量问题")
    assert db.session.scalar(select(Dispute.id).where(Dispute.deal_id == deal.id)) is None


@pytest.mark.parametrize("status", ["NEGOTIATING", "AGREED", "APPROVALS", "DECLINED", "CANCELLED", "VOID",
                                    "NOTICE_DELIVERED", "PAYMENT_PENDING"])
def test_r_ol_13_no_dispute_without_binding_terms(session, status):
    c = b.cast()
    kind = "OPEN_LICENSE" if status in ("NOTICE_DELIVERED", "PAYMENT_PENDING") else "LICENSE_ORDINARY"
    deal = b.deal(c, kind=kind, status=status)
    with pytest.raises(Conflict) as err:
        disputes.raise_dispute(c.seller_user, deal, subject="未付款")
    assert err.value.code == "dispute.deal_not_binding"


@pytest.mark.parametrize("kind,status", [("OPEN_LICENSE", "LICENSED"), ("LICENSE_SOLE", "SIGNED"),
                                         ("LICENSE_ORDINARY", "ACTIVE"), ("TRANSFER", "REGISTERED"),
                                         ("EQUITY", "COMPLETED"), ("LICENSE_EXCLUSIVE", "TERMINATED"),
                                         ("LICENSE_ORDINARY", "EXPIRED")])
def test_r_ol_13_a_deal_with_binding_terms_can_be_disputed(session, kind, status):
    c = b.cast()
    deal = b.deal(c, kind=kind, status=status)
    assert disputes.raise_dispute(c.seller_user, deal, subject="未按期付款").stage == "NEGOTIATION"
    assert deal.status == status


def test_r_ol_13_one_open_dispute_per_deal_and_a_new_one_once_it_ended(session):
    c = b.cast()
    deal = b.deal(c)
    first = disputes.raise_dispute(c.buyer_user, deal, subject="一")
    with pytest.raises(Conflict) as err:
        disputes.raise_dispute(c.seller_user, deal, subject="二")
    assert err.value.code == "dispute.already_open"
    disputes.resolve(c.seller_user, deal, first.id, outcome="SETTLED", note="双方和解")
    second = disputes.raise_dispute(c.seller_user, deal, subject="二")
    assert [d.id for d in disputes.disputes_of(deal)] == [second.id, first.id]
    assert disputes.current_dispute(deal) is second


def test_r_ol_13_the_database_refuses_a_second_open_dispute(session):
    c = b.cast()
    deal = b.deal(c)
    on = today_local()
    db.session.add(Dispute(deal_id=deal.id, opened_by_org_id=c.buyer.id, subject="一", opened_on=on))
    db.session.flush()
    db.session.add(Dispute(deal_id=deal.id, opened_by_org_id=c.seller.id, subject="结束的", opened_on=on,
                           resolved_on=on, outcome="SETTLED"))
    db.session.flush()  # an ended dispute does not count
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Dispute(deal_id=deal.id, opened_by_org_id=c.seller.id, subject="二", opened_on=on))
    assert db.session.scalar(select(db.func.count(Dispute.id)).where(Dispute.deal_id == deal.id)) == 2


@pytest.mark.parametrize("values", [{"stage": "APPEAL"}, {"outcome": "SETTLED"}, {"resolved_on": 0},
                                    {"resolved_on": -1, "outcome": "SETTLED"}])
def test_r_ol_13_the_database_checks_stage_and_outcome(session, values):
    c = b.cast()
    deal = b.deal(c)
    on = today_local()
    if "resolved_on" in values:
        values = {**values, "resolved_on": on + timedelta(days=values["resolved_on"])}
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Dispute(deal_id=deal.id, opened_by_org_id=c.buyer.id, subject="一", opened_on=on,
                                   **values))


def test_r_ol_13_escalation_goes_from_negotiation_to_mediation_to_court(session):
    c = b.cast()
    deal = b.deal(c, kind="OPEN_LICENSE", status="LICENSED")
    d = disputes.raise_dispute(c.buyer_user, deal, subject="许可使用费争议")
    disputes.escalate(c.seller_user, deal, d.id, to_stage="CNIPA_MEDIATION", forum="国家知识产权局",
                      note="协商不成")
    assert (d.stage, d.escalated_on, d.forum) == ("CNIPA_MEDIATION", today_local(), "国家知识产权局")
    disputes.escalate(c.buyer_user, deal, d.id, to_stage="LITIGATION", forum="上海知识产权法院",
                      case_no="(2026)沪73民初1号")
    assert (d.stage, d.forum, d.case_no, d.note) == ("LITIGATION", "上海知识产权法院", "(2026)沪73民初1号", "协商不成")
    assert [e["action"] for _, e in lines(deal)] == ["OPENED", "ESCALATED", "ESCALATED"]
    assert [(e.get("from_stage"), e["stage"]) for _, e in lines(deal)] == [
        (None, "NEGOTIATION"), ("NEGOTIATION", "CNIPA_MEDIATION"), ("CNIPA_MEDIATION", "LITIGATION")]
    assert lines(deal)[1][0] == "争议转入国务院专利行政部门调解（专利法第52条）；国家知识产权局；协商不成"
    # Each step reaches the other party.
    assert notices(c.buyer)[-1] == f"“{c.patent.title}”：争议已转入国务院专利行政部门调解（专利法第52条）：许可使用费争议"
    assert notices(c.seller)[-1] == f"“{c.patent.title}”：争议已转入诉讼：许可使用费争议"
    assert deal.status == "LICENSED"


@pytest.mark.parametrize("path,target", [(["LITIGATION"], "CNIPA_MEDIATION"), (["LITIGATION"], "NEGOTIATION"),
                                         (["CNIPA_MEDIATION"], "NEGOTIATION"), ([], "NEGOTIATION"),
                                         (["CNIPA_MEDIATION"], "CNIPA_MEDIATION"), (["LITIGATION"], "LITIGATION")])
def test_r_ol_13_a_dispute_never_goes_back(session, path, target):
    c = b.cast()
    deal = b.deal(c)
    d = disputes.raise_dispute(c.buyer_user, deal, subject="争议")
    for stage in path:
        disputes.escalate(c.buyer_user, deal, d.id, to_stage=stage)
    with pytest.raises(Conflict) as err:
        disputes.escalate(c.seller_user, deal, d.id, to_stage=target)
    assert err.value.code == "dispute.illegal_escalation"
    assert d.stage == (path[-1] if path else "NEGOTIATION")


def test_r_ol_13_negotiation_may_go_straight_to_court_and_mediation_is_named_per_kind(session):
    c = b.cast()
    deal = b.deal(c, kind="TRANSFER", status="REGISTERED")
    d = disputes.raise_dispute(c.buyer_user, deal, subject="权属")
    assert disputes.escalate(c.buyer_user, deal, d.id, to_stage="LITIGATION").stage == "LITIGATION"
    assert disputes.stage_label(deal, "CNIPA_MEDIATION") == "调解"
    assert disputes.stage_label(deal, "CNIPA_MEDIATION", "en") == "Mediation"
    open_licence = b.deal(c, kind="OPEN_LICENSE", status="FILED")
    assert disputes.stage_label(open_licence, "CNIPA_MEDIATION", "en") == "Mediation by CNIPA (PL art. 52)"
    with pytest.raises(DomainError) as err:
        disputes.escalate(c.buyer_user, deal, d.id, to_stage="APPEAL")
    assert (err.value.code, err.value.status) == ("dispute.stage_unknown", 422)


@pytest.mark.parametrize("stages,outcome,ok", [
    ([], "SETTLED", True), ([], "MEDIATED", False), ([], "JUDGED", False),
    (["CNIPA_MEDIATION"], "MEDIATED", True), (["CNIPA_MEDIATION"], "JUDGED", False),
    (["LITIGATION"], "JUDGED", True), (["LITIGATION"], "MEDIATED", True), (["LITIGATION"], "SETTLED", True),
])
def test_r_ol_13_the_outcome_fits_the_stage(session, stages, outcome, ok):
    c = b.cast()
    deal = b.deal(c)
    d = disputes.raise_dispute(c.buyer_user, deal, subject="争议")
    for stage in stages:
        disputes.escalate(c.buyer_user, deal, d.id, to_stage=stage)
    if not ok:
        with pytest.raises(DomainError) as err:
            disputes.resolve(c.seller_user, deal, d.id, outcome=outcome)
        assert err.value.code == "dispute.outcome_not_allowed" and d.is_open
        return
    disputes.resolve(c.seller_user, deal, d.id, outcome=outcome, note="结案")
    assert (d.outcome, d.resolved_on, d.resolved_by_org_id, d.is_open) == (outcome, today_local(), c.seller.id, False)
    assert lines(deal)[-1][1] == {"dispute_id": d.id, "action": "RESOLVED", "stage": d.stage, "outcome": outcome}


def test_r_ol_13_only_the_party_that_raised_it_withdraws_it(session):
    c = b.cast()
    deal = b.deal(c)
    d = disputes.raise_dispute(c.buyer_user, deal, subject="争议")
    with pytest.raises(DomainError) as err:
        disputes.resolve(c.seller_user, deal, d.id, outcome="WITHDRAWN")
    assert (err.value.code, err.value.status, d.is_open) == ("dispute.withdraw_not_allowed", 403, True)
    disputes.resolve(c.buyer_user, deal, d.id, outcome="WITHDRAWN")
    assert d.outcome == "WITHDRAWN"
    assert notices(c.seller)[-1] == f"“{c.patent.title}”：争议已结束（撤回）：争议"


def test_r_ol_13_an_ended_dispute_changes_no_more_and_dates_are_checked(session):
    c = b.cast()
    deal = b.deal(c)
    d = disputes.raise_dispute(c.buyer_user, deal, subject="争议")
    for on in (today_local() - timedelta(days=1), today_local() + timedelta(days=1)):
        with pytest.raises(DomainError) as err:
            disputes.resolve(c.buyer_user, deal, d.id, outcome="SETTLED", on=on)
        assert err.value.field == "resolved_on"
    disputes.resolve(c.buyer_user, deal, d.id, outcome="SETTLED")
    for act in (lambda: disputes.escalate(c.buyer_user, deal, d.id, to_stage="LITIGATION"),
                lambda: disputes.resolve(c.seller_user, deal, d.id, outcome="SETTLED")):
        with pytest.raises(Conflict) as err:
            act()
        assert err.value.code == "dispute.closed"
    other = b.deal(b.cast())
    with pytest.raises(DomainError) as err:
        disputes.escalate(c.buyer_user, other, d.id, to_stage="LITIGATION")
    assert err.value.status in (403, 404)


# ---- the deal page ---------------------------------------------------------------------------------

@pytest.fixture
def committed(session):
    """A deal committed in the test's session, so the clients' requests see it."""
    c = b.cast()
    deal = b.deal(c, kind="LICENSE_EXCLUSIVE", status="ACTIVE")
    db.session.commit()
    return c, deal.id


def test_r_ol_13_parties_raise_escalate_and_resolve_on_the_deal_page(app, committed):
    c, deal_id = committed
    buyer, seller = b.as_user(app, c.buyer_user), b.as_user(app, c.seller_user)
    page = buyer.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'id="disputes"' in page and f'action="/deals/{deal_id}/disputes"' in page
    raised = b.post(buyer, f"/deals/{deal_id}/disputes", {"subject": "独占期间许可方自行实施", "reason": "违反独占约定"})
    assert raised.status_code == 302 and raised.headers["Location"].endswith(f"/deals/{deal_id}#disputes")
    page = buyer.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "争议已提出" in page and "独占期间许可方自行实施" in page and "违反独占约定" in page
    d = db.session.scalars(select(Dispute).where(Dispute.deal_id == deal_id)).one()
    # The form to raise another one is gone while this one is open.
    assert f'action="/deals/{deal_id}/disputes"' not in page
    # The seller may not withdraw what the buyer raised: the option is not offered.
    seller_page = seller.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'value="WITHDRAWN"' not in seller_page and 'value="SETTLED"' in seller_page
    assert 'value="WITHDRAWN"' in page
    escalated = b.post(seller, f"/deals/{deal_id}/disputes/{d.id}/escalate", {"stage": "CNIPA_MEDIATION",
                                                                            "forum": "宝山区知识产权纠纷人民调解委员会"})
    assert escalated.status_code == 302
    back = b.post(seller, f"/deals/{deal_id}/disputes/{d.id}/escalate", {"stage": "NEGOTIATION"})
    assert "不能转为" in seller.get(back.headers["Location"]).get_data(as_text=True)
    resolved = b.post(buyer, f"/deals/{deal_id}/disputes/{d.id}/resolve", {"outcome": "MEDIATED", "note": "调解协议"})
    assert "已登记争议结果" in buyer.get(resolved.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    d = db.session.get(Dispute, d.id)
    assert (d.stage, d.forum, d.outcome, d.note) == ("CNIPA_MEDIATION", "宝山区知识产权纠纷人民调解委员会", "MEDIATED", "调解协议")
    assert db.session.get(Deal, deal_id).status == "ACTIVE"


def test_r_ol_13_others_who_see_the_deal_read_its_disputes_but_cannot_act(app, committed):
    c, deal_id = committed
    buyer = b.as_user(app, c.buyer_user)
    b.post(buyer, f"/deals/{deal_id}/disputes", {"subject": "付款争议"})
    d = db.session.scalars(select(Dispute).where(Dispute.deal_id == deal_id)).one()
    operator = b.as_user(app, c.operator_user)
    page = operator.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "付款争议" in page and f"/disputes/{d.id}/resolve" not in page
    assert b.post(operator, f"/deals/{deal_id}/disputes/{d.id}/resolve", {"outcome": "SETTLED"}).status_code == 403
    stranger = b.as_user(app, c.stranger_user)
    assert stranger.get(f"/deals/{deal_id}").status_code == 404
    assert b.post(stranger, f"/deals/{deal_id}/disputes", {"subject": "x"}).status_code == 404
    no_token = buyer.post(f"/deals/{deal_id}/disputes/{d.id}/escalate", data={"stage": "LITIGATION"})
    assert no_token.status_code == 400
    db.session.expire_all()
    assert (db.session.get(Dispute, d.id).stage, db.session.get(Dispute, d.id).outcome) == ("NEGOTIATION", None)


# ---- the API ---------------------------------------------------------------------------------------

@pytest.fixture
def api(app):
    with app.test_request_context():
        c = b.cast()
        deal = b.deal(c, kind="OPEN_LICENSE", status="FILED")
        tokens = {who: {"Authorization": "Bearer " + issue_api_token(user, "t")[1]}
                  for who, user in (("buyer", c.buyer_user), ("seller", c.seller_user),
                                    ("operator", c.operator_user), ("stranger", c.stranger_user))}
        db.session.commit()
        return deal.id, tokens


def _schema(doc, path, method, status):
    return doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_r_ol_13_disputes_through_the_api_match_the_documented_schemas(client, api):
    deal_id, tokens = api
    doc = json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))
    base = f"/api/v1/deals/{deal_id}/disputes"
    created = client.post(base, json={"subject": "开放许可使用费", "reason": "按声明标准计算有误"}, headers=tokens["buyer"])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert conforms(body, _schema(doc, "/deals/{deal_id}/disputes", "post", 201), doc) == []
    assert (body["stage"], body["stage_label"], body["is_open"], body["outcome"]) == (
        "NEGOTIATION", "协商", True, None)
    again = client.post(base, json={"subject": "再来"}, headers=tokens["seller"])
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "dispute.already_open")
    up = client.post(f"{base}/{body['id']}/escalate", json={"stage": "CNIPA_MEDIATION"}, headers=tokens["seller"])
    assert up.status_code == 200 and up.get_json()["stage_label"] == "国务院专利行政部门调解（专利法第52条）"
    assert conforms(up.get_json(), _schema(doc, "/deals/{deal_id}/disputes/{dispute_id}/escalate", "post", 200),
                    doc) == []
    back = client.post(f"{base}/{body['id']}/escalate", json={"stage": "NEGOTIATION"}, headers=tokens["seller"])
    assert back.status_code == 422 and "stage" in back.get_json()["error"]["fields"]
    judged = client.post(f"{base}/{body['id']}/resolve", json={"outcome": "JUDGED"}, headers=tokens["buyer"])
    assert (judged.status_code, judged.get_json()["error"]["code"]) == (422, "dispute.outcome_not_allowed")
    done = client.post(f"{base}/{body['id']}/resolve", json={"outcome": "MEDIATED", "note": "调解书"},
                       headers=tokens["buyer"])
    assert done.status_code == 200 and (done.get_json()["outcome"], done.get_json()["is_open"]) == ("MEDIATED", False)
    listed = client.get(base, headers=tokens["operator"])
    assert listed.status_code == 200 and [d["id"] for d in listed.get_json()] == [body["id"]]
    assert conforms(listed.get_json(), _schema(doc, "/deals/{deal_id}/disputes", "get", 200), doc) == []
    assert client.post(base, json={"subject": "x"}, headers=tokens["operator"]).status_code == 403
    assert client.get(base, headers=tokens["stranger"]).status_code == 404
    assert client.post(base, json={"subject": "x"}, headers=tokens["stranger"]).status_code == 404
    assert client.get(base).status_code == 401
    empty = client.post(base, json={"subject": "  "}, headers=tokens["buyer"])
    assert empty.status_code == 422 and "subject" in empty.get_json()["error"]["fields"]
    # Last: ?lang=en keeps the language in a session cookie, which this client then sends along.
    english = client.get(base + "?lang=en", headers=tokens["seller"]).get_json()
    assert english[0]["stage_label"] == "Mediation by CNIPA (PL art. 52)"
