"""`flask backup create|restore` on SQLite and on PostgreSQL: the same catalogue, figures and documents come back.

Each test has its own database (a SQLite file, or a database of its own on the suite's
PostgreSQL server) and instance folder, because a restore replaces the whole database: the
suite's rolled-back transaction cannot hold it.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from config import settings as config
from listings import services as listing_service
from market import create_app
from market.core.extensions import db
from market.core.outbox import process_outbox
from market.core.time import today_local
from market.deals.models import Deal, DealDocument
from market.deals.open_licence import acquisition
from market.deals.uploads import path_of, store_document
from market.payments import services as payments
from market.payments.models import Payment
from market.search.backend import SearchQuery
from market.search.service import search_backend
from market.statistics.periods import classify
from market.statistics.queries import Selection, aggregate
from tests import factories as f
from tests.deals.negotiation_world import PDF, upload
from tests.deals.open_licence import world as wb

QUERIES = ("电池", "隔膜", "层状氧化物", "")
RECEIPT = PDF + b"%% bank receipt 2026-001\n" * 4


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_app(request, tmp_path):
    """A migrated app on an empty database of its own."""
    admin, name = None, None
    if request.param == "postgresql":
        base = os.environ.get("TEST_DATABASE_URL", "")
        if not base.startswith("postgresql"):
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): runs in the PostgreSQL pass of `make test`")
        name = f"psm_backup_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'market.sqlite3'}"
    settings = config.TestSettings(str(tmp_path / "instance"))
    settings.SQLALCHEMY_DATABASE_URI = url
    app = create_app(settings)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def build(app) -> dict:
    """Listings, an open licence taken and paid with its receipt uploaded; committed and indexed."""
    with app.test_request_context():
        w = wb.world(enterprises=2)
        sodium = f.listing(w.uni, w.point, patent_kw={"title": "一种钠离子电池层状氧化物正极材料",
                                                     "abstract": "钠离子电池正极，循环寿命长。"})
        f.listing(w.uni, w.point, patent_kw={"title": "一种高强度铝合金型材挤压模具", "ipc": ["B21C 25/02"],
                                             "abstract": "铝合金挤压模具，寿命长。"})
        decl = wb.announced(w)
        deal = acquisition.take_open_licence(decl.id, w.buyer, w.buyer_user)
        payment = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)).one()
        payments.mark_paid(db.session, payment, at=datetime.now(UTC).replace(tzinfo=None), actor=w.uni_user,
                           evidence={"bank_ref": "BK-2026-001"})
        document = store_document(deal, "PAYMENT_RECEIPT", upload("回单.pdf", RECEIPT), w.buyer_user)
        db.session.commit()
        process_outbox(bulk=True)
        return {"decl": decl.id, "deal": deal.id, "document": document.id, "sodium": sodium.id,
                "second_buyer": w.enterprises[1][1].id, "uni_user": w.uni_user.id}


def snapshot(app) -> dict:
    """What a person sees: search results (ids, totals, facets) and the district figures."""
    with app.app_context():
        backend = search_backend()
        catalogue = {}
        for q in QUERIES:
            result = backend.search(SearchQuery(text=q, per_page=50))
            catalogue[q] = (sorted(h.id for h in result.hits), result.total, result.facets.get("point_id"))
        totals = aggregate(db.session, Selection(period=classify(date(2000, 1, 1), today_local()))).totals
        figures = {column.value: cell.as_dict() for column, cell in totals.items() if not cell.empty}
        return {"catalogue": catalogue, "figures": figures}


def change_everything(app, made: dict) -> None:
    """After the backup: a listing withdrawn, a second licence taken and paid, the receipt's file lost."""
    from listings.models import Listing
    from market.accounts.models import User

    with app.test_request_context():
        uni_user = db.session.get(User, made["uni_user"])
        listing_service.withdraw_listing(uni_user, db.session.get(Listing, made["sodium"]), "撤回")
        second = db.session.get(User, made["second_buyer"])
        deal = acquisition.take_open_licence(made["decl"], second.organisation, second)
        payment = db.session.scalars(select(Payment).where(Payment.deal_id == deal.id)).one()
        payments.mark_paid(db.session, payment, at=datetime.now(UTC).replace(tzinfo=None), actor=uni_user,
                           evidence={"bank_ref": "BK-2026-002"})
        path_of(db.session.get(DealDocument, made["document"])).unlink()
        db.session.commit()
        process_outbox(bulk=True)


def test_a_restore_and_reindex_give_back_the_catalogue_figures_and_documents(fresh_app, tmp_path):
    app, runner = fresh_app, fresh_app.test_cli_runner()
    made = build(app)
    before = snapshot(app)
    assert before["figures"]["OPEN_LICENSE"] == {"transactions": 1, "patents": 1, "contract_fen": 5_000_000,
                                                 "received_fen": 5_000_000}
    assert before["figures"]["OPEN_DECLARATION"]["transactions"] == 1
    assert before["catalogue"]["层状氧化物"][0] == [made["sodium"]] and before["catalogue"][""][1] == 3

    created = runner.invoke(args=["backup", "create", "--out", str(tmp_path / "backup")])
    assert created.exit_code == 0, created.output
    assert "deals 1" in created.output and "deal_documents 1" in created.output

    change_everything(app, made)
    changed = snapshot(app)
    assert changed["figures"]["OPEN_LICENSE"]["transactions"] == 2
    assert changed["catalogue"]["层状氧化物"][0] == [] and changed["catalogue"][""][1] == 2

    restored = runner.invoke(args=["backup", "restore", "--from", str(tmp_path / "backup"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "1 of 1 uploaded documents readable" in restored.output and "search index rebuilt" in restored.output
    assert snapshot(app) == before
    with app.app_context():
        document = db.session.get(DealDocument, made["document"])
        assert path_of(document).read_bytes() == RECEIPT
        assert db.session.scalars(select(Deal.id).where(Deal.declaration_id == made["decl"])).all() == [made["deal"]]


def test_a_backup_that_does_not_match_its_manifest_is_refused(fresh_app, tmp_path):
    app, runner = fresh_app, fresh_app.test_cli_runner()
    made = build(app)
    backup = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", "--out", str(backup)]).exit_code == 0
    change_everything(app, made)
    changed = snapshot(app)
    receipt = next((backup / "uploads").rglob("*.pdf"))
    receipt.write_bytes(receipt.read_bytes().replace(b"2026-001", b"2026-009"))

    refused = runner.invoke(args=["backup", "restore", "--from", str(backup), "--yes"])
    assert refused.exit_code == 1
    assert "备份文件与清单不符，拒绝恢复" in refused.output and "checksum differs uploads/deals/" in refused.output
    assert snapshot(app) == changed  # nothing was touched


def test_a_backup_goes_only_into_an_empty_folder(fresh_app, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")
    result = fresh_app.test_cli_runner().invoke(args=["backup", "create", "--out", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "不为空" in result.output
    assert (tmp_path / "backup" / "notes.txt").read_text() == "keep me"
