"""What a request body must look like, checked with marshmallow before anything touches the database."""
from flask import request
from flask_restful import abort
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import Length, Regexp


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


def not_blank(text):
    """Refuse text made only of spaces: it looks like a value but says nothing. (Empty text is Length's to refuse.)"""
    if text and not text.strip():
        raise ValidationError("Must not be blank.")


class LoginSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # ignore extra fields, rather than list each one back (an error as big as the body)

    username = Username(required=True, validate=Length(max=80))
    password = Text(required=True, validate=Length(max=128))  # a huge password would be slow to hash


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
        abort(400, message="The request body is not valid.", errors=error.messages)
