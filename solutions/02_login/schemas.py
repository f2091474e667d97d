"""What a request body must look like, checked with marshmallow before anything touches the database."""
from flask import request
from flask_restful import abort
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, Regexp


class LoginSchema(Schema):
    username = fields.String(required=True, validate=Length(max=80))
    password = fields.String(required=True, validate=Length(max=128))  # a huge password would be slow to hash


class RegisterSchema(Schema):
    username = fields.String(
        required=True,
        validate=[
            Length(min=3, max=80),
            Regexp(r"^[A-Za-z0-9_.-]+$", error="Use letters, digits, '.', '_' or '-'."),
        ],
    )
    password = fields.String(required=True, validate=Length(min=8, max=128))


def load_json(schema):
    """The request's JSON body, checked by `schema`. Answers 400 with each field's problem if it is wrong.

    request.get_json() itself answers 415 when the body is not JSON and 400 when the JSON is broken.
    """
    try:
        return schema.load(request.get_json())
    except ValidationError as error:
        abort(400, message="The request body is not valid.", errors=error.messages)
