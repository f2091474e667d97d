"""Command-line tasks: flask --app app create-user USERNAME, set-role USERNAME ROLE, find-orphans, prune-tokens,
prune-blocklist"""
import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from blocklist import DatabaseBlocklist
from extensions import db
from models import ROLES, Blog, User
from roles import change_role
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


@click.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role_command(username, role):
    """Give a user a role: reader, author or admin. The only way to change one: no request can."""
    user = db.session.execute(db.select(User).filter_by(username=username.lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    change_role(user, role)  # and end their logins: no token may keep the old role
    db.session.commit()
    click.echo(f"The role of {user.username!r} is now {role}; they must log in again.")


@click.command("find-orphans")
@click.option("--delete", is_flag=True, help="Delete them as well, as ON DELETE CASCADE would have.")
@with_appcontext
def find_orphans_command(delete):
    """List the posts whose author does not exist: the user was deleted outside the app (the sqlite3 shell checks
    no foreign keys unless asked), so the database's ON DELETE CASCADE did not delete the posts. The API does not
    show them (resources.py, posts_with_an_author); --delete deletes them."""
    orphans = db.session.execute(db.select(Blog).where(~Blog.author.has()).order_by(Blog.id)).scalars().all()
    for blog in orphans:
        click.echo(f"Post {blog.id} {blog.title!r} names author {blog.author_id}, who does not exist.")
    if delete and orphans:
        db.session.execute(db.delete(Blog).where(Blog.id.in_([blog.id for blog in orphans])))
        db.session.commit()
    click.echo(f"{len(orphans)} post(s) without an author{', deleted' if delete else ''}.")
