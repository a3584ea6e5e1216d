"""Backup and restore: one dated archive holding the database, the files and a manifest to check them by.

An archive (``portal-backup-YYYYMMDD-HHMMSS.tar.gz``) holds:

* ``database.sqlite`` (SQLite's online backup API) or ``database.dump`` (``pg_dump`` custom format);
* ``files/…`` (attachments, ``FILES_DIR``) and ``reports/…`` (generated reports, ``REPORTS_DIR``);
* ``manifest.json``: the schema revision, per table its row count and a digest of its rows in
  primary-key order, and the size and SHA-256 of the database file and of every other file.

The digests are computed on the very snapshot that is archived (the SQLite copy; on
PostgreSQL the exported snapshot ``pg_dump`` reads), so a restore can prove it got back
exactly what was saved.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import hashlib
import json
import os

import sqlalchemy as sa

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024
DB_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.dump"}
FILE_ROOTS = ("files", "reports")  # archive folder → config key below
ROOT_CONFIG = {"files": "FILES_DIR", "reports": "REPORTS_DIR"}


class RecordsError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, for the operator."""


def _canonical(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def tables(metadata=None) -> list[sa.Table]:
    """The portal's tables, parents first."""
    from portal.extensions import db

    return list((metadata or db.metadata).sorted_tables)


def table_digest(connection, table: sa.Table) -> tuple[int, str]:
    """Row count and SHA-256 of a table's rows in primary-key order (same values → same digest).

    Only the columns the database has count: an older schema lacks the columns later revisions add.
    """
    present = {c["name"] for c in sa.inspect(connection).get_columns(table.name)}
    columns = [c for c in table.columns if c.name in present]
    order = [c for c in table.primary_key.columns if c.name in present] or columns
    digest = hashlib.sha256()
    count = 0
    result = connection.execution_options(stream_results=True, yield_per=2000).execute(
        sa.select(*columns).order_by(*order)
    )
    for row in result:
        digest.update(
            json.dumps(list(row), default=_canonical, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        )
        count += 1
    return count, digest.hexdigest()


def table_digests(connection, metadata=None) -> dict[str, dict]:
    """``{table: {"rows": n, "sha256": …}}`` for every table of the portal."""
    out = {}
    present = set(sa.inspect(connection).get_table_names())
    for table in tables(metadata):
        if table.name not in present:  # an older schema (a restore upgrades it)
            continue
        rows, digest = table_digest(connection, table)
        out[table.name] = {"rows": rows, "sha256": digest}
    return out


def schema_revision(connection) -> str | None:
    """The Alembic revision the database is at (None for a schema made without migrations)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(app) -> str | None:
    """The newest revision the portal's migrations know."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_current_head()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def walk_files(root: str):
    """Relative paths of the regular files under ``root`` (sorted; temporary ``.part`` files skipped)."""
    if not os.path.isdir(root):
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path) and not name.endswith(".part"):
                found.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return found


def pg_environment(url: sa.engine.URL) -> dict[str, str]:
    """libpq's variables for ``url`` (the password never appears on a command line)."""
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
