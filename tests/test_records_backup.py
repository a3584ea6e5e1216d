"""Backup and restore (issue 13): a consistent archive while writes go on, checked back table by table."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portal import create_app
from portal.extensions import db
from portal.models import Applicant, AuditLog
from portal.models.records import BackupRun, BackupState
from portal.records import MANIFEST, RecordsError, file_sha256, table_digests, walk_files
from portal.records.backup import create_archive, prune, run_backup, status
from portal.records.restore import restore, unpack_and_verify
from portal.services import attachments
from tests import factories as f
from tests.conftest import PG_URL, _config

# a backup reads the database through a second connection (and pg_dump): it must see real commits
pytestmark = pytest.mark.committed


def _populate(app) -> None:
    for n in range(3):
        appeal = f.make_appeal(content=f"Текст звернення {n}")
        upload = FileStorage(io.BytesIO(b"%PDF-1.4\n" + f"скан {n}".encode() * 100), filename=f"скан-{n}.pdf")
        attachments.save_upload(appeal, upload)
    os.makedirs(app.config["REPORTS_DIR"], exist_ok=True)
    with open(os.path.join(app.config["REPORTS_DIR"], "weekly-2026-W01.xlsx"), "wb") as fh:
        fh.write(b"xlsx bytes")
    db.session.commit()


class Writer(threading.Thread):
    """Registers applicants, one commit each, until stopped: the portal at work during the backup."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.count, self.error = app, threading.Event(), 0, None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    db.session.add(
                        Applicant(full_name=f"Паралельний Заявник {self.count}", phone=f"+380{self.count:09d}")
                    )
                    db.session.commit()
                    self.count += 1
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported by the test
            self.error = exc


@pytest.fixture
def target(redis_url, tmp_path):
    """A second, empty portal (database and folders) to restore into."""
    base = tmp_path / "target"
    base.mkdir()
    if PG_URL:
        url = sa.engine.make_url(PG_URL)
        target_url = url.set(database=f"{url.database}_restore")
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            if not conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target_url.database}
            ).first():
                conn.execute(sa.text(f'CREATE DATABASE "{target_url.database}"'))
        admin.dispose()
        empty = sa.create_engine(target_url, poolclass=sa.pool.NullPool)
        with empty.begin() as conn:  # an empty database: nothing from the previous test
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        empty.dispose()
        target_url = target_url.render_as_string(hide_password=False)
    else:
        target_url = f"sqlite:///{base / 'restored.sqlite'}"
    app = create_app(_config(target_url, redis_url, base))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _in(app, func, *args, **kw):
    """Run ``func`` in another app's context (the test's own context stays pushed)."""
    with app.app_context():
        try:
            return func(*args, **kw)
        finally:
            db.session.remove()


def test_backup_while_writing_restores_every_table_and_file_as_the_manifest_says(app, target, tmp_path):
    _populate(app)
    db.session.remove()
    writer = Writer(app)
    writer.start()
    try:
        while writer.count < 3:  # writes are going on
            writer.stop.wait(0.01)
        path, manifest = create_archive(str(tmp_path / "backups"))
        during = writer.count
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert writer.count > during or writer.count >= 3
    assert os.path.basename(path).startswith("portal-backup-") and path.endswith(".tar.gz")
    assert manifest["tables"]["applicant"]["rows"] >= 3 + 3
    assert len([k for k in manifest["files"] if k.startswith("files/")]) == 3
    assert "reports/weekly-2026-W01.xlsx" in manifest["files"]

    report = _in(target, restore, path)

    assert report.rows == sum(t["rows"] for t in manifest["tables"].values())
    assert report.files == len(manifest["files"])
    with target.app_context():
        with db.engine.connect() as conn:
            assert table_digests(conn) == manifest["tables"]
            from portal.records.restore import installed_triggers

            assert installed_triggers(conn)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET username = 'x'"))
        for root, key in (("files", "FILES_DIR"), ("reports", "REPORTS_DIR")):
            for rel in walk_files(target.config[key]):
                assert (
                    file_sha256(os.path.join(target.config[key], rel)) == manifest["files"][f"{root}/{rel}"]["sha256"]
                )
        restored = {
            f"{root}/{rel}"
            for root, key in (("files", "FILES_DIR"), ("reports", "REPORTS_DIR"))
            for rel in walk_files(target.config[key])
        }
        assert restored == set(manifest["files"])


