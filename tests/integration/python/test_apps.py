# test_apps.py: real applications against mnemo-server (issue 10): Debian's python3-rq (a job
# queue: workers pop jobs with BLPOP and listen on a pub/sub control channel) and redis-py's
# pubsub listener pattern.
#
# Applications that need EVAL are in test_apps_lua.py: python3-limits, redis-py's Lock, and
# python3-celery (its worker's Redis transport, kombu, takes a redis-py Lock at start and
# releases it with EVALSHA). The worker subprocess helpers (app_dir, app_env, app_worker) are
# in conftest.py.
import subprocess
import textwrap
import threading
import time

import pytest
import redis

from conftest import app_env, app_worker

JOBS_MODULE = textwrap.dedent("""
    import os
    import time

    def add(a, b):
        return a + b

    def fail(text):
        raise ValueError(text)

    def slow_echo(value, seconds):
        time.sleep(seconds)
        return value

    def whoami():
        return os.getpid()
""")


@pytest.fixture
def jobs_dir(app_dir):
    (app_dir / "mnemo_jobs.py").write_text(JOBS_MODULE)
    return app_dir


def test_rq_burst_worker(server, jobs_dir):
    from rq import Queue
    import mnemo_jobs

    conn = server.client()
    q = Queue("default", connection=conn)
    ok = q.enqueue(mnemo_jobs.add, 2, 3)
    bad = q.enqueue(mnemo_jobs.fail, "boom")
    later = q.enqueue(mnemo_jobs.add, 40, 2)
    assert q.count == 3
    assert ok.get_status() == "queued"
    out = subprocess.run(
        ["rq", "worker", "--burst", "--url", f"redis://127.0.0.1:{server.port}/0", "default"],
        cwd=jobs_dir, env=app_env(jobs_dir), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    for job in (ok, bad, later):
        job.refresh()
    assert ok.get_status() == "finished" and ok.result == 5
    assert later.get_status() == "finished" and later.result == 42
    assert bad.get_status() == "failed"
    assert "ValueError: boom" in bad.exc_info
    assert q.count == 0
    assert bad.id in q.failed_job_registry.get_job_ids()
    assert set(q.finished_job_registry.get_job_ids()) == {ok.id, later.id}
    conn.close()


def test_rq_worker_blocks_for_jobs_and_obeys_its_control_channel(server, jobs_dir):
    """A long-running worker: it waits in BLPOP, takes jobs as they come, and stops on a
    shutdown command published on its pub/sub channel."""
    from rq import Queue, Worker
    from rq.command import send_shutdown_command
    import mnemo_jobs

    conn = server.client()
    with app_worker(["rq", "worker", "--name", "w1", "--url",
                     f"redis://127.0.0.1:{server.port}/0", "high", "low"], jobs_dir) as worker:
        # The worker registers, subscribes to its channel and blocks on both queues.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if (conn.pubsub_numsub("rq:pubsub:w1")[0][1] == 1
                    and int(conn.info("clients")["blocked_clients"]) == 1):
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.05)
        else:
            pytest.fail("the rq worker never blocked waiting for jobs")
        assert [w.name for w in Worker.all(connection=conn)] == ["w1"]
        low, high = Queue("low", connection=conn), Queue("high", connection=conn)
        jobs = [low.enqueue(mnemo_jobs.add, i, i) for i in range(5)]
        jobs.append(high.enqueue(mnemo_jobs.slow_echo, "hi", 0.05))
        deadline = time.monotonic() + 30
        for job in jobs:
            while job.get_status(refresh=True) != "finished":
                assert time.monotonic() < deadline, job.get_status()
                time.sleep(0.05)
        assert [j.result for j in jobs] == [0, 2, 4, 6, 8, "hi"]
        send_shutdown_command(conn, "w1")
        assert worker.wait(timeout=20) == 0
        assert Worker.all(connection=conn) == []
    conn.close()


def test_redis_py_listen_pattern(server, r):
    """The listener loop of countless applications: a thread iterates pubsub.listen() and
    stops on a message that tells it to."""
    received = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("events")
    p.psubscribe("jobs:*")

    def listen():
        for message in p.listen():
            received.append((message["channel"], message["data"]))
            if message["data"] == b"stop":
                break

    t = threading.Thread(target=listen)
    t.start()
    pub = redis.Redis(host="127.0.0.1", port=server.port)
    deadline = time.monotonic() + 5
    while pub.pubsub_numpat() != 1 or pub.pubsub_numsub("events")[0][1] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for i in range(50):
        pub.publish("events", f"e{i}")
        pub.publish(f"jobs:{i % 3}", f"j{i}")
    pub.publish("events", "stop")
    t.join(10)
    assert not t.is_alive()
    assert [d for c, d in received if c == b"events"] == [f"e{i}".encode() for i in range(50)] + \
        [b"stop"]
    assert [(c, d) for c, d in received if c != b"events"] == \
        [(f"jobs:{i % 3}".encode(), f"j{i}".encode()) for i in range(50)]
    p.close()
    pub.close()
