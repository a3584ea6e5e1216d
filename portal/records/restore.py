"""Restore an archive into the configured database and files folders, checking it against its manifest.

The order protects the target: the archive is unpacked and every checksum verified first —
a damaged archive is refused before anything is touched; then the target must be empty
(or ``force`` given); then the database is replaced, its counts and digests compared with
the manifest, the audit log's triggers put in place, an older schema upgraded with the
migrations, and the files copied.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.records import (
    DB_MEMBERS,
    FILE_ROOTS,
    FORMAT,
    MANIFEST,
    ROOT_CONFIG,
    RecordsError,
    file_sha256,
    head_revision,
    pg_environment,
    schema_revision,
    table_digests,
    walk_files,
)


@dataclass
class RestoreReport:
    archive: str
    created_at: str
    dialect: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    file_bytes: int = 0
    revision: str | None = None
    upgraded_to: str | None = None
    replaced: bool = False
    triggers: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What was restored, for the operator."""
        out = [
            f"Restored {self.archive} (made {self.created_at}, {self.dialect})",
            f"Database: {self.tables} tables, {self.rows} rows; every count and digest matches the manifest",
            f"Files: {self.files} ({self.file_bytes} bytes); every checksum matches the manifest",
            f"Schema revision: {self.revision or 'unversioned'}"
            + (f", upgraded to {self.upgraded_to}" if self.upgraded_to else ""),
            "Audit log protection: " + (", ".join(self.triggers) or "MISSING"),
        ]
        if self.replaced:
            out.insert(1, "The previous contents of the target were replaced (--force).")
        return out


# --- the archive ------------------------------------------------------------------------------


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        name = member.name
        if member.isdir():
            continue
        parts = name.split("/")
        if not member.isfile() or name.startswith("/") or ".." in parts or "" in parts:
            raise RecordsError(f"The archive holds an unexpected entry {name!r}: refused.")
        if name != MANIFEST and name not in DB_MEMBERS.values() and parts[0] not in FILE_ROOTS:
            raise RecordsError(f"The archive holds an unexpected entry {name!r}: refused.")
        members.append(member)
    return members


