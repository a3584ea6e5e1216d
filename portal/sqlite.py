"""SQLite connection settings for a database of a million appeals.

Write-ahead logging lets the web processes read while the worker writes, ``synchronous=NORMAL``
is durable in WAL mode up to the last checkpoint's power loss, and a page cache plus a memory
map keep the indexes of the lists and the full-text index in memory after the first reads.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

MMAP_SIZE = 1073741824  # bytes

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-65536",  # KiB: 64 MB per connection
    f"PRAGMA mmap_size={MMAP_SIZE}",  # read through the OS page cache, no copy
    "PRAGMA temp_store=MEMORY",
)


def _on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        for statement in PRAGMAS:
            cursor.execute(statement)
    finally:
        cursor.close()


def init_app(app) -> None:
    if not sa.event.contains(sa.engine.Engine, "connect", _on_connect):
        sa.event.listen(sa.engine.Engine, "connect", _on_connect)