def test_restore_onto_a_non_empty_database_is_refused_with_a_clear_message(app, tmp_path):
    _populate(app)
    path, _ = create_archive(str(tmp_path / "b"))
    before = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()
    with pytest.raises(RecordsError, match="not empty.*--force"):
        restore(path)
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() == before


def _damage(path: str, out: str) -> str:
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    with open(out, "wb") as fh:
        fh.write(bytes(data))
    return out


def _tamper(path: str, out: str) -> str:
    """The same archive with one file's bytes changed and its manifest left as it was."""
    with tarfile.open(path, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/"):
                data = b"forged" + data[6:]
            dst.addfile(member, io.BytesIO(data))
    return out


@pytest.mark.parametrize("spoil", [_damage, _tamper], ids=["damaged", "tampered"])
def test_a_damaged_archive_is_refused_without_touching_the_target(app, target, tmp_path, spoil):
    _populate(app)
    path, _ = create_archive(str(tmp_path / "b"))
    bad = spoil(path, str(tmp_path / "bad.tar.gz"))
    with pytest.raises(RecordsError, match="damaged|does not match its manifest"):
        _in(target, restore, bad, force=True)
    with target.app_context():
        with db.engine.connect() as conn:
            assert [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"] == []
        assert walk_files(target.config["FILES_DIR"]) == []
    # and a real portal given --force keeps its data too
    rows = db.session.execute(sa.select(sa.func.count()).select_from(Applicant)).scalar_one()
    db.session.remove()
    with pytest.raises(RecordsError):
        restore(bad, force=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Applicant)).scalar_one() == rows


def _hostile_archive(path, entries) -> str:
    """A tar.gz with a manifest and ``entries``: (name, kind, payload) with kind file, symlink or hardlink."""
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, payload in [(MANIFEST, "file", b"{}"), *entries]:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = payload.decode()
                tar.addfile(info)
    return str(path)


@pytest.mark.parametrize(
    "entries",
    [
        [("../outside.txt", "file", b"x")],
        [("files/../../outside.txt", "file", b"x")],
        [("/tmp/portal-absolute-entry.txt", "file", b"x")],
        [("etc/passwd", "file", b"x")],
        [("files/link", "symlink", b"/etc/passwd")],
        [("files/hard", "hardlink", b"manifest.json")],
        [("files/a.pdf", "file", b"first"), ("files/a.pdf", "file", b"second")],
    ],
    ids=["parent", "nested-parent", "absolute", "foreign-folder", "symlink", "hardlink", "twice"],
)
def test_an_archive_with_a_hostile_entry_is_refused_and_writes_nothing_outside_its_folder(tmp_path, entries):
    archive = _hostile_archive(tmp_path / "hostile.tar.gz", entries)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(RecordsError, match="unexpected entry|damaged"):
        unpack_and_verify(archive, str(work))
    assert not (tmp_path / "outside.txt").exists()
    assert not os.path.exists("/tmp/portal-absolute-entry.txt")
    assert not os.path.lexists(work / "files" / "link") and not (work / "files" / "hard").exists()
    if entries[-1][0] == "files/a.pdf":  # the second copy never replaced the first
        assert (work / "files" / "a.pdf").read_bytes() == b"first"


def test_force_replaces_a_non_empty_target(app, target, tmp_path):
    _populate(app)
    path, manifest = create_archive(str(tmp_path / "b"))

    def fill_and_restore():
        from portal.records.restore import ensure_audit_triggers

        db.create_all()
        ensure_audit_triggers(db.engine)
        db.session.add(Applicant(full_name="Чужий Заявник"))
        db.session.commit()
        db.session.remove()
        with pytest.raises(RecordsError, match="not empty"):
            restore(path)
        report = restore(path, force=True)
        with db.engine.connect() as conn:
            assert table_digests(conn) == manifest["tables"]
        return report

    assert _in(target, fill_and_restore).replaced


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    migrations = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
    return ScriptDirectory(migrations).get_current_head()


@pytest.mark.skipif(bool(PG_URL), reason="builds an old schema in a SQLite file")
def test_restore_upgrades_an_archive_of_an_older_schema(redis_url, tmp_path, target):
    from flask_migrate import upgrade

    old = create_app(_config(f"sqlite:///{tmp_path / 'old.sqlite'}", redis_url, tmp_path / "old"))
    with old.app_context():
        upgrade(revision="36cf8cb6e916")
        path, manifest = create_archive(str(tmp_path / "b"))
        db.engine.dispose()
    assert manifest["schema_revision"] == "36cf8cb6e916"
    assert "applicant_key" not in manifest["tables"]

    report = _in(target, restore, path)

    assert report.revision == "36cf8cb6e916" and report.upgraded_to == _head_revision()
    with target.app_context(), db.engine.connect() as conn:
        assert sa.inspect(conn).has_table("applicant_key")


def test_cli_backup_prints_the_archive_path_and_restore_says_what_it_restored(app, runner, target, tmp_path):
    _populate(app)
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    path = result.output.strip().splitlines()[-1]
    assert os.path.isfile(path) and path.startswith(str(tmp_path / "cli"))
    run = db.session.execute(sa.select(BackupRun)).scalar_one()
    assert run.state == BackupState.FINISHED and run.size == os.path.getsize(path)

    refused = runner.invoke(args=["restore", path])
    assert refused.exit_code != 0 and "not empty" in refused.output

    with target.app_context():  # the CLI runs in the current app's context
        done = target.test_cli_runner().invoke(args=["restore", path])
    assert done.exit_code == 0, done.output
    assert "every count and digest matches the manifest" in done.output
    assert "Audit log protection: audit_log_no" in done.output


def test_manifest_lists_revision_counts_digests_and_checksums(app, tmp_path):
    _populate(app)
    path, _ = create_archive(str(tmp_path / "b"))
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
        names = set(tar.getnames())
    assert {"schema_revision", "tables", "files", "database", "created_at"} <= set(manifest)
    assert manifest["tables"]["appeal"]["rows"] == 3 and len(manifest["tables"]["appeal"]["sha256"]) == 64
    assert manifest["database"]["member"] in names and len(manifest["database"]["sha256"]) == 64


def test_prune_keeps_the_newest_archives(tmp_path):
    for day in range(1, 6):
        (tmp_path / f"portal-backup-2026010{day}-020000.tar.gz").write_bytes(b"x")
    (tmp_path / "other.txt").write_bytes(b"x")
    deleted = prune(2, str(tmp_path))
    assert len(deleted) == 3
    assert sorted(os.listdir(tmp_path)) == [
        "other.txt",
        "portal-backup-20260104-020000.tar.gz",
        "portal-backup-20260105-020000.tar.gz",
    ]


def test_status_warns_when_the_last_backup_is_old_or_failed(app, tmp_path):
    assert status()["warning"] == "none"
    run = run_backup(to_dir=str(tmp_path / "b"))
    assert status()["warning"] is None and status()["good"].id == run.id
    assert status(now=run.finished_at + timedelta(days=2, minutes=1))["warning"] == "old"
    db.session.add(BackupRun(state=BackupState.FAILED, started_at=datetime.now(UTC), message="disk full"))
    db.session.commit()
    assert status()["warning"] == "failed"
