"""CLI commands for data: ``seed-demo`` (demo data) and ``generate-data`` (bulk data for load tests)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.command("seed-demo")
@click.option("--seed", type=int, default=None, help="Random seed (the same seed gives the same data).")
@click.option("--appeals", type=click.IntRange(24, 5000), default=None, help="Number of demo appeals.")
@with_appcontext
def seed_demo_command(seed, appeals):
    """Load demo data into an empty database and print the demo accounts."""
    from portal.devdata import demo
    from portal.extensions import db
    from portal.services.errors import DomainError

    if demo.has_data():
        click.echo("The database already has users or appeals: demo data not loaded, nothing changed.")
        return
    started = time.perf_counter()
    try:
        result = demo.seed_demo(
            seed=demo.DEFAULT_SEED if seed is None else seed,
            appeals=demo.DEFAULT_APPEALS if appeals is None else appeals,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Demo data loaded in {time.perf_counter() - started:.1f} s:")
    for name, count in result.counts.items():
        click.echo(f"  {name}: {count}")
    click.echo("")
    click.echo(f"Demo accounts (password for all: {demo.DEMO_PASSWORD}):")
    rows = [("user name", "role", "full name", "bound to")] + [
        (a.username, a.role.value, a.full_name, a.bound_to) for a in result.accounts
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "-+-".join("-" * w for w in widths)
    for index, row in enumerate(rows):
        click.echo(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            click.echo(line)


@click.command("generate-data")
@click.option(
    "--appeals", "count", type=click.IntRange(1, 100_000_000), required=True, help="Number of appeals to generate."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--batch",
    type=click.IntRange(100, 100_000),
    default=5_000,
    show_default=True,
    help="Appeals between progress lines (and commits, when the run is not a bulk load); the data does not depend on it.",
)
@with_appcontext
def generate_data_command(count, seed, batch):
    """Bulk-insert COUNT appeals over five years (with applicants, assignments, answers)."""
    from portal.devdata import generate
    from portal.extensions import db
    from portal.services.errors import DomainError

    def progress(done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed else 0
        click.echo(f"\r  {done:>9,} / {total:,} appeals  {elapsed:7.1f} s  {rate:>8,.0f}/s", nl=False)

    started = time.perf_counter()
    try:
        result = generate.generate_appeals(count, seed=seed, batch_size=batch, progress=progress)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo("")
    elapsed = time.perf_counter() - started
    rows = ", ".join(f"{table} {n:,}" for table, n in result.rows.items())
    click.echo(f"Generated {count:,} appeals (seed {seed}) in {elapsed:.1f} s: {rows}.")


def init_app(app) -> None:
    for command in (seed_demo_command, generate_data_command):
        app.cli.add_command(command)
