"""`flask stats …`: the bureau's exports from the command line (same figures as the dashboard)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from market.accounts.models import Organisation
from market.accounts.points.models import Point
from market.core.audit import AuditAction
from market.core.audit import record as audit
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.time import today_local
from market.statistics import export, services
from market.statistics.queries import DISTRICT, Scope


@click.group("stats", cls=AppGroup, help="District statistics from the deal ledger.")
def stats_cli() -> None:
    pass


def _scope(point: str | None, org: str | None):
    if point and org:
        raise click.UsageError("give --point or --org, not both")
    if point:
        found = db.session.scalar(select(Point).where(
            (Point.id == int(point)) if point.isdigit() else (Point.name == point)))
        if found is None:
            raise click.ClickException(f"没有名为“{point}”的网点 (no point {point!r})")
        return Scope("point", point_ids=(found.id,))
    if org:
        found = db.session.scalar(select(Organisation).where(Organisation.name == org))
        if found is None:
            raise click.ClickException(f"没有名为“{org}”的机构 (no organisation named {org!r})")
        return Scope("org", org_id=found.id)
    return DISTRICT


@stats_cli.command("export")
@click.option("--from", "start", help="Start date YYYY-MM-DD (with --to).")
@click.option("--to", "end", help="End date YYYY-MM-DD, inclusive.")
@click.option("--period", help="Instead of --from/--to: 2024, 2024-Q2, 2024-H1, 2024-05 or ytd.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write.")
@click.option("--point", help="Only the deals credited to this point (name or id).")
@click.option("--org", help="Only the deals of this organisation (registered name).")
@click.option("--basis", type=click.Choice(["filing", "effective"]), default="filing", show_default=True,
              help="Count negotiated licences on the filing date or the contract effective date.")
@click.option("--pivot", help="CSV only: a breakdown (point, industry, …) or 'cross' instead of the detail rows.")
@click.option("--filter", "filters", multiple=True, metavar="DIM=KEY",
              help="Narrow the figures, e.g. --filter industry=NGIT --filter type=TRANSFER.")
def export_command(start, end, period, fmt, out: Path, point, org, basis, pivot, filters) -> None:
    """Write the statistics of a period as XLSX (every sheet) or CSV (streamed)."""

    started = time.perf_counter()
    try:
        pairs = [("basis", basis)]
        if start or end:
            pairs += [("from", start or ""), ("to", end or "")]
        elif period:
            pairs.append(("period", period))
        for item in filters:
            name, sep, value = item.partition("=")
            if not sep:
                raise click.UsageError(f"--filter takes DIM=KEY, not {item!r}")
            pairs.append((name.strip(), value.strip()))
        sel = services.parse_selection(pairs, scope=_scope(point, org), today=today_local(),
                                       home_district=current_app.config.get("HOME_DISTRICT", "宝山区"))
        if fmt == "xlsx":
            if pivot:
                raise click.UsageError("--pivot is for CSV; the XLSX holds every pivot")
            counts = export.write_xlsx(str(out), db.session, sel, today=today_local())
            detail = counts["明细"]
        else:
            rows = 0
            with out.open("w", encoding="utf-8", newline="") as fh:
                for chunk in export.csv_stream(export.csv_rows(db.session, sel, pivot)):
                    fh.write(chunk)
                    rows += chunk.count("\n")
            detail = max(rows - 1, 0)
    except DomainError as err:
        raise click.ClickException(f"{err.zh} ({err.en})") from None

    # From the command line: no user, and the file already written.
    audit(AuditAction.STATISTICS_EXPORTED, actor=None, object_type="statistics", object_id=fmt,
          summary="命令行 " + services.export_summary(db.session, sel, fmt, pivot) + f" → {out}")
    db.session.commit()
    click.echo(f"{sel.period.label('zh')}: {detail} rows → {out} ({fmt}, "
               f"{out.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - started:.1f} s")
