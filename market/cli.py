"""`flask` commands: patents import, legal-status import, search index upkeep, demo data, accounts,
the daily deal job."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from listings.importing.columns import suggest_mapping
from listings.importing.readers import COMMAND_LINE, read_table
from listings.importing.service import ImportOptions, import_table, rejected_rows_csv
from listings.importing.status import import_status_updates
from listings.search import index_status, reindex
from listings.vocabulary import OrgStatus, OrgType, Role
from market.accounts.models import Organisation
from market.accounts.points.models import Point
from market.accounts.services import create_organisation, create_user
from market.backup import backup_cli
from market.core.db import utcnow
from market.core.errors import DomainError
from market.core.extensions import db
from market.core.outbox import OutboxError, outbox_status, process_outbox, retry_parked
from market.core.outbox_worker import work
from market.core.time import today_local
from market.deals.exchange.lots import settle_due_lots
from market.deals.reminders import run_daily
from market.demo.seed import seed
from market.search.owned import IndexNotOwned
from market.search.service import search_backend
from market.statistics.cli import stats_cli


def _org(name: str):
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise click.ClickException(f"没有名为“{name}”的机构 (no organisation named {name!r})")
    return org


def _point(name: str | None):
    if not name:
        return None
    by_name = Point.name == name
    point = db.session.scalar(select(Point).where(by_name | (Point.id == int(name)) if name.isdigit() else by_name))
    if point is None:
        raise click.ClickException(f"没有名为“{name}”的网点 (no point named {name!r})")
    return point


@click.group("patents", cls=AppGroup, help="Patent portfolio commands.")
def patents_cli() -> None:
    pass


@patents_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", required=True, help="The organisation whose portfolio this is (registered name).")
@click.option("--point", default=None, help="List every imported patent at this point (name or id).")
@click.option("--publish", is_flag=True, help="Publish the listings without point review (trusted imports).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rejected rows with reasons to this CSV file.")
def import_patents(path: Path, owner: str, point: str | None, publish: bool, report: Path | None) -> None:
    """Import a CSV / XLSX / JSON Lines export (CNIPA/TRS, CNKI or documented English keys)."""

    if publish and not point:
        raise click.UsageError("--publish needs --point: every listing belongs to a point")
    started = time.perf_counter()
    org = _org(owner)
    try:
        table = read_table(path.read_bytes(), path.name, limits=COMMAND_LINE)
    except DomainError as err:
        raise click.ClickException(f"{err.zh} ({err.en})") from None
    result = import_table(table, suggest_mapping(table.headers), org,
                          ImportOptions(point=_point(point), publish=publish))
    db.session.commit()
    indexed = process_outbox(bulk=True)
    click.echo(f"rows {result.rows}: created {result.created}, updated {result.updated}, "
               f"duplicate {len(result.duplicates)}, rejected {len(result.rejected)} "
               f"(listed {result.listed}, warnings {len(result.warnings)}); "
               f"{indexed} index and notice updates applied in {time.perf_counter() - started:.1f} s")
    for r in result.rejected[:20]:
        click.echo(f"  row {r.row} {r.application_number}: {'；'.join(r.reasons_zh)}")
    if report:
        rejected = [r.__dict__ for r in result.rejected]
        report.write_text(rejected_rows_csv(table.headers, rejected), encoding="utf-8")
        click.echo(f"rejected rows written to {report}")


@patents_cli.command("status-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_status(path: Path) -> None:
    """Import CNIPA register events (申请号, 事件, 日期 and details); re-importing adds nothing."""

    table = read_table(path.read_bytes(), path.name, limits=COMMAND_LINE)
    result = import_status_updates(table)
    db.session.commit()
    process_outbox(bulk=True)
    click.echo(f"recorded {result.recorded} register events, {result.already_recorded} already recorded "
               f"(nothing added); updated {result.updated} patents, suspended {result.suspended} listings, "
               f"rejected {len(result.rejected)} rows")
    for row, reason in result.rejected[:20]:
        click.echo(f"  row {row}: {reason}")
    for row, note in result.notes:
        click.echo(f"  row {row}: {note}")


@click.group("search", cls=AppGroup, help="Search index upkeep.")
def search_cli() -> None:
    pass


@search_cli.command("sync")
def search_sync() -> None:
    """Apply pending index updates from the outbox."""

    click.echo(f"applied {process_outbox(bulk=True)} outbox entries")


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the index from the database."""

    count = reindex()
    db.session.commit()
    click.echo(f"indexed {count} published listings")


@search_cli.command("check")
@click.option("--repair", is_flag=True, help="Rebuild the index from this database when it belongs to another.")
def search_check(repair: bool) -> None:
    """Check that the search index was built from this database (`make run` repairs it)."""

    try:
        search_backend().check()
    except IndexNotOwned as err:
        if not repair:
            raise click.ClickException(str(err)) from err
        click.echo(f"{err}\nrebuilding…")
        count = reindex()
        db.session.commit()
        click.echo(f"indexed {count} published listings from this database")
        return
    click.echo("the search index belongs to this database")


