"""Make a backup while the portal runs: a consistent database snapshot, the files, a manifest."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.i18n import KYIV
from portal.models.base import utcnow
from portal.models.records import BackupRun, BackupState
from portal.records import (
    DB_MEMBERS,
    FORMAT,
    MANIFEST,
    ROOT_CONFIG,
    RecordsError,
    pg_environment,
    schema_revision,
    table_digests,
    walk_files,
)

PREFIX = "portal-backup-"
SUFFIX = ".tar.gz"


def backup_dir() -> str:
    return os.path.abspath(current_app.config["BACKUP_DIR"])


def archive_name(now: datetime) -> str:
    return f"{PREFIX}{now.astimezone(KYIV):%Y%m%d-%H%M%S}{SUFFIX}"


class _HashingReader:
    """Reads a file into the archive and hashes the very bytes it hands over."""

    def __init__(self, fh):
        self.fh, self.sha256, self.size = fh, hashlib.sha256(), 0

    def read(self, n=-1):
        data = self.fh.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, path: str, arcname: str) -> dict:
    with open(path, "rb") as fh:
        info = tar.gettarinfo(fileobj=fh, arcname=arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"size": reader.size, "sha256": reader.sha256.hexdigest()}


def _snapshot_sqlite(engine: sa.Engine, work: str) -> tuple[str, dict, str | None]:
    """Copy the database with SQLite's online backup API, then read counts and digests from the copy."""
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise RecordsError("An in-memory SQLite database cannot be backed up.")
    copy = os.path.join(work, DB_MEMBERS["sqlite"])
    source = sqlite3.connect(source_path, timeout=60)
    target = sqlite3.connect(copy)
    try:
        with target:
            source.backup(target)  # one step: a consistent copy even while others write
    finally:
        target.close()
        source.close()
    snapshot = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)
    try:
        with snapshot.connect() as conn:
            return copy, table_digests(conn), schema_revision(conn)
    finally:
        snapshot.dispose()


def _snapshot_postgresql(engine: sa.Engine, work: str) -> tuple[str, dict, str | None]:
    """``pg_dump`` from a snapshot exported by a transaction that then reads counts and digests from it."""
    dump = os.path.join(work, DB_MEMBERS["postgresql"])
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise RecordsError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        snapshot_id = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        done = subprocess.run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--file={dump}", "--no-password"],
            env=pg_environment(engine.url),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RecordsError(f"pg_dump failed: {done.stderr.strip()[:2000]}")
        return dump, table_digests(conn), schema_revision(conn)


def create_archive(to_dir: str | None = None, now: datetime | None = None) -> tuple[str, dict]:
    """Write one archive into ``to_dir`` (default ``BACKUP_DIR``); returns its path and manifest."""
    now = now or utcnow()
    target_dir = os.path.abspath(to_dir or backup_dir())
    os.makedirs(target_dir, exist_ok=True)
    engine = db.engine
    dialect = engine.dialect.name
    path = os.path.join(target_dir, archive_name(now))
    n = 1
    while os.path.exists(path):  # two in the same second: never overwrite one
        n += 1
        path = os.path.join(target_dir, archive_name(now).replace(SUFFIX, f"-{n}{SUFFIX}"))
    partial = path + ".part"
    with tempfile.TemporaryDirectory(prefix="portal-backup-", dir=target_dir) as work:
        if dialect == "sqlite":
            db_file, digests, revision = _snapshot_sqlite(engine, work)
        elif dialect == "postgresql":
            db_file, digests, revision = _snapshot_postgresql(engine, work)
        else:  # pragma: no cover - the config refuses other databases
            raise RecordsError(f"Unsupported database {dialect!r}.")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "dialect": dialect,
            "schema_revision": revision,
            "database": {"member": os.path.basename(db_file)},
            "tables": digests,
            "files": {},
        }
        try:
            with tarfile.open(partial, "w:gz", compresslevel=3) as tar:
                manifest["database"].update(_add_file(tar, db_file, os.path.basename(db_file)))
                # files after the database: every file the snapshot refers to is already on disk
                for root, key in ROOT_CONFIG.items():
                    base = os.path.abspath(current_app.config[key])
                    if base == target_dir or target_dir.startswith(base + os.sep):
                        continue  # never archive the archives
                    for rel in walk_files(base):
                        with contextlib.suppress(FileNotFoundError):  # removed meanwhile (anonymisation)
                            manifest["files"][f"{root}/{rel}"] = _add_file(
                                tar, os.path.join(base, rel), f"{root}/{rel}"
                            )
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(now.timestamp())
                tar.addfile(info, io.BytesIO(data))
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return path, manifest


def run_backup(*, to_dir: str | None = None, trigger: str = "cli") -> BackupRun:
    """Make a backup and record it (state, path, size, or the failure) in ``backup_run``; commits."""
    run = BackupRun(trigger=trigger, state=BackupState.RUNNING)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        path, _manifest = create_archive(to_dir)
    except Exception as exc:
        db.session.rollback()
        run = db.session.get_one(BackupRun, run_id)
        run.state, run.finished_at = BackupState.FAILED, utcnow()
        run.message = f"{type(exc).__name__}: {exc}"[:4000]
        db.session.commit()
        raise
    run = db.session.get_one(BackupRun, run_id)
    run.state, run.finished_at = BackupState.FINISHED, utcnow()
    run.path, run.size = path, os.path.getsize(path)
    db.session.commit()
    return run


def prune(keep: int, folder: str | None = None) -> list[str]:
    """Delete all but the newest ``keep`` archives in ``folder`` (default ``BACKUP_DIR``); returns the deleted."""
    folder = os.path.abspath(folder or backup_dir())
    if keep < 1 or not os.path.isdir(folder):
        return []
    names = [n for n in os.listdir(folder) if n.startswith(PREFIX) and n.endswith(SUFFIX)]
    archives = sorted(names, key=lambda n: (os.path.getmtime(os.path.join(folder, n)), n))  # oldest first
    doomed = archives[:-keep]
    for name in doomed:
        os.remove(os.path.join(folder, name))
    return [os.path.join(folder, n) for n in doomed]


def last_run() -> BackupRun | None:
    return db.session.execute(sa.select(BackupRun).order_by(BackupRun.started_at.desc(), BackupRun.id.desc())).scalar()


def last_good_run() -> BackupRun | None:
    return db.session.execute(
        sa.select(BackupRun)
        .where(BackupRun.state == BackupState.FINISHED)
        .order_by(BackupRun.started_at.desc(), BackupRun.id.desc())
    ).scalar()


def status(now: datetime | None = None) -> dict:
    """What the home page says: the last good backup (time, size), the last attempt, and a warning."""
    now = now or utcnow()
    good, last = last_good_run(), last_run()
    limit = timedelta(hours=int(current_app.config.get("BACKUP_WARN_HOURS", 48)))
    warning = None
    if last is not None and last.state == BackupState.FAILED:
        warning = "failed"
    elif good is None:
        warning = "none"
    elif now - (good.finished_at or good.started_at) > limit:
        warning = "old"
    return {"good": good, "last": last, "warning": warning}
