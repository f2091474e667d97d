"""What lesson 07's tests run under gunicorn: the lesson's app once per blocklist store, all in one server.

    gunicorn --workers 2 --preload --chdir <lesson folder> --pythonpath tests 'deployments:each_store()'

/database/..., /memory/... and /redis/... reach the lesson's own create_app() built with that store. One
gunicorn start (about a second of work: Flask and SQLAlchemy are imported) serves the tests of the three
stores instead of three starts, and --preload imports the app once, in gunicorn's master process, before it
forks the two workers (without it, each worker imports it again). Each store's app still runs in two worker
processes, each with its own memory: all that the tests are about.

The settings come from the environment, as in a real deployment. STORES_FOLDER is where each store's SQLite
database goes; the Redis app is there only when REDIS_URL is set.
"""
import os

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app  # the lesson's own: gunicorn runs in its folder (--chdir)


def each_store():
    stores = ["database", "memory"] + (["redis"] if os.environ.get("REDIS_URL") else [])
    return DispatcherMiddleware(NotFound(), {f"/{store}": app_with(store) for store in stores})


def app_with(store):
    database = f"sqlite:///{os.environ['STORES_FOLDER']}/{store}.db"
    app = create_app({"BLOCKLIST": store, "SQLALCHEMY_DATABASE_URI": database})  # it creates the tables, once
    # Close the connection that opened: the workers are forked from this process, and two processes must not
    # share one SQLite connection. Each worker opens its own.
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return app
