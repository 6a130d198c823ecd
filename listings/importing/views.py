"""Web import of a portfolio: upload → preview and column mapping → import → report."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from listings import services as listing_service
from listings.importing.columns import FIELDS, apply_mapping, suggest_mapping, unknown_headers
from listings.importing.models import ImportBatch
from listings.importing.readers import Limits, read_table
from listings.importing.service import ImportOptions, import_table, rejected_rows_csv
from listings.patent_input import clean_patent
from listings.vocabulary import DealMode
from market.accounts.permissions import require_supplier
from market.accounts.points.models import Point
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.i18n import get_lang, t

bp = Blueprint("imports", __name__, url_prefix="/imports")
PREVIEW_ROWS = 10


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    # Another organisation's batch does not exist as far as this user can tell.
    if batch is None or batch.organisation_id != current_user.organisation_id:
        abort(404)
    return batch


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _table(batch: ImportBatch):
    data = (_upload_dir() / batch.stored_name).read_bytes()
    return read_table(data, batch.filename, limits=_limits())


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
                (_upload_dir() / stored).write_bytes(data)
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
    require_supplier(current_user)
    batch = _batch(batch_id)
    if batch.status != "UPLOADED":
        return redirect(url_for("imports.result", batch_id=batch.id))
    point = db.session.get(Point, batch.options.get("point_id")) if batch.options.get("point_id") else None
    result = import_table(_table(batch), batch.mapping, current_user.organisation,
                          ImportOptions(point=point, modes=batch.options.get("modes") or [],
                                        submit=bool(batch.options.get("submit"))), actor=current_user)
    batch.status = "DONE"
    batch.created_count, batch.updated_count = result.created, result.updated
    batch.listed_count, batch.rejected_count = result.listed, len(result.rejected)
    batch.rejected = [r.__dict__ for r in result.rejected]
    batch.warnings = [r.__dict__ for r in result.warnings]
    batch.finished_at = utcnow()
    db.session.commit()
    flash(t(f"导入完成：新增 {result.created}，更新 {result.updated}，拒绝 {len(result.rejected)}",
            f"Imported: {result.created} new, {result.updated} updated, {len(result.rejected)} rejected"),
          "success" if not result.rejected else "warning")
    return redirect(url_for("imports.result", batch_id=batch.id))


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


@bp.get("/")
@login_required
def history():
    batches = db.session.scalars(select(ImportBatch).where(
        ImportBatch.organisation_id == current_user.organisation_id).order_by(ImportBatch.id.desc()).limit(100)).all()
    return render_template("imports/history.html", batches=batches)
