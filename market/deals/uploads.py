"""Files attached to deals (receipts, signed contracts, certificates). Never commits.

Uploads are kept in the upload store (market/core/storage.py: <instance>/uploads/ by default, object
storage with several app servers) at deals/<deal id>/<random name>, never under static/, and are
only served through a view that checks who may see the deal. What a file is
comes from its first bytes, not from its name or the browser's word: only PDF, PNG and JPEG.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from market.accounts.models import User
from market.core.errors import DomainError, NotFound
from market.core.extensions import db
from market.core.storage import LocalStorage, storage
from market.deals import evidence
from market.deals.models import Deal, DealDocument
from market.deals.vocabulary import DocumentKind

# (magic prefix, content type, extension)
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
# The names a file of each kind may carry: a name that says otherwise is refused.
NAMED = {"pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg", "jpeg"}}
CHUNK = 64 * 1024
# Files up to this size are checked in memory before they go to the store; bigger ones in a temporary file.
SPOOL_BYTES = 1024 * 1024


def upload_root() -> Path:
    """The local folder of deal uploads (the embedded store; backups copy it)."""
    return Path(current_app.instance_path) / "uploads" / "deals"


def key_of(document: DealDocument) -> str:
    """The document's key in the upload store."""
    return f"deals/{document.stored_as}"


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG from its first bytes; None for anything else."""
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def _clean_name(name: str | None) -> str:
    """The uploader's file name, kept for display only (never used as a path)."""
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name[:200] or "upload"


def store_document(deal: Deal, kind: str, file: FileStorage | None, user: User) -> DealDocument:
    """Check and store an uploaded file for `deal`; the row is added to the session (not committed)."""
    if kind not in DocumentKind.__members__:
        raise DomainError("upload.kind", "文件类型无效。", "Unknown document type.", field="kind")
    if file is None or not file.filename:
        raise DomainError("upload.missing", "请选择要上传的文件。", "Choose a file to upload.", field="file")
    limit = int(current_app.config.get("UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    head = file.stream.read(16)
    sniffed = sniff(head)
    if sniffed is None:
        raise DomainError("upload.type", "只接受 PDF、PNG 或 JPEG 文件。", "Only PDF, PNG or JPEG files are accepted.",
                          field="file")
    content_type, ext = sniffed
    named = Path(_clean_name(file.filename)).suffix.lower().lstrip(".")
    if named and named not in NAMED[ext]:
        # A PNG called .pdf is not the PDF its name promises to whoever opens it.
        raise DomainError("upload.name_mismatch", f"文件内容是 {ext.upper()}，与文件名的扩展名“.{named}”不符。",
                          f"The file is a {ext.upper()}, not what its extension “.{named}” says.", field="file")
    stored = f"{secrets.token_hex(16)}.{ext}"
    digest, size = hashlib.sha256(head), len(head)
    # The whole file is checked (size, checksum) before anything reaches the store.
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
        spool.write(head)
        while chunk := file.stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise DomainError("upload.too_large",
                                  f"文件不能超过 {limit // (1024 * 1024)} MB。",
                                  f"Files may not exceed {limit // (1024 * 1024)} MB.", field="file", status=413)
            digest.update(chunk)
            spool.write(chunk)
        if size < 32:  # a signature with nothing behind it
            raise DomainError("upload.empty", "文件内容不完整。", "The file is incomplete.", field="file")
        spool.seek(0)
        storage().save(f"deals/{deal.id}/{stored}", spool, content_type=content_type)
    document = DealDocument(deal_id=deal.id, kind=kind, filename=_clean_name(file.filename),
                            stored_as=f"{deal.id}/{stored}", content_type=content_type, size=size,
                            sha256=digest.hexdigest(), uploaded_by_id=user.id,
                            organisation_id=user.organisation_id)
    db.session.add(document)
    db.session.flush()
    evidence.refresh(deal)  # a certificate may make the deal documented
    return document


def document_of(deal: Deal, document_id: int) -> DealDocument:
    document = db.session.get(DealDocument, document_id) if 0 < document_id < 2**31 else None
    if document is None or document.deal_id != deal.id:
        raise NotFound("document_not_found", "文件不存在", "No such document")
    return document


def path_of(document: DealDocument) -> Path:
    """Where the file lies in the local store; a stored name that would leave the upload folder is refused."""
    root = upload_root().resolve()
    path = (root / document.stored_as).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound("document_not_found", "文件不存在", "No such document")
    return path


def open_document(document: DealDocument) -> IO[bytes]:
    """The document's bytes from the upload store (the caller closes it)."""
    try:
        return storage().open(key_of(document))
    except FileNotFoundError:
        raise NotFound("document_not_found", "文件不存在", "No such document") from None


def remove_document(document: DealDocument) -> None:
    """Delete the stored file of a document whose row is being rolled back."""
    try:
        storage().delete(key_of(document))
    except FileNotFoundError:
        pass


def stored_locally() -> bool:
    return isinstance(storage(), LocalStorage)


def documents_of(deal: Deal) -> list[DealDocument]:
    return list(db.session.scalars(select(DealDocument).where(DealDocument.deal_id == deal.id)
                                   .order_by(DealDocument.id)))
