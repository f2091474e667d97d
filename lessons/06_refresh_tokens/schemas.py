"""What a request body must look like, checked with marshmallow before anything touches the database."""
from flask import request
from flask_restful import abort
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load
from marshmallow.validate import Length, Range, Regexp

from models import Blog


class LoginSchema(Schema):
    username = fields.String(required=True, validate=Length(max=80))
    password = fields.String(required=True, validate=Length(max=128))  # a huge password would be slow to hash
    # Optional: a client may ask for a token that lives fewer minutes than the configured lifetime.
    lifetime_minutes = fields.Integer(strict=True, validate=Range(min=1))


class RegisterSchema(Schema):
    username = fields.String(
        required=True,
        validate=[
            Length(min=3, max=80),
            Regexp(r"^[A-Za-z0-9_.-]+$", error="Use letters, digits, '.', '_' or '-'."),
        ],
    )
    password = fields.String(required=True, validate=Length(min=8, max=128))


class PasswordSchema(Schema):
    current_password = fields.String(required=True, validate=Length(max=128))
    new_password = fields.String(required=True, validate=Length(min=8, max=128))  # as at registration


class BlogSchema(Schema):
    """A post as clients send it (title, body) and as the API shows it (with id, author and time)."""

    class Meta:
        unknown = EXCLUDE  # ignore fields we do not take from clients, such as an "author"

    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=Length(min=1, max=200))
    body = fields.String(required=True, validate=Length(min=1, max=10_000))
    author = fields.Function(lambda blog: blog.author.username, dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @post_load
    def make_blog(self, data, **kwargs):
        """Build a Blog from the checked fields (without this hook, load() returns a plain dict)."""
        return Blog(**data)


def load_json(schema):
    """The request's JSON body, checked by `schema`. Answers 400 with each field's problem if it is wrong.

    request.get_json() itself answers 415 when the body is not JSON and 400 when the JSON is broken.
    """
    try:
        return schema.load(request.get_json())
    except ValidationError as error:
        abort(400, message="The request body is not valid.", errors=error.messages, code="validation_failed")
