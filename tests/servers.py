"""Real servers the tests start themselves: one fixture per server, used by every lesson that needs it.

Each server runs on 127.0.0.1 and a free port, keeps its files in a temporary folder, and is stopped when the
fixture ends (its whole process group). A program that is not installed skips the tests that need it, with a
message naming its Debian package; under CI=true that is a failure instead, so CI cannot pass without them.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

START_TIMEOUT = 20  # seconds for a server to answer its first request: far more than it needs, even on a busy machine


def require_program(program, debian_package):
    """The program's path; skips the test (fails it under CI=true) when it is not installed."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed: install the Debian package {debian_package}" \
                  f" (apt-get install -y {debian_package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run these tests", pytrace=False)
        pytest.skip(message)
    return path


def free_port():
    """A TCP port nothing listens on right now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_process(command, log, **options):
    """Start `command` in its own process group (so stop_process ends it and its children), output to `log`."""
    with open(log, "wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, **options)


def stop_process(process, signal_number=signal.SIGTERM):
    """Stop a process started by start_process, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal_number)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(ready, process, log, what):
    """Poll `ready()` until it is true; fail with the server's own output if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            output = open(log, errors="replace").read()[-2000:]
            pytest.fail(f"{what} did not start:\n{output}", pytrace=False)
        time.sleep(0.01)  # waiting for a process to start listening: there is no event to wait on


# --- Redis -------------------------------------------------------------------------------------------------

class RedisServer:
    """A redis-server of our own: no persistence (--save '' --appendonly no), files in a temporary folder."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = folder / "redis.log"
        command = [require_program("redis-server", "redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(folder)]
        self.process = start_process(command, self.log)
        wait_until(self.answers, self.process, self.log, "redis-server")

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def database_url(self, number):
        """The URL of one of the server's numbered databases (0 to 15): tests that run at once use different ones."""
        return f"redis://127.0.0.1:{self.port}/{number}"

    def client(self, url=None):
        import redis  # only the tests that start Redis need the client

        return redis.Redis.from_url(url or self.url, decode_responses=True)

    def stop(self):
        stop_process(self.process)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One redis-server for the whole test session (each test empties it first: see redis_url)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The URL of an empty Redis database, for one test."""
    with redis_server.client() as client:
        client.flushdb()
    return redis_server.url


# --- gunicorn ------------------------------------------------------------------------------------------------

class GunicornServer:
    """An app folder served by gunicorn with several worker processes, as in production.

    `environment` holds the app's settings, as a real deployment passes them; the entry point is the folder's
    create_app(): gunicorn 'app:create_app()'. Starting returns at once: call ready() before the first request
    (the workers import the app first), so that several servers can start side by side.
    """

    def __init__(self, folder, app_folder, environment, workers=2):
        self.port = free_port()
        self.log = folder / f"gunicorn-{self.port}.log"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(app_folder), "--no-control-socket", "app:create_app()"]
        environment = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(folder), **environment}
        self.process = start_process(command, self.log, cwd=app_folder, env=environment)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def ready(self):
        wait_until(self.answers, self.process, self.log, "gunicorn")
        return self

    def answers(self):
        try:  # the master listens at once; the request waits until a worker has imported the app
            return requests.get(self.url("/health"), timeout=START_TIMEOUT).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self):
        # At once: gunicorn's own shutdowns take a second or two, and a test server holds nothing to save (every
        # answer was committed before it was sent).
        stop_process(self.process, signal.SIGKILL)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn(app_folder, environment, workers=2) starts a server (see GunicornServer); each is stopped at the
    end of the test module, so the module's tests can share servers that take a second or two to start."""
    folder = tmp_path_factory.mktemp("gunicorn")
    servers = []

    def start(app_folder, environment, workers=2):
        servers.append(GunicornServer(folder, app_folder, environment, workers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
