"""Command-line tasks for the app: flask --app app create-user USERNAME, flask --app app find-orphans"""
import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Blog, User
from schemas import RegisterSchema


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
