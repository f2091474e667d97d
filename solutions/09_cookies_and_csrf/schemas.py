"""What a request body must look like, checked with marshmallow before anything touches the database."""
from flask import request
from flask_restful import abort
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load
from marshmallow.validate import Length, Range, Regexp

from models import MAX_ID, Blog

DEFAULT_PAGE_SIZE = 20  # posts on a page of GET /blogs when the client does not say
MAX_PAGE_SIZE = 100  # the most a client may ask for: no answer grows with the database
MAX_LIFETIME_MINUTES = 60 * 24 * 365  # a token asked for at login lives at most a year (and never over the setting)


class Text(fields.String):
    """A string the database and the response can hold: no NUL characters, no lone surrogates.

    "\\ud800" is valid JSON, but it is half of a character: it cannot be encoded as UTF-8, so saving it or
    sending it back would fail with a 500. Refusing it here gives the client a 400 that names the field.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("NUL characters are not allowed.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid text (a lone surrogate such as \\ud800).") from None
        return text


class Username(Text):
    """A username, compared without regard to case: it is kept in lower case, so "Alice" and "alice" are one."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class JSONBoolean(fields.Boolean):
    """JSON true or false, nothing else. fields.Boolean(truthy={True}, falsy={False}) is not enough: in Python
    1 == True and hash(1) == hash(True), so `1 in {True}` holds, and 1, 0 and 1.0 would pass as booleans."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def not_blank(text):
    """Refuse text made only of spaces: it looks like a value but says nothing. (Empty text is Length's to refuse.)"""
    if text and not text.strip():
        raise ValidationError("Must not be blank.")


class LoginSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # ignore extra fields, rather than list each one back (an error as big as the body)

    username = Username(required=True, validate=Length(max=80))
    password = Text(required=True, validate=Length(max=128))  # a huge password would be slow to hash
    # Optional: a client may ask for a token that lives fewer minutes than the configured lifetime (at most a
    # year: a bigger number would overflow the date arithmetic).
    lifetime_minutes = fields.Integer(strict=True, validate=Range(min=1, max=MAX_LIFETIME_MINUTES))
    # A browser asks for its tokens in httponly cookies, out of its scripts' reach (lesson 09, cookies.py).
    cookies = JSONBoolean(load_default=False)  # JSON true or false, as `published` below


class RegisterSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = Username(
        required=True,
        validate=[
            Length(min=3, max=80),
            # \Z is the very end: "$" would also match before a final newline, and let "alice\n" in
            Regexp(r"[a-z0-9_.-]+\Z", error="Use letters, digits, '.', '_' or '-'."),
        ],
    )
    password = Text(required=True, validate=[Length(min=8, max=128), not_blank])


class PasswordSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    current_password = Text(required=True, validate=Length(max=128))
    new_password = Text(required=True, validate=[Length(min=8, max=128), not_blank])  # as at registration


class BlogSchema(Schema):
    """A post as clients send it (title, body) and as the API shows it (with id, author and time)."""

    class Meta:
        unknown = EXCLUDE  # ignore fields we do not take from clients, such as an "author"

    id = fields.Integer(dump_only=True)
    title = Text(required=True, validate=[Length(min=1, max=200), not_blank])
    body = Text(required=True, validate=[Length(min=1, max=10_000), not_blank])
    author = fields.Function(lambda blog: blog.author.username, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    published = JSONBoolean()  # JSON true or false; a new post is published by default

    @post_load
    def make_blog(self, data, **kwargs):
        """Build a Blog from the checked fields (without this hook, load() returns a plain dict)."""
        return Blog(**data)


class UserSchema(Schema):
    """A user as the API shows them (never sent by clients). It has no field for the password hash, so no answer
    can hold one."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    role = fields.String(dump_only=True)


class PageSchema(Schema):
    """Which page to show: GET /blogs?limit=20&after=40 shows up to 20 posts whose id is above 40 (/users too)."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=Range(min=1, max=MAX_PAGE_SIZE))
    after = fields.Integer(load_default=0, validate=Range(min=0, max=MAX_ID))


def load_json(schema):
    """The request's JSON body, checked by `schema`. Answers 400 with each field's problem if it is wrong.

    request.get_json() itself answers 415 when the body is not JSON and 400 when the JSON is broken.
    """
    try:
        body = request.get_json()
    except RecursionError:  # JSON nested too deep to parse: not a ValueError, so Flask does not turn it into 400
        abort(400, message="The request body is nested too deeply.")
    try:
        return schema.load(body)
    except ValidationError as error:
        abort(400, message="The request body is not valid.", errors=error.messages, code="validation_failed")


def load_args(schema):
    """The request's query string (?name=value&...), checked by `schema`. Answers 400 if it is wrong."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        abort(400, message="The query string is not valid.", errors=error.messages, code="validation_failed")
