"""The contract every lesson keeps (create_app), for the course's tools: `python -m course serve 11` serves this
lesson's app, which is the deliberately vulnerable target of your attacks (vulnerable_app.py). Your work is in
attacks.py."""
from vulnerable_app import create_app  # noqa: F401
