"""Deal uploads: what a file is comes from its bytes; it is stored outside the web root under a random name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from market.core.errors import DomainError, NotFound
from market.core.extensions import db
from market.deals import negotiation as n
from market.deals import uploads
from market.deals.models import DealDocument
from tests.deals.negotiation_world import PDF, world

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def _file(content: bytes, name: str = "f", mimetype: str = "application/pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type=mimetype)


@pytest.fixture
def deal(session):
    w = world()
    d = n.request_deal(w.buyer, w.listing, "TRANSFER")
    db.session.flush()
    d.user = w.buyer
    return d


@pytest.mark.parametrize("content, content_type, ext", [
    (PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg")])
def test_pdf_png_and_jpeg_are_recognised_by_their_bytes(deal, app, content, content_type, ext):
    # The browser's word does not count (a PNG called .pdf is refused: tests/security/test_web_security.py).
    document = uploads.store_document(deal, "OTHER", _file(content, f"收据.{ext}", "text/html"), deal.user)
    assert (document.content_type, document.size) == (content_type, len(content))
    path = uploads.path_of(document)
    assert path.read_bytes() == content and path.suffix == f".{ext}"
    assert Path(app.instance_path, "uploads", "deals", str(deal.id)) == path.parent
    assert "static" not in path.parts and document.filename == f"收据.{ext}"


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>", b"GIF89a" + b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 64,
    b"%PDF-"])
def test_other_content_is_refused_and_leaves_nothing(deal, app, content):
    folder = Path(app.instance_path, "uploads", "deals", str(deal.id))
    before = set(folder.iterdir()) if folder.exists() else set()  # ids repeat across rolled-back tests
    with pytest.raises(DomainError) as err:
        uploads.store_document(deal, "OTHER", _file(content, "x.pdf"), deal.user)
    assert err.value.field == "file"
    assert (set(folder.iterdir()) if folder.exists() else set()) == before
    assert db.session.query(DealDocument).count() == 0


def test_a_file_over_the_limit_is_refused(deal, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100)
    folder = Path(app.instance_path, "uploads", "deals", str(deal.id))
    before = set(folder.iterdir()) if folder.exists() else set()
    with pytest.raises(DomainError) as err:
        uploads.store_document(deal, "OTHER", _file(PDF + b" " * 200), deal.user)
    assert err.value.code == "upload.too_large" and err.value.status == 413
    # The partial file is removed (the folder itself may never have been made: a deal's id is new
    # on PostgreSQL, while SQLite may reuse one whose folder an earlier test left).
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_an_unknown_kind_or_no_file_is_refused(deal):
    with pytest.raises(DomainError):
        uploads.store_document(deal, "NOT_A_KIND", _file(PDF), deal.user)
    with pytest.raises(DomainError):
        uploads.store_document(deal, "OTHER", None, deal.user)


def test_names_are_kept_for_display_only(deal):
    document = uploads.store_document(deal, "OTHER", _file(PDF, "../../etc/passwd\x00.pdf"), deal.user)
    assert document.filename == "passwd.pdf"
    assert ".." not in document.stored_as and document.stored_as.startswith(f"{deal.id}/")


def test_a_stored_name_that_leaves_the_upload_folder_is_never_served(deal):
    document = uploads.store_document(deal, "OTHER", _file(PDF), deal.user)
    document.stored_as = "../../secret_key"
    with pytest.raises(NotFound):
        uploads.path_of(document)
    with pytest.raises(NotFound):
        uploads.document_of(deal, document.id + 1000)
