"""Journey 1 of product.md through the web pages: a university lists its portfolio."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from listings.models import Listing
from listings.vocabulary import ListingStatus
from market.core.extensions import db
from tests import factories as f


def _upload(client, data: bytes, name: str, point_id: int, submit: bool = True):
    token = f.csrf_token(client, "/imports/new")
    form = {"csrf_token": token, "point_id": str(point_id), "modes": ["TRANSFER", "OPEN_LICENSE"],
            "file": (io.BytesIO(data), name)}
    if submit:
        form["submit"] = "1"
    return client.post("/imports/new", data=form, content_type="multipart/form-data")


def test_a_university_imports_fixes_rejected_rows_publishes_and_is_found(client, app):
    with app.test_request_context():
        uni = f.organisation("沪北理工大学")
        operator = f.organisation("宝山科技园网点运营中心", org_type="POINT_OPERATOR")
        point = f.point(operator, "浦江之光·科技园店")
        uni_user, op_user = f.user(uni).email, f.user(operator).email
        good, also_good = f.application_number(2021), f.application_number(2021)
        db.session.commit()
        point_id = point.id
    csv_text = ("申请号,名称,摘要,申请日,授权公告日,分类号,申请（专利权）人\n"
                f"{good},一种石墨烯导热膜及其制备方法,导热膜导热系数高,2021-03-01,2023-01-10,C01B 32/184,沪北理工大学\n"
                "202110000001.0,校验位写错的专利,摘要,2021-03-01,2023-01-10,C01B 32/184,沪北理工大学\n"
                f"{also_good},<script>alert(1)</script>一种储能电池,摘要,2021-03-01,2023-01-10,H01M 10/0525,沪北理工大学\n")
    f.login(client, uni_user)
    response = _upload(client, csv_text.encode("gbk"), "portfolio.csv", point_id)
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    assert "申请号" in page and "一种石墨烯导热膜" in page
    token = f.csrf_token(client, mapping_url)
    batch_id = int(re.search(r"/imports/(\d+)/", mapping_url).group(1))
    result = client.post(f"/imports/{batch_id}/run", data={"csrf_token": token})
    assert result.status_code == 302
    page = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    assert "校验位" in page  # the rejected row, with its reason
    assert "<script>alert(1)</script>" not in page
    report = client.get(f"/imports/{batch_id}/rejected.csv").get_data(as_text=True)
    assert "202110000001.0" in report and "错误原因" in report

    # Fix the rejected row in the downloaded report and upload it again.
    fixed_number = "202110000001.0"
    from listings.numbers import check_character
    correct = fixed_number[:-1] + check_character(fixed_number[:12])
    fixed = report.replace(fixed_number, correct).encode("utf-8")
    again = _upload(client, fixed, "fixed.csv", point_id)
    batch2 = int(re.search(r"/imports/(\d+)/", again.headers["Location"]).group(1))
    client.post(f"/imports/{batch2}/run", data={"csrf_token": f.csrf_token(client, again.headers["Location"])})
    with app.app_context():
        from listings.importing.models import ImportBatch

        fixed_batch = db.session.get(ImportBatch, batch2)
        assert (fixed_batch.created_count, fixed_batch.rejected_count) == (1, 0)
        listings = db.session.scalars(select(Listing)).all()
        assert len(listings) == 3 and {l.status for l in listings} == {ListingStatus.SUBMITTED}

    # The point operator reviews and publishes.
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    f.login(client, op_user)
    queue = client.get("/review").get_data(as_text=True)
    assert "一种石墨烯导热膜" in queue
    token = f.csrf_token(client, "/review")
    with app.app_context():
        ids = [l.id for l in db.session.scalars(select(Listing))]
    for listing_id in ids:
        assert client.post(f"/listings/{listing_id}/review",
                           data={"csrf_token": token, "decision": "approve"}).status_code == 302

    # Anyone finds it with a Chinese query, highlighted, and opens its page.
    client.post("/logout", data={"csrf_token": f.csrf_token(client, "/account")})
    page = client.get("/search?q=石墨烯 导热").get_data(as_text=True)
    assert "<mark>石墨烯导热</mark>" in page
    assert client.get(f"/patents/{good}").status_code == 200
    page = client.get("/search?q=储能电池").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page
