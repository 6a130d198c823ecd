"""An import batch: the uploaded file, its column mapping, and what became of every row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from market.core.db import Base, utcnow


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # Under instance/uploads, outside the web root; never served directly.
    stored_name: Mapped[str] = mapped_column(String(80))
    file_format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(20))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    # The first rows and the reading problems, kept at upload: the mapping page never parses the file again.
    preview: Mapped[list[dict]] = mapped_column(JSON, default=list)
    problems: Mapped[list[list]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="UPLOADED")
    row_count: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    listed_count: Mapped[int] = mapped_column(default=0)
    # One entry per rejected row: {"row", "application_number", "reasons_zh", "reasons_en", "cells"}.
    rejected: Mapped[list[dict]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # Rows whose 申请号 an earlier row of the same file already had: {"row", "application_number", "first_row"}.
    # new + updated + duplicate + rejected = rows.
    duplicate_count: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # A large file is imported a step at a time (one commit each): the rows done so far, and the
    # 申请号 already met with their first row, so that a later step recognises a duplicate.
    processed_rows: Mapped[int] = mapped_column(default=0)
    seen: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
