"""The API's endpoints, as Flask-RESTful resources."""
from flask import current_app
from flask_restful import Resource


class Health(Resource):
    """GET /health: the app is up. It shows settings that are safe to show, never the secret key."""

    def get(self):
        expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        return {"status": "ok", "access_token_minutes": int(expires.total_seconds() // 60)}
