"""Back up and restore the database and the uploaded files: `flask backup create|restore`.

A backup is a folder: the database (SQLite: a copy made with SQLite's online backup API, safe
while the app writes; PostgreSQL: `pg_dump -Fc`), the uploaded files (`instance/uploads`) and the
outgoing mail folder, and `manifest.json` with the SHA-256 of every file. The database is copied
first and the files after it, so every document the copied database names has its file (a file
uploaded in between is merely extra). A restore checks every checksum before it touches
anything and refuses a backup that does not match; it then replaces the database (SQLite
backup API; `pg_restore --clean --single-transaction`) and the folders, and rebuilds the search
index from the restored database, which gives back the same catalogue (the statistics are
computed from the restored ledger).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from listings.search import reindex as rebuild
from market.core.extensions import db
from market.deals.models import DealDocument
from market.deals.uploads import stored_locally, upload_root

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
# What a restore reports back, to compare with the manifest at a glance.
COUNTED = ("organisations", "patents", "listings", "deals", "deal_events", "payments", "deal_documents")


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; nothing was changed (Chinese first, as everywhere)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")


# ---- what is backed up ---------------------------------------------------------------------
def folders() -> dict[str, Path]:
    """The folders a backup carries, by their name in the backup."""
    return {"uploads": Path(current_app.instance_path) / "uploads",
            "mail": Path(current_app.config.get("MAIL_FOLDER") or Path(current_app.instance_path) / "mail")}


def dialect() -> str:
    return db.engine.dialect.name


def counts() -> dict[str, int]:
    tables = db.metadata.tables
    return {name: db.session.scalar(select(func.count()).select_from(tables[name]))
            for name in COUNTED if name in tables}


def revision() -> str | None:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # a database never migrated
        db.session.rollback()
        return None


# ---- PostgreSQL client programs ------------------------------------------------------------
def pg_program(name: str, pg_bin: str | None = None) -> str:
    """pg_dump / pg_restore: from --pg-bin, else the newest server's own (Debian), else PATH.

    Debian's /usr/bin wrappers pick a version per cluster; the binaries beside the newest server
    can read and write every older server's dumps.
    """
    candidates = [Path(pg_bin) / name] if pg_bin else []
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                         key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    for path in candidates:
        if path.is_file():
            return str(path)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"找不到 PostgreSQL 的 {name} 程序，请安装 postgresql-client 或用 --pg-bin 指定目录",
                      f"{name} not found; install the PostgreSQL client or name its folder with --pg-bin")


def _libpq() -> tuple[str, dict[str, str]]:
    """The database as a libpq URL, with the password in the environment rather than the command line."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str], what_zh: str, what_en: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what_zh}失败：{result.stderr.strip()[-1500:]}",
                          f"{what_en} failed: {result.stderr.strip()[-1500:]}")


# ---- checksums -----------------------------------------------------------------------------
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)


