"""Command line: flask --app wsgi init-db | seed-demo | create-user | generate-data | worker | report."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.models.enums import Role
from portal.services import audit

CLI_ACTOR = audit.Actor(None, "cli", "", "")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the schema and load reference data."""
    from portal.services import reference

    with audit.acting_as(CLI_ACTOR):
        reference.init_database()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", required=True)
@click.option("--executor", "executor_id", type=int, default=None, help="Executor body id (executor role).")
@click.option("--full-name", default="")
@with_appcontext
def create_user_command(username, role, password, executor_id, full_name):
    """Create a user account with one role."""
    from portal.services import users

    with audit.acting_as(CLI_ACTOR):
        try:
            user = users.create_user(
                username=username, role=role, password=password, executor_id=executor_id, full_name=full_name
            )
        except ValueError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"Created user {user.username} ({user.role.value}), id {user.id}")


def init_app(app) -> None:
    for command in (init_db_command, create_user_command):
        app.cli.add_command(command)
