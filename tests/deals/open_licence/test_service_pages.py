"""The pages of technical services beside an open licence: who may offer them, the take page that lists
them as optional extras with quantities, and the confirmation of the total before the binding notice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from market.core.extensions import db
from market.deals.models import Deal
from market.deals.open_licence import extras
from market.deals.open_licence.models import OfferedService, TakenService
from market.payments.models import Payment
from tests import factories as f
from tests.deals.open_licence import world as wb

TRAINING = {"kind": "TRAINING", "description": "隔膜涂覆工艺现场培训", "unit": "人天", "unit_price_fen": 300_000,
            "max_quantity": 10}


@pytest.fixture
def offered(app):
    with app.test_request_context():
        w = wb.world()
        decl = wb.announced(w)
        service = extras.offer_service(w.uni_user, decl, dict(TRAINING))
        db.session.commit()
        return {"decl": decl.id, "service": service.id, "owner": w.uni_user.email, "buyer": w.buyer_user.email,
                "operator": w.operator_user.email}


def count(app, model, *where) -> int:
    with app.test_request_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_patentee_offers_a_service_from_the_services_page(app, client, offered):
    f.login(client, offered["owner"])
    path = f"/open-licences/{offered['decl']}/services"
    assert client.get(path).status_code == 200
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "kind": "CONSULTING",
                                       "description": "量产工艺咨询", "unit": "次", "unit_price_yuan": "8000.50"})
    assert response.status_code == 302
    with app.test_request_context():
        (new,) = db.session.scalars(select(OfferedService).where(OfferedService.kind == "CONSULTING"))
        assert (new.unit_price_fen, new.max_quantity, new.declaration_id) == (800_050, None, offered["decl"])
    assert "量产工艺咨询" in client.get(f"/open-licences/{offered['decl']}").get_data(as_text=True)


def test_bad_service_input_keeps_what_was_valid_and_shows_each_error_beside_its_field(app, client, offered):
    f.login(client, offered["owner"])
    path = f"/open-licences/{offered['decl']}/services"
    before = count(app, OfferedService)
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "kind": "TRAINING",
                                       "description": "设备调试培训", "unit": "", "unit_price_yuan": "-5",
                                       "max_quantity": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for name in ("unit", "unit_price_yuan", "max_quantity"):
        assert f'id="err-{name}"' in page, name
    assert "设备调试培训" in page  # what was valid stays
    assert count(app, OfferedService) == before


@pytest.mark.parametrize("who,status", [("buyer", 403), ("operator", 403)])
def test_someone_elses_declaration_cannot_get_services(app, client, offered, who, status):
    f.login(client, offered[who])
    path = f"/open-licences/{offered['decl']}/services"
    assert client.get(path).status_code == status
    token = f.csrf_token(client, "/")
    assert client.post(path, data={"csrf_token": token, "kind": "SERVICE", "description": "冒充的服务", "unit": "次",
                                   "unit_price_yuan": "1"}).status_code == status
    assert client.post(f"{path}/{offered['service']}/withdraw", data={"csrf_token": token}).status_code == status
    assert count(app, OfferedService, OfferedService.withdrawn_at.is_not(None)) == 0


def test_another_organisations_draft_is_not_found(app, client, offered):
    with app.test_request_context():
        draft = wb.draft(wb.world()).id
        db.session.commit()
    f.login(client, offered["buyer"])
    assert client.get(f"/open-licences/{draft}/services").status_code == 404


def test_the_services_page_needs_a_login_and_a_post_needs_its_csrf_token(app, client, offered):
    path = f"/open-licences/{offered['decl']}/services"
    assert client.get(path).status_code in (302, 401)
    f.login(client, offered["owner"])
    assert client.post(path, data={"kind": "SERVICE", "description": "无令牌", "unit": "次",
                                   "unit_price_yuan": "1"}).status_code == 400


def test_withdrawing_a_service_removes_it_from_the_take_page_only(app, client, offered):
    f.login(client, offered["owner"])
    path = f"/open-licences/{offered['decl']}/services/{offered['service']}/withdraw"
    assert client.post(path, data={"csrf_token": f.csrf_token(client, "/")}).status_code == 302
    client.get("/logout")
    f.login(client, offered["buyer"])
    page = client.get(f"/open-licences/{offered['decl']}/take").get_data(as_text=True)
    assert "隔膜涂覆工艺现场培训" not in page


def test_the_take_page_lists_services_as_optional_with_quantity_zero(app, client, offered):
    f.login(client, offered["buyer"])
    for lang, optional in (("zh", "完全可选"), ("en", "entirely optional")):
        page = client.get(f"/open-licences/{offered['decl']}/take?lang={lang}").get_data(as_text=True)
        assert "隔膜涂覆工艺现场培训" in page and "3,000.00" in page and optional in page
        assert re.search(rf'name="qty_{offered["service"]}"[^>]*value="0"', page)


def test_the_licence_is_taken_with_no_service_chosen(app, client, offered):
    f.login(client, offered["buyer"])
    path = f"/open-licences/{offered['decl']}/take"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "confirm": "1", "quoted": "",
                                       f"qty_{offered['service']}": "0"})
    assert response.status_code == 302
    assert count(app, TakenService) == 0 and count(app, Deal, Deal.declaration_id == offered["decl"]) == 1


def test_review_shows_the_services_total_and_sends_nothing(app, client, offered):
    f.login(client, offered["buyer"])
    path = f"/open-licences/{offered['decl']}/take"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "action": "review",
                                       f"qty_{offered['service']}": "2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "6,000.00" in page and "人民币陆仟元整" in page
    assert f'name="quoted" value="{offered["service"]}:2"' in page
    assert count(app, Deal, Deal.declaration_id == offered["decl"]) == 0


def test_a_total_not_shown_before_the_confirmation_is_not_bound(app, client, offered):
    """Quantities changed after the total was shown: the page shows the new total and takes nothing."""
    f.login(client, offered["buyer"])
    path = f"/open-licences/{offered['decl']}/take"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "confirm": "1", "quoted": "",
                                       f"qty_{offered['service']}": "3"})
    assert response.status_code == 422 and "9,000.00" in response.get_data(as_text=True)
    assert count(app, Deal, Deal.declaration_id == offered["decl"]) == 0


def test_the_confirmed_total_is_taken_as_shown(app, client, offered):
    f.login(client, offered["buyer"])
    path = f"/open-licences/{offered['decl']}/take"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "confirm": "1",
                                       "quoted": f"{offered['service']}:3", f"qty_{offered['service']}": "3"})
    assert response.status_code == 302
    with app.test_request_context():
        (taken,) = db.session.scalars(select(TakenService))
        assert (taken.quantity, taken.amount_fen) == (3, 900_000)
        kinds = sorted(p.kind for p in db.session.scalars(select(Payment).where(Payment.deal_id == taken.deal_id)))
        assert kinds == ["LUMP_SUM", "SERVICE_FEE"]


@pytest.mark.parametrize("typed", ["abc", "11"])  # not a number; above the offer's maximum
def test_a_bad_quantity_is_shown_beside_its_field_and_nothing_is_taken(app, client, offered, typed):
    f.login(client, offered["buyer"])
    path = f"/open-licences/{offered['decl']}/take"
    name = f"qty_{offered['service']}"
    response = client.post(path, data={"csrf_token": f.csrf_token(client, path), "confirm": "1",
                                       "quoted": f"{offered['service']}:{typed}", name: typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="err-{name}"' in page and f'value="{typed}"' in page
    assert count(app, Deal, Deal.declaration_id == offered["decl"]) == 0
