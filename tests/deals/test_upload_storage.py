"""Uploaded documents through one storage interface (issue 16): the instance folder by default,
S3-compatible object storage (a real S3 server over HTTP, tests/services/s3_server.py) when several
app servers share them."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from listings.importing.models import ImportBatch
from market.backup import BackupError, create_backup
from market.core.extensions import db
from market.core.storage import LocalStorage, S3Storage, StorageUnavailable
from market.deals import uploads
from market.deals.models import DealDocument
from tests import factories as f
from tests.deals.negotiation_world import PDF
from tests.deals.test_deal_pages import as_user, deal_of, flashed, post
from tests.listings.importing.test_import_pages import UNI, _csv, _import, _numbers
from tests.services.required import service_url
from tests.services.s3_server import ACCESS_KEY, SECRET_KEY, S3Server


@pytest.fixture(scope="session")
def s3_url():
    yield from service_url("TEST_S3_URL", "the S3 server", lambda: S3Server().start())


def _s3(url: str, secret_key: str = SECRET_KEY) -> S3Storage:
    # The test server's root account; it checks every request's signature.
    return S3Storage(f"psm-{uuid.uuid4().hex[:12]}", endpoint_url=url, access_key=ACCESS_KEY, secret_key=secret_key,
                     prefix="uploads/")


def test_a_store_with_the_wrong_key_pair_is_unavailable_not_a_crash(s3_url, s3_store):
    """A deployment with a wrong or revoked key: the store refuses to sign in, the app answers 503
    (文件存储暂时不可用) as for an outage and logs why, and nothing is written."""
    wrong = S3Storage(s3_store.bucket, endpoint_url=s3_url, access_key=ACCESS_KEY, secret_key="not-the-secret",
                      prefix="uploads/")
    with pytest.raises(StorageUnavailable, match="refused the credentials"):
        wrong.save("deals/1/x.pdf", io.BytesIO(PDF), content_type="application/pdf")
    with pytest.raises(StorageUnavailable, match="refused the credentials"):
        wrong.open("deals/1/x.pdf")
    wrong.client.close()
    assert s3_store.client.list_objects_v2(Bucket=s3_store.bucket).get("KeyCount", 0) == 0


@pytest.fixture
def s3_store(s3_url):
    store = _s3(s3_url)
    store.ensure_bucket()
    yield store
    objects = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    for item in objects:
        store.client.delete_object(Bucket=store.bucket, Key=item["Key"])
    store.client.delete_bucket(Bucket=store.bucket)
    store.client.close()


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    return request.getfixturevalue("s3_store")


def _read(store, key: str) -> bytes:
    with store.open(key) as data:  # noqa: SIM115 (closed here)
        return data.read()


def test_a_store_keeps_opens_and_deletes_a_document(store):
    store.save("deals/7/a.pdf", io.BytesIO(PDF), content_type="application/pdf")
    assert store.exists("deals/7/a.pdf") and _read(store, "deals/7/a.pdf") == PDF
    store.delete("deals/7/a.pdf")
    assert not store.exists("deals/7/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.open("deals/7/a.pdf")


@pytest.mark.parametrize("key", ["../secret_key", "deals/../../x", "/etc/passwd", "deals//x", ""])
def test_a_key_that_would_leave_the_store_names_nothing(store, key):
    with pytest.raises(FileNotFoundError):
        store.open(key)
    with pytest.raises(FileNotFoundError):
        store.save(key, io.BytesIO(PDF), content_type="application/pdf")


def test_two_app_servers_see_each_others_files(s3_store, s3_url):
    other = S3Storage(s3_store.bucket, endpoint_url=s3_url, access_key=ACCESS_KEY, secret_key=SECRET_KEY, prefix="uploads/")
    s3_store.save("deals/1/r.pdf", io.BytesIO(PDF), content_type="application/pdf")
    assert _read(other, "deals/1/r.pdf") == PDF
    other.client.close()


def test_a_receipt_uploaded_on_the_page_lives_in_object_storage_and_is_served_from_it(app, setup, s3_store,
                                                                                     monkeypatch):
    monkeypatch.setitem(app.extensions, "storage", s3_store)
    w = setup()
    buyer, stranger = as_user(app, w.buyer), as_user(app, w.stranger)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "10"})
    deal = deal_of(w.listing)
    flashed(buyer, post(buyer, f"/deals/{deal.id}/uploads", {"kind": "OTHER"}, file=(PDF, "回单.pdf")))
    document = db.session.scalar(select(DealDocument).where(DealDocument.deal_id == deal.id))
    assert not Path(app.instance_path, "uploads", "deals", document.stored_as).exists()  # not on this machine
    assert s3_store.exists(uploads.key_of(document))
    got = buyer.get(f"/deals/{deal.id}/uploads/{document.id}")
    body = got.data
    got.close()
    assert got.status_code == 200 and body == PDF and got.headers["Content-Disposition"].startswith("attachment")
    assert stranger.get(f"/deals/{deal.id}/uploads/{document.id}").status_code == 404


def test_object_storage_down_refuses_the_upload_with_503_and_writes_nothing(app, setup, monkeypatch):
    down = S3Storage("psm-down", endpoint_url="http://127.0.0.1:9", access_key="psm", secret_key="x", timeout=1)
    monkeypatch.setitem(app.extensions, "storage", down)
    w = setup()
    buyer = as_user(app, w.buyer)
    post(buyer, "/deals/new", {"listing_id": w.listing.id, "kind": "TRANSFER", "price_yuan": "10"})
    deal = deal_of(w.listing)
    answer = post(buyer, f"/deals/{deal.id}/uploads", {"kind": "OTHER"}, file=(PDF, "回单.pdf"))
    assert answer.status_code == 503 and "文件存储暂时不可用" in answer.get_data(as_text=True)
    assert db.session.scalar(select(DealDocument.id).where(DealDocument.deal_id == deal.id)) is None
    with pytest.raises(StorageUnavailable):
        down.open("deals/1/x.pdf")
    down.client.close()


def test_the_local_store_is_the_default_and_keeps_the_old_folder(app, session):
    store = app.extensions["storage"]
    assert isinstance(store, LocalStorage) and store.root == Path(app.instance_path) / "uploads"
    assert uploads.upload_root() == store.root / "deals"  # documents stored before keep their place


def test_backups_refuse_object_storage_rather_than_miss_its_files(app, session, monkeypatch, tmp_path, s3_url):
    monkeypatch.setitem(app.extensions, "storage", _s3(s3_url))
    with pytest.raises(BackupError, match="object storage"):
        create_backup(tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
    app.extensions["storage"].client.close()


def test_a_portfolio_import_runs_from_object_storage(app, client, s3_store, monkeypatch):
    """Upload, then each step, may land on different app servers: the file lives in the shared store."""
    monkeypatch.setitem(app.extensions, "storage", s3_store)
    with app.test_request_context():
        email = f.user(f.organisation(UNI)).email
        db.session.commit()
    f.login(client, email)
    rows = [[n, f"一种测试装置{i}", "2020-03-01", UNI, "授权"] for i, n in enumerate(_numbers(3))]
    batch_id, page, _ = _import(client, _csv(rows))
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.created_count == 3
        stored = batch.stored_name
    assert s3_store.exists(f"imports/{stored}") and s3_store.exists(f"imports/{stored}.rows.json")
    assert not Path(app.instance_path, "uploads", "imports", stored).exists()
