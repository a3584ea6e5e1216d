"""CLI of the records: ``flask backup [--to DIR]`` and ``flask restore ARCHIVE [--force]``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("backup")
@click.option("--to", "to_dir", type=click.Path(file_okay=False), default=None, help="Folder (default: BACKUP_DIR).")
@with_appcontext
def backup_command(to_dir):
    """Back up the database, uploaded files and reports into one dated archive; prints its path."""
    from portal.records import RecordsError
    from portal.records.backup import run_backup

    try:
        run = run_backup(to_dir=to_dir, trigger="cli")
    except RecordsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(run.path)


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and files folder that are not empty.")
@with_appcontext
def restore_command(archive, force):
    """Restore an archive into the configured database and files folder (empty unless --force)."""
    from portal.records import RecordsError
    from portal.records.restore import restore

    try:
        report = restore(archive, force=force)
    except RecordsError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines():
        click.echo(line)


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
