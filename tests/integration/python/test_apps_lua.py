# test_apps_lua.py: real applications that need EVAL/EVALSHA (python3-limits' Redis storage,
# redis-py's Lock, python3-celery: kombu's Redis transport takes a redis-py Lock, the
# "unacked_mutex", when its worker starts and releases it with EVALSHA; without scripting the
# worker stops with "unknown command 'EVALSHA'").
import gc
import subprocess
import textwrap
import threading
import time

import pytest
import redis

from conftest import app_env, stop_process

PYTHON = "/usr/bin/python3"


def test_limits_fixed_and_moving_window(server):
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    storage = storage_from_string(f"redis://127.0.0.1:{server.port}")
    assert storage.check()
    item = parse("5/second")
    for strategy in (FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)):
        name = type(strategy).__name__
        assert all(strategy.hit(item, name, "user1") for _ in range(5))
        assert not strategy.hit(item, name, "user1")
        assert strategy.hit(item, name, "user2")
        window = strategy.get_window_stats(item, name, "user1")
        assert window[1] == 0  # nothing remaining
        time.sleep(1.1)
        assert strategy.hit(item, name, "user1")
    storage.reset()


def test_redis_py_lock(server, r):
    lock = r.lock("resource", timeout=5, blocking_timeout=0.2)
    assert lock.acquire()
    other = server.client().lock("resource", timeout=5, blocking_timeout=0.2)
    assert not other.acquire()
    assert lock.extend(5)
    assert 5000 < r.pttl("resource") <= 10000
    assert lock.owned()
    lock.release()
    assert other.acquire()
    other.release()
    # A lock that expired and was taken by another: the Lua release sees a different token and
    # refuses.
    short = r.lock("resource", timeout=0.2)
    assert short.acquire(blocking=False)
    time.sleep(0.3)
    assert other.acquire()
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        short.release()
    other.release()

    # Threads take turns with a blocking lock; the critical sections never overlap.
    inside, overlaps = [0], [0]

    def work():
        c = server.client()
        for _ in range(5):
            with c.lock("shared", timeout=5, blocking_timeout=10, sleep=0.001):
                inside[0] += 1
                if inside[0] > 1:
                    overlaps[0] += 1
                time.sleep(0.002)
                inside[0] -= 1
        c.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert overlaps[0] == 0
    assert r.exists("shared") == 0


CELERY_TASKS = textwrap.dedent("""
    import os
    from celery import Celery

    app = Celery("mnemo_celery_tasks",
                 broker=os.environ["MNEMO_BROKER"], backend=os.environ["MNEMO_BACKEND"])
    app.conf.broker_connection_retry_on_startup = True

    @app.task
    def add(a, b):
        return a + b

    @app.task
    def fail():
        raise KeyError("missing")
""")


@pytest.fixture
def celery_worker(server, app_dir, monkeypatch):
    """A Celery worker on `server`, and the tasks module. The worker is stopped (and has exited)
    before the server fixture stops the server: a worker that outlives it reconnects in a loop
    and prints ConnectionError tracebacks."""
    (app_dir / "mnemo_celery_tasks.py").write_text(CELERY_TASKS)
    monkeypatch.setenv("MNEMO_BROKER", f"redis://127.0.0.1:{server.port}/0")
    monkeypatch.setenv("MNEMO_BACKEND", f"redis://127.0.0.1:{server.port}/1")
    import mnemo_celery_tasks as tasks

    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "mnemo_celery_tasks", "worker", "--pool=solo",
         "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "info"],
        cwd=app_dir, env=app_env(app_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    state = {"log": None}

    def stop():
        """Stops the worker (SIGTERM: a warm shutdown), waits for it, returns its output."""
        if state["log"] is None:
            tasks.app.close()
            stop_process(worker)
            state["log"] = worker.stdout.read()
            worker.stdout.close()
        return state["log"]

    yield tasks, stop
    stop()


def test_celery_broker_and_result_backend(server, celery_worker):
    tasks, stop_worker = celery_worker
    results = [tasks.add.delay(i, 100) for i in range(10)]
    assert [res.get(timeout=30) for res in results] == [100 + i for i in range(10)]
    assert all(res.status == "SUCCESS" for res in results)
    failed = tasks.fail.delay()
    with pytest.raises(KeyError):
        failed.get(timeout=30)
    assert failed.status == "FAILURE"
    # The result lives in db 1, under Celery's key.
    backend = server.client(db=1)
    assert backend.exists(f"celery-task-meta-{results[0].id}") == 1
    backend.close()
    # AsyncResult.__del__ unsubscribes from the result channel: let it run now, while the
    # server is up, not at interpreter exit (a ConnectionError traceback then).
    del results, failed
    gc.collect()
    # Stopped while the server runs: no traceback before it was ready (the failing task's
    # traceback is logged after), and no lost connection anywhere, shutdown included.
    log = stop_worker()
    assert server.proc.poll() is None
    assert "ready." in log, log
    assert "Traceback" not in log.split("ready.")[0], log
    assert "ConnectionError" not in log, log
