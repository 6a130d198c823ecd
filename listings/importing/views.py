"""Web import of a portfolio: upload → preview and column mapping → import → report."""

from __future__ import annotations

import io
import json
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from listings import services as listing_service
from listings.importing.columns import FIELDS, apply_mapping, suggest_mapping, unknown_headers
from listings.importing.models import ImportBatch
from listings.importing.readers import Limits, Row, Table, read_table
from listings.importing.service import ImportOptions, import_table, rejected_rows_csv
from listings.importing.template import template_csv, template_xlsx
from listings.patent_input import clean_patent
from listings.vocabulary import DealMode
from market.accounts.permissions import require_supplier
from market.accounts.points.models import Point
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t
from market.core.storage import storage

bp = Blueprint("imports", __name__, url_prefix="/imports")
PREVIEW_ROWS = 10


def _put(name: str, data: bytes) -> None:
    """An import's file in the upload store (market/core/storage.py): every app server reads the
    same one, so the steps of an import may land on any of them."""
    storage().save(f"imports/{name}", io.BytesIO(data), content_type="application/octet-stream")


def _get(name: str) -> bytes:
    with storage().open(f"imports/{name}") as data:
        return data.read()


def _batch(batch_id: int, *, lock: bool = False) -> ImportBatch:
    # Locked for a step, so that two requests never import the same rows (PostgreSQL; SQLite has one writer).
    batch = db.session.get(ImportBatch, batch_id, with_for_update=lock)
    # Another organisation's batch does not exist as far as this user can tell.
    if batch is None or batch.organisation_id != current_user.organisation_id:
        abort(404)
    return batch


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _table(batch: ImportBatch):
    data = _get(batch.stored_name)
    return read_table(data, batch.filename, limits=_limits())


def _save_parsed(stored_name: str, table: Table) -> None:
    """The parsed rows beside the upload, so that each import step reads them instead of parsing the
    whole file again (an XLSX of 100,000 rows takes about 20 s to parse; a step imports 500 rows)."""
    _put(f"{stored_name}.rows.json", json.dumps({
        "headers": table.headers, "format": table.format, "encoding": table.encoding,
        "rows": [[row.number, row] for row in table.rows], "problems": table.problems},
        ensure_ascii=False).encode("utf-8"))


def _parsed_table(batch: ImportBatch) -> Table:
    """The table parsed at upload (parsed again, and kept, for a batch uploaded before it was kept)."""
    try:
        saved = json.loads(_get(f"{batch.stored_name}.rows.json").decode("utf-8"))
    except FileNotFoundError:
        table = _table(batch)
        _save_parsed(batch.stored_name, table)
        return table
    return Table(saved["headers"], [Row(number, cells) for number, cells in saved["rows"]], saved["format"],
                 saved["encoding"], [tuple(problem) for problem in saved["problems"]])


# Problems kept with a batch for the mapping page (it lists 20 and counts the rest).
KEPT_PROBLEMS = 200


def _kept_preview(table) -> tuple[list[dict], list[list]]:
    """What the mapping page shows, taken from the one parse at upload."""
    rows = [{"row": getattr(row, "number", 0), "cells": dict(row)} for row in table.rows[:PREVIEW_ROWS]]
    return rows, [list(p) for p in table.problems[:KEPT_PROBLEMS]]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def upload():
    require_supplier(current_user)
    points = db.session.scalars(select(Point).order_by(Point.id)).all()
    error = None
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            error = t("请选择要导入的文件", "Choose a file to import")
        else:
            data = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
            try:
                table = read_table(data, file.filename, limits=_limits())
            except DomainError as err:
                error = err.message(get_lang())
            else:
                stored = secrets.token_hex(16) + Path(file.filename).suffix.lower()[:8]
                _put(stored, data)
                _save_parsed(stored, table)
                point_id = request.form.get("point_id", "")
                preview, problems = _kept_preview(table)
                batch = ImportBatch(
                    organisation_id=current_user.organisation_id, user_id=current_user.id,
                    filename=Path(file.filename).name[:255], stored_name=stored, file_format=table.format,
                    encoding=table.encoding, headers=table.headers, row_count=len(table.rows),
                    mapping=suggest_mapping(table.headers), preview=preview, problems=problems,
                    options={"point_id": int(point_id) if point_id.isdigit() else None,
                             "modes": [m for m in request.form.getlist("modes") if m in listing_service.TYPED_MODES]
                             or [DealMode.TRANSFER, DealMode.LICENSE_ORDINARY],
                             "submit": "submit" in request.form})
                db.session.add(batch)
                db.session.commit()
                return redirect(url_for("imports.mapping", batch_id=batch.id))
    return render_template("imports/upload.html", points=points, error=error,
                           modes=[m for m in DealMode if m.value in listing_service.TYPED_MODES],
                           max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)), 422 if error else 200


