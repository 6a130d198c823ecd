"""Simultaneous takers on PostgreSQL: a double submit gives one licence, many enterprises one each.

The suite's tests run inside a rolled-back transaction that other connections cannot see, so
this one builds a scratch database of its own, commits there, and drops it afterwards.
"""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.postgres
URL = os.environ.get("TEST_DATABASE_URL", "")
if not URL.startswith("postgresql"):
    pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)", allow_module_level=True)

THREADS = 12


@pytest.fixture(scope="module")
def scratch_app(tmp_path_factory):
    from config.settings import TestSettings
    from market import create_app
    from market.core.extensions import db

    name = f"psm_ol_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    settings = TestSettings(str(tmp_path_factory.mktemp("ol-concurrency")))
    settings.SQLALCHEMY_DATABASE_URI = make_url(URL).set(database=name).render_as_string(hide_password=False)
    settings.SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": THREADS + 2, "max_overflow": 0}
    app = create_app(settings)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _run_all(app, jobs):
    """Run the jobs at the same moment, each in its own app context (its own connection)."""
    from market.core.extensions import db

    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            barrier.wait()
            try:
                result = job()
                db.session.commit()
                return "ok", result
            except Exception as err:  # reported, so the test can say which refusal came back
                db.session.rollback()
                return "error", repr(err)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_simultaneous_takers_get_one_licence_each_and_a_double_submit_one_in_all(scratch_app):
    from market.accounts.models import Organisation, User
    from market.core.extensions import db
    from market.deals.models import Deal, DealEvent
    from market.deals.open_licence import acquisition
    from market.payments.models import Payment
    from tests.deals.open_licence import world as wb

    app = scratch_app
    with app.test_request_context():
        w = wb.world(enterprises=THREADS)
        decl_id = wb.announced(w).id
        buyers = [(org.id, user.id) for org, user in w.enterprises]
        db.session.commit()

    def taker(org_id: int, user_id: int):
        def job():
            deal = acquisition.take_open_licence(decl_id, db.session.get(Organisation, org_id),
                                                 db.session.get(User, user_id))
            return deal.id
        return job

    # One enterprise clicks "take" from twelve tabs at once.
    results = _run_all(app, [taker(*buyers[0]) for _ in range(THREADS)])
    assert {status for status, _ in results} == {"ok"}, results
    assert len({deal_id for _, deal_id in results}) == 1
    # Eleven other enterprises take it at the same moment.
    results = _run_all(app, [taker(*b) for b in buyers[1:]])
    assert {status for status, _ in results} == {"ok"}, results
    assert len({deal_id for _, deal_id in results}) == THREADS - 1

    with app.app_context():
        deals = db.session.scalars(select(Deal).where(Deal.declaration_id == decl_id)).all()
        assert sorted(d.buyer_org_id for d in deals) == sorted(org for org, _ in buyers)
        assert db.session.scalar(select(func.count(Payment.id))) == THREADS
        assert db.session.scalar(select(func.count(DealEvent.id)).where(DealEvent.kind == "NOTICE")) == THREADS
        assert {d.reference for d in deals} == {f"PSM-{d.start_date.year}-O-{d.id:06d}" for d in deals}
        db.session.remove()