def _unpack(tar: tarfile.TarFile, member: tarfile.TarInfo, work: str) -> None:
    """Write the bytes of one checked regular file under ``work``, nothing of the archive's metadata.

    ``extractall(filter="data")`` does this too, but only from Python 3.11.4 (Debian 12's 3.11.2
    has no ``filter``); the members are already checked (``_safe_members``: regular files, relative
    names without ``..``, in the archive's own folders).
    """
    target = os.path.join(work, *member.name.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    source = tar.extractfile(member)
    if source is None:  # not a regular file: _safe_members lets none through
        raise RecordsError(f"The archive holds an unexpected entry {member.name!r}: refused.")
    with source, open(target, "xb") as out:
        shutil.copyfileobj(source, out)


def unpack_and_verify(archive: str, work: str) -> dict:
    """Unpack ``archive`` into ``work`` and check every checksum against the manifest; returns the manifest."""
    if not os.path.isfile(archive):
        raise RecordsError(f"No such archive: {archive}")
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in _safe_members(tar):
                _unpack(tar, member, work)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise RecordsError(f"The archive is damaged ({exc}): nothing was restored.") from None
    try:
        with open(os.path.join(work, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise RecordsError(f"The archive is damaged: no readable manifest ({exc}). Nothing was restored.") from None
    if manifest.get("format") != FORMAT:
        raise RecordsError(f"Unknown archive format {manifest.get('format')!r}: nothing was restored.")
    problems = []
    database = manifest.get("database") or {}
    expected = {database.get("member", ""): database, **manifest.get("files", {})}
    present = {m for m in _walk(work) if m != MANIFEST}
    for name, meta in expected.items():
        path = os.path.join(work, name)
        if name not in present:
            problems.append(f"{name}: missing")
        elif os.path.getsize(path) != meta.get("size") or file_sha256(path) != meta.get("sha256"):
            problems.append(f"{name}: checksum differs")
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(expected))]
    if problems:
        raise RecordsError(
            "The archive does not match its manifest: " + "; ".join(problems[:10]) + ". Nothing was restored."
        )
    return manifest


def _walk(root: str) -> list[str]:
    return walk_files(root)


# --- the target -------------------------------------------------------------------------------


def target_contents(engine: sa.Engine) -> tuple[int, int]:
    """(tables with rows, total rows) in the target database."""
    with engine.connect() as conn:
        names = [n for n in sa.inspect(conn).get_table_names() if n != "alembic_version"]
        preparer = engine.dialect.identifier_preparer
        filled, rows = 0, 0
        for name in names:
            n = conn.execute(sa.text(f"SELECT count(*) FROM {preparer.quote(name)}")).scalar()
            if n:
                filled, rows = filled + 1, rows + n
    return filled, rows


def target_files() -> int:
    return sum(len(walk_files(current_app.config[key])) for key in ROOT_CONFIG.values())


def _restore_sqlite(engine: sa.Engine, source: str) -> None:
    path = engine.url.database
    assert path is not None  # a file-backed SQLite URL names its file
    engine.dispose()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = path + ".restore"
    shutil.copyfile(source, partial)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.replace(partial, path)


def _restore_postgresql(engine: sa.Engine, source: str) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RecordsError("pg_restore is not installed (Debian: apt-get install postgresql-client).")
    with engine.begin() as conn:  # empty or replaced: start from a clean schema either way
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    done = subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={engine.url.database}",
            source,
        ],
        env=pg_environment(engine.url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RecordsError(f"pg_restore failed: {done.stderr.strip()[:2000]}")


def installed_triggers(connection) -> list[str]:
    """Names of the triggers that guard the audit log."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' ORDER BY name"
    else:
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
    return list(connection.execute(sa.text(query)).scalars())


def ensure_audit_triggers(engine: sa.Engine) -> list[str]:
    """The audit log's protection triggers, installed from their migration if a restored dump lacks them."""
    with engine.connect() as conn:
        present = installed_triggers(conn)
    if not present:
        with engine.begin() as conn:
            for statement in _trigger_migration().UPGRADE[engine.dialect.name]:
                conn.execute(sa.text(statement))
        with engine.connect() as conn:
            present = installed_triggers(conn)
    return present


def _trigger_migration():
    """The revision that owns the audit triggers (its SQL is written out there once)."""
    import importlib.util

    directory = current_app.extensions["migrate"].directory
    path = os.path.join(directory, "versions", "c_audit_triggers.py")
    spec = importlib.util.spec_from_file_location("portal_migration_c_audit_triggers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_files(work: str, replace: bool) -> tuple[int, int]:
    count = size = 0
    for root, key in ROOT_CONFIG.items():
        base = os.path.abspath(current_app.config[key])
        if replace and os.path.isdir(base):
            shutil.rmtree(base)
        for rel in walk_files(os.path.join(work, root)):
            src, dst = os.path.join(work, root, rel), os.path.join(base, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.move(src, dst)
            count, size = count + 1, size + os.path.getsize(dst)
    return count, size


def restore(archive: str, *, force: bool = False) -> RestoreReport:
    """Restore ``archive`` into the app's database and files folders; raises RecordsError when refused."""
    engine = db.engine
    dialect = engine.dialect.name
    archive = os.path.abspath(archive)
    db.session.remove()
    # unpacked beside the files folder: the files then move into place without a copy
    scratch = os.path.dirname(os.path.abspath(current_app.config["FILES_DIR"]))
    os.makedirs(scratch, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-restore-", dir=scratch) as work:
        manifest = unpack_and_verify(archive, work)
        if manifest.get("dialect") != dialect:
            raise RecordsError(
                f"The archive holds a {manifest.get('dialect')} database; the target is {dialect}: nothing was restored."
            )
        filled, rows = target_contents(engine)
        files = target_files()
        if (filled or files) and not force:
            raise RecordsError(
                f"The target is not empty ({rows} rows in {filled} tables, {files} files): "
                "nothing was restored. Restore into an empty database and files folder, "
                "or give --force to replace what is there."
            )
        report = RestoreReport(archive, manifest.get("created_at", ""), dialect, replaced=bool(filled or files))
        source = os.path.join(work, manifest["database"]["member"])
        if dialect == "sqlite":
            _restore_sqlite(engine, source)
        else:
            _restore_postgresql(engine, source)
        with engine.connect() as conn:
            found = table_digests(conn)
            report.revision = schema_revision(conn)
        expected = manifest["tables"]
        wrong = sorted(n for n in expected if found.get(n) != expected[n])
        if wrong:
            raise RecordsError("The restored database does not match the manifest in: " + ", ".join(wrong[:10]) + ".")
        report.tables = len(expected)
        report.rows = sum(t["rows"] for t in expected.values())
        report.triggers = ensure_audit_triggers(engine)
        head = head_revision(current_app)
        if report.revision and head and report.revision != head:
            from flask_migrate import upgrade

            upgrade()
            report.upgraded_to = head
        report.files, report.file_bytes = _copy_files(work, replace=bool(files))
    return report