@bp.route("/<int:batch_id>/mapping", methods=["GET", "POST"])
@login_required
def mapping(batch_id: int):
    batch = _batch(batch_id)
    if batch.status != "UPLOADED":
        return redirect(url_for("imports.result", batch_id=batch.id))
    if request.method == "POST":
        chosen = {h: (request.form.get(f"map-{i}") or None) for i, h in enumerate(batch.headers)}
        batch.mapping = {h: f if f in FIELDS else None for h, f in chosen.items()}
        db.session.commit()
    if batch.preview or not batch.row_count:
        kept, problems = batch.preview, [tuple(p) for p in batch.problems]
    else:  # a batch uploaded before previews were kept
        kept, problems = _kept_preview(_table(batch))
    preview = []
    for item in kept:
        values = apply_mapping(item["cells"], batch.mapping)
        preview.append((item["row"], values, clean_patent(values)))
    return render_template("imports/mapping.html", batch=batch, fields=FIELDS, preview=preview,
                           unknown=set(unknown_headers(batch.headers)), problems=problems)


@bp.post("/<int:batch_id>/run")
@login_required
def run(batch_id: int):
    """Import the next step of rows (all of a small file), one commit per step.

    A file of thousands of rows would hold one request for minutes; in steps, the result page shows
    how far it got and asks for the next step (by itself when scripts run), and a step that fails
    loses only that step. `from_row` makes a repeated or doubled request a no-op.
    """
    require_supplier(current_user)
    batch = _batch(batch_id, lock=True)
    if batch.status not in ("UPLOADED", "RUNNING"):
        return redirect(url_for("imports.result", batch_id=batch.id))
    if request.form.get("from_row", str(batch.processed_rows)) != str(batch.processed_rows):
        return redirect(url_for("imports.result", batch_id=batch.id))  # another tab did this step
    table = _parsed_table(batch)
    point = db.session.get(Point, batch.options.get("point_id")) if batch.options.get("point_id") else None
    start, seen = batch.processed_rows, dict(batch.seen or {})
    stop = start + current_app.config["IMPORT_ROWS_PER_STEP"]
    result = import_table(table, batch.mapping, current_user.organisation,
                          ImportOptions(point=point, modes=batch.options.get("modes") or [],
                                        submit=bool(batch.options.get("submit"))), actor=current_user,
                          start=start, stop=stop, seen=seen)
    _add_step(batch, result, seen, min(stop, len(table.rows)))
    db.session.commit()
    if batch.status == "DONE":
        flash(t(f"导入完成：新增 {batch.created_count}，更新 {batch.updated_count}，"
                f"重复 {batch.duplicate_count}，拒绝 {batch.rejected_count}",
                f"Imported: {batch.created_count} new, {batch.updated_count} updated, "
                f"{batch.duplicate_count} duplicate, {batch.rejected_count} rejected"),
              "success" if not batch.rejected_count else "warning")
    return redirect(url_for("imports.result", batch_id=batch.id))


def _add_step(batch: ImportBatch, result, seen: dict[str, int], processed: int) -> None:
    """Add one step's outcome to the batch (JSON lists are replaced, not mutated, so they are saved)."""
    batch.created_count += result.created
    batch.updated_count += result.updated
    batch.listed_count += result.listed
    batch.rejected_count += len(result.rejected)
    batch.duplicate_count += len(result.duplicates)
    batch.rejected = [*batch.rejected, *(r.__dict__ for r in result.rejected)]
    batch.warnings = [*batch.warnings, *(r.__dict__ for r in result.warnings)]
    batch.duplicates = [*batch.duplicates, *(r.__dict__ for r in result.duplicates)]
    batch.seen = seen
    batch.processed_rows = processed
    if processed >= batch.row_count:
        batch.status = "DONE"
        batch.finished_at = utcnow()
    else:
        batch.status = "RUNNING"


@bp.get("/<int:batch_id>")
@login_required
def result(batch_id: int):
    return render_template("imports/result.html", batch=_batch(batch_id))


@bp.get("/<int:batch_id>/rejected.csv")
@login_required
def rejected_csv(batch_id: int):
    batch = _batch(batch_id)
    body = rejected_rows_csv(batch.headers, batch.rejected, get_lang())
    name = f"rejected-rows-{batch.id}.csv"
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/template.<any(csv, xlsx):fmt>")
def template(fmt: str):
    """The columns the importer reads first, to fill in (anyone may look at the format)."""
    if fmt == "csv":
        return Response(template_csv(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="patent-import-template.csv"'})
    return Response(template_xlsx(get_lang()),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="patent-import-template.xlsx"'})


@bp.get("/")
@login_required
def history():
    batches = db.session.scalars(select(ImportBatch).where(
        ImportBatch.organisation_id == current_user.organisation_id).order_by(ImportBatch.id.desc()).limit(100)).all()
    return render_template("imports/history.html", batches=batches)