def verify(folder: Path) -> dict:
    """The manifest, once every file it lists is there with its checksum and no other file is."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} 中没有 {MANIFEST}，不是本系统的备份", f"no {MANIFEST} in {folder}: not a backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        listed = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise BackupError("备份清单已损坏", "the backup manifest is damaged") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式：{manifest.get('format')}", f"unsupported backup format {manifest.get('format')}")
    present = {p.relative_to(folder).as_posix() for p in _files_under(folder)}
    missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
    bad = [name for name in sorted(set(listed) & present)
           if sha256(folder / name) != listed[name]["sha256"] or (folder / name).stat().st_size != listed[name]["bytes"]]
    if missing or extra or bad:
        detail = "; ".join(x for x in (
            f"missing {', '.join(missing[:5])}" if missing else "", f"not in the manifest {', '.join(extra[:5])}" if extra else "",
            f"checksum differs {', '.join(bad[:5])}" if bad else "") if x)
        raise BackupError(f"备份文件与清单不符，拒绝恢复：{detail}",
                          f"the backup does not match its manifest; refusing to restore: {detail}")
    return manifest


# ---- create --------------------------------------------------------------------------------
def _uploads_are_local() -> None:
    """A backup holds the uploads of the instance folder; object storage keeps (and versions) its own."""
    if not stored_locally():
        raise BackupError("上传文件保存在对象存储中：请用对象存储自身的版本与复制功能备份，本命令只备份本机文件夹",
                          "uploads live in object storage (UPLOAD_STORAGE=s3): back up the bucket with the"
                          " store's own versioning or replication; this command copies the instance folder only")


def create_backup(out: Path, *, pg_bin: str | None = None) -> dict:
    """Write a backup into `out` (new or empty) and return its manifest."""
    _uploads_are_local()
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"目标目录 {out} 不为空", f"the folder {out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    kind = dialect()
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": kind, "alembic_revision": revision(), "counts": counts(), "files": {}}
    db.session.rollback()  # no transaction of ours stays open across the copy
    if kind == "sqlite":
        _sqlite_copy(Path(db.engine.url.database), out / SQLITE_FILE)
    elif kind == "postgresql":
        url, env = _libpq()
        _run([pg_program("pg_dump", pg_bin), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={out / PG_FILE}", f"--dbname={url}"], env, "pg_dump 导出数据库", "pg_dump")
    else:
        raise BackupError(f"不支持的数据库：{kind}", f"unsupported database {kind}")
    # After the database: a document row copied above always finds its file below.
    for name, source in folders().items():
        if source.is_dir():
            shutil.copytree(source, out / name)
    for path in _files_under(out):
        manifest["files"][path.relative_to(out).as_posix()] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections keep writing."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # A self-contained file: no -wal/-shm beside it when it is read later.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


# ---- restore -------------------------------------------------------------------------------
def restore_backup(folder: Path, *, pg_bin: str | None = None, reindex: bool = True) -> dict:
    """Replace the database and the folders with the backup's; returns the counts of the restored database."""
    _uploads_are_local()
    manifest = verify(folder)
    kind = dialect()
    if manifest["database"] != kind:
        raise BackupError(f"这是 {manifest['database']} 数据库的备份，当前数据库是 {kind}",
                          f"a {manifest['database']} backup cannot be restored into {kind}")
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours holds the old database
    if kind == "sqlite":
        src = sqlite3.connect(f"file:{folder / SQLITE_FILE}?mode=ro", uri=True)
        dst = sqlite3.connect(Path(db.engine.url.database))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        url, env = _libpq()
        _run([pg_program("pg_restore", pg_bin), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={url}", str(folder / PG_FILE)],
             env, "pg_restore 恢复数据库", "pg_restore")
    for name, target in folders().items():
        _replace_folder(folder / name, target)
    restored = counts()
    if reindex:
        rebuild()
        db.session.commit()
    return restored


def _replace_folder(source: Path, target: Path) -> None:
    """Put the backup's copy in place beside the target first, then swap, so a failed copy changes nothing."""
    incoming = target.with_name(target.name + ".restoring")
    outgoing = target.with_name(target.name + ".replaced")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.rmtree(outgoing, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, incoming)
    else:
        incoming.mkdir(parents=True)
    if target.exists():
        target.rename(outgoing)
    incoming.rename(target)
    shutil.rmtree(outgoing, ignore_errors=True)


def documents_readable() -> tuple[int, list[int]]:
    """Uploaded documents whose file is missing or differs from the checksum recorded at upload."""

    root = upload_root()
    bad, total = [], 0
    for doc in db.session.scalars(select(DealDocument)):
        total += 1
        path = root / doc.stored_as
        if not path.is_file() or sha256(path) != doc.sha256:
            bad.append(doc.id)
    return total, bad


# ---- the commands --------------------------------------------------------------------------
@click.group("backup", cls=AppGroup, help="Back up and restore the database and the uploaded files.")
def backup_cli() -> None:
    pass


@backup_cli.command("create")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder for the backup.")
@click.option("--pg-bin", default=None, help="Folder of pg_dump (default: beside the newest local server, or PATH).")
def backup_create(out: Path, pg_bin: str | None) -> None:
    """Copy the database, the uploaded files and the mail folder, with a manifest of checksums."""
    manifest = create_backup(out, pg_bin=pg_bin)
    size = sum(f["bytes"] for f in manifest["files"].values())
    click.echo(f"backup of the {manifest['database']} database (revision {manifest['alembic_revision']}) written to "
               f"{out}: {len(manifest['files'])} files, {size / 1e6:.1f} MB; "
               + ", ".join(f"{k} {v}" for k, v in manifest["counts"].items()))


@backup_cli.command("restore")
@click.option("--from", "source", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder written by `flask backup create`.")
@click.option("--pg-bin", default=None, help="Folder of pg_restore (default: beside the newest local server, or PATH).")
@click.option("--no-reindex", is_flag=True, help="Leave the search index as it is (run `flask search reindex` later).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(source: Path, pg_bin: str | None, no_reindex: bool, yes: bool) -> None:
    """Replace the database and the uploaded files with a verified backup, then rebuild the search index."""
    manifest = verify(source)
    if not yes:
        click.confirm(f"恢复 {manifest['created_at']} 的备份将覆盖当前数据库和上传文件。继续吗？ "
                      f"(restoring the backup of {manifest['created_at']} replaces the database and the uploads)",
                      abort=True)
    restored = restore_backup(source, pg_bin=pg_bin, reindex=not no_reindex)
    total, bad = documents_readable()
    click.echo(f"restored the backup of {manifest['created_at']}: "
               + ", ".join(f"{k} {v}" for k, v in restored.items())
               + f"; {total - len(bad)} of {total} uploaded documents readable with their checksums"
               + ("" if no_reindex else "; search index rebuilt"))
    if restored != manifest["counts"]:
        raise BackupError("恢复后的记录数与备份清单不符", f"the restored counts differ from the manifest's {manifest['counts']}")
    if bad:
        raise BackupError(f"{len(bad)} 个上传文件缺失或已损坏", f"{len(bad)} uploaded documents missing or damaged: {bad[:10]}")
