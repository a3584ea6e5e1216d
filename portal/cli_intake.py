"""CLI of the exchange with the regional center (DESIGN §8).

``intake eml FILE…``, ``intake mailbox`` and ``intake ukc-batch FILE [--dry-run]`` print one
line per draft they made; what they refused gets a line with its reason on stderr and a
non-zero exit status.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click
from flask.cli import with_appcontext

from portal.extensions import db


@contextlib.contextmanager
def _acting():
    """Texts in the portal's language; changes audited as the command line's."""
    from portal.cli import CLI_ACTOR
    from portal.i18n import default_locale
    from portal.services import audit

    with default_locale(), audit.acting_as(CLI_ACTOR):
        yield


@click.group("intake")
def intake_group():
    """Take in appeals from the regional center (e-mail files, the mailbox, УКЦ batch files)."""


def _report(made, refused: list[str]) -> None:
    for line in made:
        click.echo(line)
    for line in refused:
        click.echo(line, err=True)
    if refused:
        sys.exit(1)


@intake_group.command("eml")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def intake_eml_command(files):
    """Make registration drafts of .eml files."""
    from portal.models.exchange import IntakeSource, IntakeState
    from portal.services import intake

    made, refused = [], []
    with _acting():
        for path in files:
            with open(path, "rb") as fh:
                raw = fh.read()
            try:
                result = intake.take_in(raw, source=IntakeSource.COMMAND, filename=os.path.basename(path))
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            line = f"{path}: {intake.summary_line(result)}"
            if result.created and result.state == IntakeState.DRAFT:
                made.append(line)
            else:
                refused.append(line)
    _report(made, refused)


@intake_group.command("mailbox")
@with_appcontext
def intake_mailbox_command():
    """One pass over PORTAL_IMAP_URL: every unseen message becomes a draft (or a recorded refusal)."""
    from portal import mail
    from portal.models.exchange import IntakeState
    from portal.services import mailbox

    with _acting():
        try:
            results = mailbox.run_pass()
        except (mail.MailError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    made = [r.line for r in results if r.intake and r.intake.created and r.intake.state == IntakeState.DRAFT]
    refused = [r.line for r in results if r.line not in made]
    if not results:
        click.echo("No new messages.", err=True)
    _report(made, refused)


@intake_group.command("ukc-batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the rows and print what would be made; make nothing.")
@with_appcontext
def intake_ukc_batch_command(file, dry_run):
    """Make drafts of the rows of a CSV/XLSX export of the УКЦ system."""
    from portal.services import ukc_batch
    from portal.services.errors import DomainError

    with open(file, "rb") as fh:
        data = fh.read()
    with _acting():
        try:
            report = ukc_batch.import_batch(os.path.basename(file), data, dry_run=dry_run)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        lines = ukc_batch.report_lines(report)
    good = [line for line, row in zip(lines, report.rows, strict=True) if row.status == "new"]
    bad = [line for line, row in zip(lines, report.rows, strict=True) if row.status != "new"]
    _report(good, bad)


def init_app(app) -> None:
    app.cli.add_command(intake_group)
