# conftest.py: pytest fixtures that start the real mnemo-server for the redis-py tests
# (tests/integration/python).
#
# The binary comes from $MNEMO_SERVER (scripts/setup.sh sets it). Each server listens on a free
# 127.0.0.1 port and is stopped by its PID: SIGTERM, then SIGKILL if it has not exited in 10 s.
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis


REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One mnemo-server process on 127.0.0.1:<port>."""

    def __init__(self, args=(), workdir=None):
        binary = os.environ.get("MNEMO_SERVER")
        if not binary:
            pytest.fail("MNEMO_SERVER is not set (the path of the mnemo-server binary)")
        self.log = tempfile.NamedTemporaryFile(prefix="mnemo-pytest-", suffix=".log")
        # A working directory of its own (dump.rdb is saved there at shutdown and loaded at
        # start), unless the caller gives one.
        self.dir = (tempfile.TemporaryDirectory(prefix="mnemo-pytest-dir-")
                    if workdir is None else None)
        self.workdir = workdir if workdir is not None else self.dir.name
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.workdir,
                 *args],
                stdout=self.log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return
            self.stop()
        pytest.fail("mnemo-server did not start:\n" + self.log_text())

    def _wait_ready(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def client(self, **kwargs):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kwargs)

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        """Stops the process by its PID; returns its exit code."""
        stop_process(self.proc, timeout=10)
        return self.proc.returncode


@pytest.fixture
def server():
    s = Server()
    yield s
    assert s.stop() == 0, "mnemo-server did not exit cleanly:\n" + s.log_text()


@pytest.fixture
def r(server):
    client = server.client()
    yield client
    client.close()


class Reference:
    """redis-server 7.0.15 on 127.0.0.1:<port>, stopped by its PID."""

    def __init__(self, args=()):
        if not shutil.which(REDIS_SERVER):
            pytest.fail(f"{REDIS_SERVER} is missing: scripts/setup.sh installs redis-server")
        self.dir = tempfile.TemporaryDirectory(prefix="mnemo-reference-")
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir.name, *args],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    time.sleep(0.02)
            self.stop()
        pytest.fail("redis-server did not start")

    def client(self, **kwargs):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kwargs)

    def stop(self):
        stop_process(self.proc, timeout=10)
        self.dir.cleanup()


# ---------------------------------------------------------------------------------------------
# Applications run as worker subprocesses (test_apps.py, test_apps_lua.py)


@pytest.fixture
def app_dir(tmp_path):
    """A directory for an application's modules (tasks, jobs), importable by the test (it is on
    sys.path while the test runs) and by the workers started with app_worker(). Modules
    imported from it are forgotten afterwards, so the next test imports its own."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(str(tmp_path) + os.sep):
            del sys.modules[name]


def wait_until(pred, timeout=20, what="condition"):
    """Polls pred() every 50 ms until it returns something true, which is returned; connection
    errors, timeouts and error replies (a server loading or reconnecting) count as not yet. Fails
    the test after `timeout` seconds, naming `what` and the last result."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError) as e:
            last = e
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def app_env(path):
    """The environment for a subprocess that imports modules from `path`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(path) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def stop_process(proc, timeout=15):
    """Stops a subprocess this test started: SIGTERM, then SIGKILL after `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def app_worker(argv, path):
    """Runs `argv` (a worker: rq, celery) in `path` with app_env(path), its stdout and stderr
    together in proc.stdout (text); stops it when the block ends, however it ends. Read
    proc.stdout after the block for the whole log."""
    proc = subprocess.Popen(argv, cwd=path, env=app_env(path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        yield proc
    finally:
        stop_process(proc)
