"""Lesson 12's two services are VULNERABLE ON PURPOSE: they must never be reachable from another machine.

refuse_other_hosts(app) sees to it twice:
- at start-up: `flask run --host 0.0.0.0` (any address but this machine's own loopback) stops with a message,
  before the server listens;
- at every request: one that did not come from this machine is answered 403, whatever server runs the app
  (a `gunicorn --bind 0.0.0.0:5000` would not be stopped at start-up).
"""
import ipaddress

import click
from flask import jsonify, request

LOOPBACK_NAMES = ("localhost",)


def refuse_other_hosts(app):
    """Stop now if the app is being started on another address; refuse every request from another machine."""
    host = host_asked_for()
    if host is not None and not is_loopback(host):
        raise click.UsageError(f"{app.import_name}.py is vulnerable on purpose (lesson 12): it serves 127.0.0.1 only,"
                               f" never {host}. Start it with --host 127.0.0.1, or leave --host out.")
    app.before_request(refuse_other_clients)


def host_asked_for():
    """The --host of `flask run` when `flask run` is creating the app; None when something else creates it."""
    context = click.get_current_context(silent=True)
    while context is not None:
        if context.info_name == "run" and "host" in context.params:
            return context.params["host"]
        context = context.parent
    return None


def is_loopback(host):
    """Whether `host` (a name or an address) is this machine's loopback: 127.0.0.0/8, ::1 or localhost."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1, how a dual-stack server sees IPv4
    return (mapped or address).is_loopback


def refuse_other_clients():
    """A request from another machine gets 403 and nothing else (Flask's before_request)."""
    if not is_loopback(request.remote_addr or ""):
        return jsonify(message="This service is vulnerable on purpose and answers this machine only.",
                       code="loopback_only"), 403
    return None
