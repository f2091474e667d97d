"""The contract every lesson keeps (create_app), for the course's tools: `python -m course serve 12` serves this
lesson's token issuer, one of the two services your attacks target (vulnerable_issuer.py); the other one, the
reports service that checks its tokens, runs beside it: flask --app vulnerable_reports run --port 5001
Your work is in attacks.py."""
from vulnerable_issuer import create_app  # noqa: F401
