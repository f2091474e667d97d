"""Real servers for the tests: one fixture per server, used by every lesson that needs it. The servers themselves
are in course/servers.py (the notebooks start them too).

A program that is not installed skips the tests that need it, with a message naming its Debian package; under
CI=true that is a failure instead, so CI cannot pass without running them.
"""
import os
import shutil

import pytest

from course.servers import GunicornServer, RedisServer, ServerError


def require_program(program, debian_package):
    """Skip the test (fail it under CI=true) when `program` is not installed."""
    if shutil.which(program) is None:
        message = f"{program} is not installed: install the Debian package {debian_package}" \
                  f" (apt-get install -y {debian_package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run these tests", pytrace=False)
        pytest.skip(message)


def started(make_server):
    """The started server, or the test fails with the server's own output."""
    try:
        return make_server()
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


# --- Redis -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One redis-server for the whole test session (each test empties its database first: see redis_url)."""
    require_program("redis-server", "redis-server")
    server = started(lambda: RedisServer(tmp_path_factory.mktemp("redis")))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The URL of an empty Redis database (number 0), for one test."""
    with redis_server.client() as client:
        client.flushdb()
    return redis_server.url


# --- gunicorn ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn(app_folder, environment, workers=2) starts an app under gunicorn (course/servers.py); call .ready()
    on it before the first request. Every one started is stopped at the end of the test module, so the module's
    tests can share servers that take a second or two to start."""
    folder = tmp_path_factory.mktemp("gunicorn")
    servers = []

    def start(app_folder, environment, workers=2):
        servers.append(started(lambda: GunicornServer(folder, app_folder, environment, workers)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