@search_cli.command("status")
def search_status() -> None:
    """Compare indexed documents with published listings and show the outbox backlog."""

    click.echo(json.dumps(index_status(), ensure_ascii=False, indent=2))


@click.group("demo", cls=AppGroup, help="Demo data.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when organisations already exist.")
def demo_seed(if_empty: bool) -> None:
    """Create the demo chain: 11 points, suppliers, enterprises, a few hundred listed patents."""

    if if_empty and db.session.scalar(select(func.count(Organisation.id))):
        click.echo("demo data already present")
        return
    summary = seed()
    db.session.commit()
    process_outbox(bulk=True)
    click.echo(summary)


@click.group("accounts", cls=AppGroup, help="Accounts set up by operators.")
def accounts_cli() -> None:
    pass


@accounts_cli.command("create-bureau")
@click.option("--name", required=True)
@click.option("--uscc", required=True)
@click.option("--district", required=True)
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_bureau(name: str, uscc: str, district: str, email: str, password: str) -> None:
    """Create the district bureau and its first administrator (a deployment's first step)."""

    try:
        org = create_organisation(name=name, org_type=OrgType.BUREAU, uscc=uscc, district=district,
                                  status=OrgStatus.APPROVED)
        create_user(org, email=email, name=name, password=password, role=Role.ADMIN)
    except DomainError as err:
        raise click.ClickException(f"{err.zh} ({err.en})") from None
    db.session.commit()
    click.echo(f"created {name}")


@click.group("deals", cls=AppGroup, help="Deal upkeep: deadlines, reminders, ends of term.")
def deals_cli() -> None:
    pass


@deals_cli.command("daily")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if it were this day (YYYY-MM-DD, Asia/Shanghai); default today.")
def deals_daily(today) -> None:
    """Expire licences past their term, end declarations, send deadline reminders (once each)."""

    day = today.date() if today else today_local()
    counts = run_daily(day)
    # Lots end by the server's clock, never by --today: a disclosure period is not a date anyone types.
    lots = settle_due_lots(db.session, at=utcnow())
    db.session.commit()
    try:
        process_outbox()
    except OutboxError as err:  # the notices are saved; their e-mails stay queued and are retried
        click.echo(f"e-mail delivery deferred: {err}", err=True)
    details = ", ".join(f"{k.removeprefix('notices.')} {v}" for k, v in counts.items() if k.startswith("notices."))
    click.echo(f"{day}: licences expired {counts['licences_expired']}, "
               f"past term but not expirable {counts['licences_past_term_not_expired']}, "
               f"declarations ended {counts['declarations_ended']}, notices {counts['notices']}"
               + (f" ({details})" if details else "") + f", lots settled {len(lots)}")


@click.group("outbox", cls=AppGroup, help="The outbox of side effects (index updates, e-mail, notices).")
def outbox_cli() -> None:
    pass


@outbox_cli.command("work")
@click.option("--poll", default=1.0, show_default=True, help="Seconds to wait when nothing is pending.")
def outbox_work(poll: float) -> None:
    """Run as a long-lived worker applying the outbox; SIGTERM finishes the batch under way and exits 0."""

    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        click.echo(f"outbox worker: {signal.Signals(signum).name}, finishing the batch under way", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"outbox worker started (pid {os.getpid()})", err=True)
    applied = work(stop, poll=poll, on_batch=lambda n: click.echo(f"applied {n} outbox entries", err=True))
    click.echo(f"outbox worker stopped after applying {applied} entries", err=True)


@click.group("mail", cls=AppGroup, help="E-mail delivery commands.")
def mail_cli() -> None:
    pass


@mail_cli.command("status")
def mail_status() -> None:
    """E-mails waiting, failing (retried) and parked (dead letters, with their errors)."""
    status = outbox_status("mail.")
    if not status["topics"]:
        click.echo("没有待发送的邮件 (no e-mail waiting)")
    for topic, counts in sorted(status["topics"].items()):
        click.echo(f"{topic}: pending {counts['pending']}, failing {counts['failing']}, parked {counts['parked']}")
    for e in status["parked"]:
        click.echo(f"  parked #{e['id']} {e['topic']} key {e['key']} at {e['parked_at']:%Y-%m-%d %H:%M} UTC "
                   f"after {e['attempts']} attempt(s): {e['error']}")
    if status["parked"]:
        click.echo("修正数据后用 `flask mail retry` 重新发送 (fix the data, then `flask mail retry`)")


@mail_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
def mail_retry(ids: tuple[int, ...]) -> None:
    """Put parked e-mails (all, or these entry ids) back in the queue and send them."""
    count = retry_parked(list(ids), "mail.")
    db.session.commit()
    try:
        process_outbox()
    except OutboxError as err:
        click.echo(f"仍有失败 (still failing): {err}")
    click.echo(f"{count} parked e-mail(s) queued again")


def register(app: Flask) -> None:
    for group in (patents_cli, search_cli, outbox_cli, mail_cli, demo_cli, accounts_cli, deals_cli, stats_cli, backup_cli):
        app.cli.add_command(group)
