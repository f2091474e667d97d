"""Real servers started on 127.0.0.1 and a free port, each in its own process group: redis-server, and a lesson's
app under gunicorn with several worker processes. tests/servers.py wraps them as pytest fixtures; the notebooks
start them directly.

Each server keeps its files in a folder it is given (a temporary one) and is stopped with stop(), which ends its
whole process group, workers included.
"""
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

START_TIMEOUT = 20  # seconds for a server to answer its first request: far more than it needs, even on a busy machine

# Programs that `course watch` started once for all its checks (course/watch.py), by kind: "redis" (a RedisServer),
# "browser" (the address of a Chromium to connect to). Each check runs in a fork of that process, which is how its
# fixtures see them: they use these instead of starting their own. Empty in any other test run.
kept = {}


class ServerError(RuntimeError):
    """A server could not start: the message holds the end of its own output."""


def free_port():
    """A TCP port nothing listens on right now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_process(command, log, **options):
    """Start `command` in its own process group (so stop_process ends it and its children), output to `log`.

    Its own group also means that killing ours (the grader stops a test run that took too long) would not reach
    it: so the server is told to stop when the process that started it dies, whatever kills that process.
    """
    with open(log, "wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=stop_when_parent_dies, **options)


def stop_when_parent_dies():
    """Runs in the new process before the server's program starts: Linux sends it SIGTERM when its parent dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


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
    """Poll `ready()` until it is true; raise ServerError with the server's output if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            output = open(log, errors="replace").read()[-2000:]
            raise ServerError(f"{what} did not start:\n{output}")
        time.sleep(0.01)  # waiting for a process to start listening: there is no event to wait on


# --- Redis -------------------------------------------------------------------------------------------------

REDIS_PACKAGE = "redis-server"  # the Debian package that has the program


def redis_installed():
    return shutil.which("redis-server") is not None


class RedisServer:
    """A redis-server of our own: no persistence (--save '' --appendonly no), its files in `folder`."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = self.database_url(0)
        self.log = folder / "redis.log"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(folder)]
        self.process = start_process(command, self.log)
        wait_until(self.answers, self.process, self.log, "redis-server")

    def database_url(self, number):
        """The URL of one of the server's numbered databases (0 to 15): users that must not meet use different ones."""
        return f"redis://127.0.0.1:{self.port}/{number}"

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self, url=None):
        import redis  # imported here: only the users of Redis need the client package

        return redis.Redis.from_url(url or self.url, decode_responses=True)

    def stop(self):
        # At once: redis-server acts on SIGTERM at its next timer tick (up to 100 ms, measured 0.12-0.18 s here),
        # and it keeps nothing to save (--save '' --appendonly no).
        stop_process(self.process, signal.SIGKILL)


# --- gunicorn ------------------------------------------------------------------------------------------------

class GunicornServer:
    """An app folder served by gunicorn with several worker processes, as in production.

    `environment` holds the app's settings, as a real deployment passes them; the entry point is the folder's
    create_app() (gunicorn 'app:create_app()') unless `entry` names another, and `options` are more of gunicorn's
    (--preload: the app is imported once, before the workers are forked, instead of once by each worker).
    Starting returns at once: call ready() before the first request (each worker imports the app first), so
    that a server can start while something else is done. ready() waits until `health` answers 200.
    """

    def __init__(self, folder, app_folder, environment, workers=2, entry="app:create_app()", options=(),
                 health="/health"):
        self.port = free_port()
        self.health = health
        self.log = folder / f"gunicorn-{self.port}.log"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(app_folder), "--no-control-socket", *options, entry]
        environment = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(folder), **environment}
        self.process = start_process(command, self.log, cwd=app_folder, env=environment)

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def ready(self):
        wait_until(self.answers, self.process, self.log, "gunicorn")
        return self

    def answers(self):
        import requests  # imported here: every test session loads this module, few start gunicorn

        try:  # the master listens at once; the request waits until a worker has imported the app
            return requests.get(self.url(self.health), timeout=START_TIMEOUT).status_code == 200
        except requests.ConnectionError:
            return False

    def stop(self):
        # At once: gunicorn's own shutdowns take a second or two, and a test server holds nothing to save (every
        # answer was committed before it was sent).
        stop_process(self.process, signal.SIGKILL)
