"""Command-line tasks: flask --app app create-user USERNAME, flask --app app prune-tokens, ... prune-blocklist"""
import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from blocklist import DatabaseBlocklist
from extensions import db
from models import User
from schemas import RegisterSchema
from tokens import prune_ended_logins


@click.command("create-user")
@click.argument("username")
@click.password_option()
@with_appcontext
def create_user_command(username, password):
    """Create a user who can log in (asks for the password twice)."""
    try:
        data = RegisterSchema().load({"username": username, "password": password})
    except ValidationError as error:
        raise click.ClickException(str(error.messages)) from None
    user = User(username=data["username"])
    user.set_password(data["password"])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        raise click.ClickException(f"The username {user.username!r} is already taken.") from None
    click.echo(f"Created user {user.username!r}.")


@click.command("prune-tokens")
@with_appcontext
def prune_tokens_command():
    """Delete the stored refresh tokens of logins that ended (revoked, or expired). Run it daily, from cron for
    example: nothing else does (a login does not: the scan of the whole table would slow every login down)."""
    pruned = prune_ended_logins()
    db.session.commit()
    click.echo(f"Deleted the refresh tokens of {pruned} ended login(s).")


@click.command("prune-blocklist")
@with_appcontext
def prune_blocklist_command():
    """Delete the logged-out tokens that would be refused anyway by now, as expired (run it daily, like prune-tokens).

    Only the database's table needs it: Redis deletes each of its entries by itself when its time is up.
    """
    pruned = DatabaseBlocklist().prune()
    db.session.commit()
    click.echo(f"Deleted {pruned} expired token(s) from the blocklist.")
