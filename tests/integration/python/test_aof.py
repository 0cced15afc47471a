# test_aof.py: the append-only file (Redis 7 multi-part) against Debian's redis-server 7.0.15
# and redis-check-aof, crash-tested with kill -9 (tests/integration/python).
#
#   (a) redis-check-aof accepts Mnemo's AOF directory, and redis-server loads it to the same data
#       (RDB-preamble and command bases, after a BGREWRITEAOF with writes during and after it);
#   (b) Mnemo loads an AOF directory written by redis-server, to the same data;
#   (c) a last file cut mid-command or inside MULTI: loaded and truncated with
#       aof-load-truncated yes, refused with no;
#   (d) CONFIG SET appendonly yes/no at runtime, INFO aof_* field names as Redis's;
#   (e) appendfsync always: kill -9 at random moments under a pipelined load from several
#       clients (every other time just after a BGREWRITEAOF started); every acknowledged write
#       survives, no transaction is half applied;
#       appendfsync everysec: the writes lost stay within the bound measured and asserted;
#   (f) stop-writes-on-bgsave-error: -MISCONF after a failed BGSAVE, until a save succeeds or
#       the option is off;
#   (g) BGSAVE while a writer changes keys: the file holds the dataset as of the BGSAVE's start
#       (redis-server loads it and compares).
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from conftest import Reference, Server, free_port
from resp import Conn
from test_persistence import (assert_same_data, populate, snapshot,
                              start_mnemo_expecting_exit)

REDIS_CHECK_AOF = os.environ.get("REDIS_CHECK_AOF", "/usr/bin/redis-check-aof")
AOF_DIR = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"


@pytest.fixture
def workdir():
    d = tempfile.TemporaryDirectory(prefix="mnemo-aof-")
    yield d.name
    d.cleanup()


def clients_for(port):
    return lambda db: redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=60)


def loaded(ref):
    """Waits until the server (redis-server, or mnemo-server, which also answers clients while
    it loads) has loaded its files (it answers -LOADING before); returns it."""
    c = ref.client()
    deadline = time.monotonic() + 30
    while True:
        try:
            c.ping()
            return ref
        except redis.BusyLoadingError:
            assert time.monotonic() < deadline
            time.sleep(0.02)


def info(c, field):
    return c.info("persistence")[field]


def wait_for(pred, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def manifest_lines(workdir):
    with open(os.path.join(workdir, AOF_DIR, MANIFEST)) as f:
        return f.read().splitlines()


def check_aof(workdir):
    out = subprocess.run([REDIS_CHECK_AOF, os.path.join(workdir, AOF_DIR, MANIFEST)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "All AOF files and manifest are valid" in out.stdout, out.stdout
    return out.stdout


def more_writes(client_for_db, tag):
    """Writes of every kind the propagation stream rewrites: transactions, TTLs, SPOP, SELECT."""
    c = client_for_db(0)
    p = c.pipeline(transaction=True)
    p.incr(f"counter:{tag}")
    p.rpush(f"list:{tag}", "a", "b", "c")
    p.hset(f"hash:{tag}", "f", tag)
    p.execute()
    c.set(f"ttl:{tag}", "v", ex=5000)
    c.sadd(f"spop:{tag}", *range(10))
    c.spop(f"spop:{tag}", 3)
    c.zadd(f"zset:{tag}", {"m": 1.5})
    c.zincrby(f"zset:{tag}", 2, "m")
    c.delete("str:embstr")
    c.xadd(f"stream:{tag}", {"f": "v"}, id="1-1")
    client_for_db(3).set(f"db3:{tag}", tag)


# ---- (a) Mnemo's AOF read by redis-check-aof and redis-server ---------------------------------

@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_checks_and_loads_mnemo_aof(workdir, preamble):
    args = ["--appendonly", "yes", "--save", "", "--aof-use-rdb-preamble", preamble,
            "--appendfsync", "always"]
    s = Server(args, workdir=workdir)
    try:
        cf = clients_for(s.port)
        populate(cf)
        more_writes(cf, "before")
        c = cf(0)
        assert c.bgrewriteaof() is True
        more_writes(cf, "during")
        wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0)
        assert info(c, "aof_last_bgrewrite_status") == "ok"
        assert info(c, "aof_rewrites") == 1
        more_writes(cf, "after")
        want = snapshot(cf)
    finally:
        assert s.stop() == 0, s.log_text()
    lines = manifest_lines(workdir)
    ext = "rdb" if preamble == "yes" else "aof"
    assert lines == [f"file appendonly.aof.2.base.{ext} seq 2 type b",
                     "file appendonly.aof.2.incr.aof seq 2 type i"], lines
    assert sorted(os.listdir(os.path.join(workdir, AOF_DIR))) == sorted(
        [MANIFEST, f"appendonly.aof.2.base.{ext}", "appendonly.aof.2.incr.aof"])
    report = check_aof(workdir)
    assert ("BASE AOF (RDB format)" in report) == (preamble == "yes")
    # Mnemo itself restarts to the same data.
    s = Server(args, workdir=workdir)
    try:
        assert_same_data(want, snapshot(clients_for(s.port)))
    finally:
        assert s.stop() == 0, s.log_text()
    # redis-server 7.0.15 loads the directory (a copy: it writes there).
    copy = tempfile.mkdtemp(prefix="mnemo-aof-copy-")
    try:
        shutil.copytree(os.path.join(workdir, AOF_DIR), os.path.join(copy, AOF_DIR))
        ref = loaded(Reference(["--appendonly", "yes", "--dir", copy]))
        try:
            assert_same_data(want, snapshot(clients_for(ref.port)))
        finally:
            ref.stop()
    finally:
        shutil.rmtree(copy)


# ---- (b) redis-server's AOF read by Mnemo -----------------------------------------------------

@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_mnemo_loads_redis_aof(workdir, preamble):
    ref = Reference(["--appendonly", "yes", "--dir", workdir, "--aof-use-rdb-preamble", preamble,
                     "--aof-timestamp-enabled", "yes"])
    try:
        cf = clients_for(ref.port)
        populate(cf)
        more_writes(cf, "before")
        c = cf(0)
        c.bgrewriteaof()
        wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0)
        more_writes(cf, "after")
        want = snapshot(cf)
    finally:
        ref.stop()  # removes its own temporary dir, not ours
    assert any(".incr.aof" in line for line in manifest_lines(workdir))
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    try:
        assert_same_data(want, snapshot(clients_for(s.port)))
        assert info(s.client(), "aof_enabled") == 1
    finally:
        assert s.stop() == 0, s.log_text()


def test_replay_after_the_ttls_passed_keeps_what_persist_kept(workdir):
    """A key given a 1 s TTL and then PERSISTed survives a restart more than a second later:
    the replay does not expire keys while it runs (Redis neither), so the PERSIST finds the key,
    also when the key is in the rewritten base (an RDB preamble) and the PERSIST in the
    incremental file; a key left with its TTL is gone after the load. The same files load the
    same in Redis."""
    results = []
    for start in (lambda d: Server(["--appendonly", "yes", "--save", ""], workdir=d),
                  lambda d: Reference(["--appendonly", "yes", "--dir", d])):
        d = tempfile.mkdtemp(prefix="mnemo-aof-ttl-", dir=workdir)
        s = start(d)
        try:
            c = loaded(s).client()
            c.set("base:persisted", "v", px=1000)
            c.set("base:expires", "v", px=1000)
            c.bgrewriteaof()
            wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0 and
                     info(c, "aof_rewrite_scheduled") == 0)
            c.persist("base:persisted")
            c.set("persisted", "v", px=1000)
            c.persist("persisted")
            c.execute_command("SET", "pxat", "v", "PXAT", int(time.time() * 1000) + 1000)
            c.persist("pxat")
            c.set("rename:src", "v", px=1000)
            c.rename("rename:src", "rename:dst")
            c.persist("rename:dst")
            c.set("expires", "v", px=1000)
            time.sleep(1.2)
        finally:
            s.stop()
        s = start(d)
        try:
            c = loaded(s).client()
            results.append({k: (c.get(k), c.ttl(k))
                            for k in ("base:persisted", "base:expires", "persisted", "pxat",
                                      "rename:src", "rename:dst", "expires")})
        finally:
            s.stop()
    mnemo, redis_ = results
    assert mnemo["base:persisted"] == (b"v", -1)
    assert mnemo["base:expires"] == (None, -2)
    assert mnemo["persisted"] == (b"v", -1)
    assert mnemo["pxat"] == (b"v", -1)
    assert mnemo["rename:dst"] == (b"v", -1)
    assert mnemo["rename:src"] == (None, -2)
    assert mnemo["expires"] == (None, -2)
    assert mnemo == redis_


def assert_same_data_ttl_within(want, got, seconds=120):
    """assert_same_data with TTLs compared within `seconds` (the servers below start one after
    the other, each loading the data, on a shared machine)."""
    assert sorted(want) == sorted(got)
    for k, (t, v, ttl) in want.items():
        gt, gv, gttl = got[k]
        assert (gt, gv) == (t, v), k
        assert (gttl < 0) == (ttl < 0) and abs(gttl - ttl) < seconds * 1000, (k, ttl, gttl)


def assert_redis_loads(directory, want):
    """redis-server 7.0.15 started with appendonly yes in `directory` holds `want`."""
    ref = Reference(["--appendonly", "yes", "--dir", directory])
    try:
        loaded(ref)
        assert_same_data_ttl_within(want, snapshot(clients_for(ref.port)))
    finally:
        ref.stop()


def _old_style_aof(preamble, path):
    """Writes at `path` a pre-7 single-file AOF made by redis-server 7.0.15: its base file (an
    RDB preamble or commands) followed by its incremental file, as Redis 6 kept both in one
    file. Returns the data it holds."""
    d = tempfile.mkdtemp(prefix="mnemo-old-aof-")
    ref = Reference(["--appendonly", "yes", "--dir", d, "--aof-use-rdb-preamble", preamble])
    try:
        cf = clients_for(ref.port)
        populate(cf)
        c = cf(0)
        c.bgrewriteaof()
        wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0 and
                 info(c, "aof_rewrite_scheduled") == 0)
        more_writes(cf, "tail")
        want = snapshot(cf)
    finally:
        ref.stop()
    files = [line.split()[1] for line in manifest_lines(d)]
    with open(path, "wb") as out:
        for name in files:
            with open(os.path.join(d, AOF_DIR, name), "rb") as f:
                out.write(f.read())
    shutil.rmtree(d)
    return want


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_pre7_single_file_aof_is_upgraded(workdir, preamble):
    # As Redis 7.0's aofUpgradePrepare: appendonly yes, no manifest, an appendonly.aof in dir:
    # it is loaded as the base of a new manifest and moved into appenddirname. Redis does the
    # same with a copy of the same file, side by side.
    want = _old_style_aof(preamble, os.path.join(workdir, "appendonly.aof"))
    redis_dir = tempfile.mkdtemp(prefix="redis-upgrade-")
    shutil.copy(os.path.join(workdir, "appendonly.aof"), redis_dir)
    assert_redis_loads(redis_dir, want)
    redis_manifest = manifest_lines(redis_dir)
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    try:
        assert_same_data_ttl_within(want, snapshot(clients_for(s.port)))
        assert manifest_lines(workdir) == redis_manifest == [
            "file appendonly.aof seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i"]
        assert not os.path.exists(os.path.join(workdir, "appendonly.aof"))
        assert os.path.exists(os.path.join(workdir, AOF_DIR, "appendonly.aof"))
        s.client().set("after-upgrade", "1")
    finally:
        assert s.stop() == 0, s.log_text()
    assert "Successfully migrated an old-style AOF into the AOF directory appendonlydir." in \
        s.log_text()
    check_aof(workdir)
    # The upgraded directory loads again (and in Redis).
    want[(0, b"after-upgrade")] = ("string", b"1", -1)
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    try:
        assert_same_data_ttl_within(want, snapshot(clients_for(s.port)))
    finally:
        assert s.stop() == 0, s.log_text()
    assert_redis_loads(workdir, want)
    shutil.rmtree(redis_dir)


def test_single_file_aof_left_alone_with_a_manifest(workdir):
    # With a manifest that has incremental files, an appendonly.aof in dir is not the AOF: it is
    # neither loaded nor moved (Redis's three upgrade conditions all fail).
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    s.client().set("in-aof", "1")
    assert s.stop() == 0
    with open(os.path.join(workdir, "appendonly.aof"), "wb") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n")
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    try:
        c = s.client()
        assert c.get("in-aof") == b"1" and c.get("old") is None
        assert os.path.exists(os.path.join(workdir, "appendonly.aof"))
    finally:
        assert s.stop() == 0, s.log_text()


# ---- (c) truncated tails ----------------------------------------------------------------------

def last_incr(workdir):
    name = manifest_lines(workdir)[-1].split()[1]
    return os.path.join(workdir, AOF_DIR, name)


@pytest.mark.parametrize("tail", [b"*3\r\n$3\r\nset\r\n$1\r\nx\r\n$5\r\nhal",
                                  b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nx\r\n$1\r\n1\r\n"])
def test_truncated_tail(workdir, tail):
    args = ["--appendonly", "yes", "--save", ""]
    s = Server(args, workdir=workdir)
    try:
        s.client().set("kept", "1")
    finally:
        assert s.stop() == 0
    path = last_incr(workdir)
    good_size = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(tail)
    code, log = start_mnemo_expecting_exit(workdir, args + ["--aof-load-truncated", "no"])
    assert code is not None and code != 0, log
    assert "Unrecoverable error reading the append only file" in log, log
    assert os.path.getsize(path) == good_size + len(tail)
    s = Server(args + ["--aof-load-truncated", "yes"], workdir=workdir)
    try:
        c = s.client()
        assert c.get("kept") == b"1"
        assert c.get("x") is None
        c.set("after", "2")
    finally:
        assert s.stop() == 0
    assert "Truncating the AOF" in s.log_text()
    check_aof(workdir)
    s = Server(args, workdir=workdir)
    try:
        assert s.client().mget("kept", "after", "x") == [b"1", b"2", None]
    finally:
        assert s.stop() == 0


def test_corrupt_manifest_and_commands_are_refused(workdir):
    args = ["--appendonly", "yes", "--save", ""]
    s = Server(args, workdir=workdir)
    s.client().set("k", "v")
    assert s.stop() == 0
    mpath = os.path.join(workdir, AOF_DIR, MANIFEST)
    original = open(mpath).read()
    for bad, message in [("file x seq 1\n", "Invalid AOF manifest file format"),
                         (original + original.splitlines()[0] + "\n",
                          "Found duplicate base file information"),
                         ("file ../x seq 1 type b\n", "File can't be a path, just a filename")]:
        with open(mpath, "w") as f:
            f.write(bad)
        code, log = start_mnemo_expecting_exit(workdir, args)
        assert code is not None and code != 0 and message in log, log
    with open(mpath, "w") as f:
        f.write(original)
    with open(last_incr(workdir), "ab") as f:
        f.write(b"+garbage\r\n*1\r\n$4\r\nPING\r\n")
    code, log = start_mnemo_expecting_exit(workdir, args)
    assert code is not None and code != 0 and "Bad file format" in log, log


# ---- (d) runtime switch, INFO -----------------------------------------------------------------

def test_config_set_appendonly_at_runtime(workdir):
    s = Server(["--save", ""], workdir=workdir)
    try:
        c = s.client()
        assert info(c, "aof_enabled") == 0
        for i in range(2000):
            c.set(f"k{i}", i)
        assert c.config_set("appendonly", "yes")
        # Writes while the first rewrite runs go to the temporary incremental file.
        for i in range(100):
            c.incr("during")
        wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0)
        assert info(c, "aof_enabled") == 1
        assert info(c, "aof_last_bgrewrite_status") == "ok"
        c.set("after", "yes")
        lines = manifest_lines(workdir)
        assert len(lines) == 2 and lines[0].endswith("type b") and lines[1].endswith("type i")
        assert not [n for n in os.listdir(os.path.join(workdir, AOF_DIR)) if n.startswith("temp")]
        assert c.config_set("appendonly", "no")
        assert info(c, "aof_enabled") == 0
        c.set("not-logged", 1)
    finally:
        assert s.stop() == 0, s.log_text()
    check_aof(workdir)
    s = Server(["--save", "", "--appendonly", "yes"], workdir=workdir)
    try:
        c = s.client()
        assert c.dbsize() == 2002
        assert c.get("during") == b"100" and c.get("after") == b"yes"
        assert c.get("not-logged") is None
    finally:
        assert s.stop() == 0


def test_bgrewriteaof_with_appendonly_off(workdir):
    # As redis-server 7.0.15: a base file and a manifest listing only it.
    s = Server(["--save", ""], workdir=workdir)
    try:
        c = s.client()
        for i in range(500):
            c.set(f"k{i}", i)
        assert c.bgrewriteaof()
        wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0)
        assert info(c, "aof_rewrites") == 1 and info(c, "aof_enabled") == 0
        assert manifest_lines(workdir) == ["file appendonly.aof.1.base.rdb seq 1 type b"]
        c.set("not-in-it", 1)
    finally:
        assert s.stop() == 0
    check_aof(workdir)
    s = Server(["--save", "", "--appendonly", "yes"], workdir=workdir)
    try:
        c = s.client()
        assert c.dbsize() == 500 and c.get("k7") == b"7"
        assert manifest_lines(workdir) == ["file appendonly.aof.1.base.rdb seq 1 type b",
                                           "file appendonly.aof.1.incr.aof seq 1 type i"]
    finally:
        assert s.stop() == 0


def test_rewrite_and_bgsave_take_turns(workdir):
    s = Server(["--save", "", "--appendonly", "yes"], workdir=workdir)
    try:
        c = s.client()
        p = c.pipeline(transaction=False)
        for i in range(100000):
            p.set(f"k{i}", i)
        p.execute()
        raw = s.client()
        raw.response_callbacks.clear()  # the status texts as sent
        # One batch: the second command finds the first's snapshot running.
        p = raw.pipeline(transaction=False)
        p.execute_command("BGSAVE")
        p.execute_command("BGREWRITEAOF")
        assert p.execute() == [b"Background saving started",
                               b"Background append only file rewriting scheduled"]
        wait_for(lambda: info(c, "aof_rewrites") == 1 and info(c, "aof_rewrite_in_progress") == 0
                 and info(c, "rdb_bgsave_in_progress") == 0)
        assert info(c, "rdb_last_bgsave_status") == "ok"
        assert info(c, "aof_last_bgrewrite_status") == "ok"
        p = raw.pipeline(transaction=False)
        p.execute_command("BGREWRITEAOF")
        p.execute_command("BGREWRITEAOF")
        p.execute_command("BGSAVE")
        p.execute_command("BGSAVE", "SCHEDULE")
        got = p.execute(raise_on_error=False)
        assert got[0] == b"Background append only file rewriting started"
        assert str(got[1]) == "Background append only file rewriting already in progress"
        assert str(got[2]) == ("Another child process is active (AOF?): can't BGSAVE right now. "
                               "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever "
                               "possible.")
        assert got[3] == b"Background saving scheduled"
        saves = info(c, "rdb_saves")
        wait_for(lambda: info(c, "rdb_saves") == saves + 1 and
                 info(c, "rdb_bgsave_in_progress") == 0 and info(c, "aof_rewrite_in_progress") == 0)
        assert info(c, "aof_rewrites") == 2
    finally:
        assert s.stop() == 0
    check_aof(workdir)


def test_shutdown_refused_while_the_initial_aof_is_written(workdir):
    s = Server(["--save", ""], workdir=workdir)
    try:
        c = s.client()
        c.set("k", "v")
        raw = s.client()
        raw.response_callbacks.clear()
        # One batch: SHUTDOWN finds the first rewrite of the AOF being turned on still running.
        p = raw.pipeline(transaction=False)
        p.execute_command("CONFIG", "SET", "appendonly", "yes")
        p.execute_command("SHUTDOWN")
        got = p.execute(raise_on_error=False)
        assert got[0] == b"OK"
        assert str(got[1]) == "Errors trying to SHUTDOWN. Check logs."
        assert c.get("k") == b"v"  # still serving
        wait_for(lambda: info(c, "aof_enabled") == 1 and info(c, "aof_rewrite_in_progress") == 0)
        c.set("after", "1")
    finally:
        assert s.stop() == 0
    assert "Writing initial AOF, can't exit." in s.log_text()
    s = Server(["--save", "", "--appendonly", "yes"], workdir=workdir)
    try:
        assert s.client().mget("k", "after") == [b"v", b"1"]
    finally:
        assert s.stop() == 0


def test_info_aof_fields_as_redis(workdir):
    ref = Reference(["--appendonly", "yes"])
    try:
        rc = ref.client()
        rc.set("a", 1)
        want = list(rc.info("persistence"))
        want_mem = "mem_aof_buffer" in rc.info("memory")
    finally:
        ref.stop()
    s = Server(["--appendonly", "yes", "--save", ""], workdir=workdir)
    try:
        c = s.client()
        c.set("a", 1)
        got = list(c.info("persistence"))
        aof = lambda fields: [f for f in fields if f.startswith("aof_")]
        assert aof(got) == aof(want)
        assert want_mem and "mem_aof_buffer" in c.info("memory")
        assert info(c, "aof_current_size") == sum(
            os.path.getsize(os.path.join(workdir, AOF_DIR, n))
            for n in os.listdir(os.path.join(workdir, AOF_DIR)) if n != MANIFEST)
        with pytest.raises(redis.ResponseError, match="immutable"):
            c.config_set("appendfilename", "other.aof")
        assert c.config_set("appendfsync", "always")
        assert c.config_get("appendfsync") == {"appendfsync": "always"}
        with pytest.raises(redis.ResponseError):
            c.config_set("appendfsync", "sometimes")
    finally:
        assert s.stop() == 0


def test_auto_rewrite_on_growth(workdir):
    s = Server(["--appendonly", "yes", "--save", "", "--auto-aof-rewrite-min-size", "20000",
                "--auto-aof-rewrite-percentage", "100"], workdir=workdir)
    try:
        c = s.client()
        p = c.pipeline(transaction=False)
        for i in range(2000):
            p.set("same", "x" * 20)
        p.execute()
        wait_for(lambda: info(c, "aof_rewrites") >= 1 and info(c, "aof_rewrite_in_progress") == 0)
        assert info(c, "aof_current_size") < 20000
        assert c.get("same") == b"x" * 20
    finally:
        assert s.stop() == 0


# ---- (e) crashes --------------------------------------------------------------------------------

CLIENTS = 4
BATCH = 40


def writer(port, cid, acked, stop, errors):
    """Pipelines INCR, RPUSH and a MULTI/EXEC pair; records what was acknowledged."""
    try:
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        seq = acked[cid]["rpush"]
        while not stop.is_set():
            p = c.pipeline(transaction=False)
            for _ in range(BATCH // 4):
                p.incr(f"cnt:{cid}")
                p.rpush(f"list:{cid}", seq)
                seq += 1
                p.execute_command("MULTI")
                p.execute_command("INCR", f"pairA:{cid}")
                p.execute_command("INCR", f"pairB:{cid}")
                p.execute_command("EXEC")
            replies = p.execute()
            # Every reply of the batch arrived: all of it is acknowledged.
            for i in range(0, len(replies), 6):
                acked[cid]["cnt"] = replies[i]
                acked[cid]["rpush"] = replies[i + 1]
                acked[cid]["pair"] = replies[i + 5][0]
    except (redis.ConnectionError, redis.TimeoutError, ConnectionResetError):
        pass
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append(repr(e))


def check_state(port, acked):
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
    for cid in range(CLIENTS):
        cnt = int(c.get(f"cnt:{cid}") or 0)
        a = int(c.get(f"pairA:{cid}") or 0)
        b = int(c.get(f"pairB:{cid}") or 0)
        lst = [int(x) for x in c.lrange(f"list:{cid}", 0, -1)]
        assert cnt >= acked[cid]["cnt"], (cid, cnt, acked[cid])
        assert a == b, ("half-applied transaction", cid, a, b)
        assert a >= acked[cid]["pair"], (cid, a, acked[cid])
        assert len(lst) >= acked[cid]["rpush"], (cid, len(lst), acked[cid])
        assert lst == list(range(len(lst))), cid
        # Resume from what is there: the next run's acknowledgements build on it.
        acked[cid] = {"cnt": cnt, "rpush": len(lst), "pair": a}


def test_kill9_loses_no_acknowledged_write_with_always(workdir):
    args = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    rng = random.Random(20261205)
    acked = [{"cnt": 0, "rpush": 0, "pair": 0} for _ in range(CLIENTS)]
    total_acked = 0
    started = time.monotonic()
    kills = 0
    while kills < 20:
        s = Server(args, workdir=workdir)
        check_state(loaded(s).port, acked)
        stop = threading.Event()
        errors = []
        threads = [threading.Thread(target=writer, args=(s.port, i, acked, stop, errors))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        delay = rng.uniform(0.05, 0.4)
        if kills % 2 == 1:
            # Every other run a rewrite starts shortly before the kill: the kill may land while
            # the new base is written, before or after the manifest names it.
            time.sleep(delay * rng.uniform(0.5, 0.95))
            try:
                s.client().bgrewriteaof()
            except redis.RedisError:
                pass
            time.sleep(rng.uniform(0, 0.02))
        else:
            time.sleep(delay)
        os.kill(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        kills += 1
        stop.set()
        for t in threads:
            t.join(timeout=20)
        assert not errors, errors
        total_acked = sum(a["cnt"] for a in acked)
    s = Server(args, workdir=workdir)
    try:
        check_state(loaded(s).port, acked)
    finally:
        assert s.stop() == 0
    check_aof(workdir)
    # After the last (clean) run, the directory holds the manifest and what it names: files of
    # rewrites cut short by a kill were cleaned up at the next start.
    listed = {line.split()[1] for line in manifest_lines(workdir)}
    assert sorted(os.listdir(os.path.join(workdir, AOF_DIR))) == sorted(listed | {MANIFEST})
    elapsed = time.monotonic() - started
    print(f"kill -9 x{kills} in {elapsed:.1f}s; {total_acked} INCRs acknowledged, none lost")
    assert total_acked > 1000  # the load really ran
    assert elapsed < 90


def test_kill9_with_everysec_loses_at_most_about_a_second(workdir):
    args = ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    worst = 0.0
    for round_ in range(3):
        s = Server(args, workdir=workdir)
        c = loaded(s).client()
        c.delete("n")
        acks = []  # (value, monotonic time of its acknowledgement)
        deadline = time.monotonic() + 1.5 + round_ * 0.3
        while time.monotonic() < deadline:
            p = c.pipeline(transaction=False)
            for _ in range(20):
                p.incr("n")
            vals = p.execute()
            acks.append((vals[-1], time.monotonic()))
        os.kill(s.proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        s.proc.wait()
        s = Server(args, workdir=workdir)
        try:
            survived = int(loaded(s).client().get("n") or 0)
        finally:
            assert s.stop() == 0
        # The lost window: from the acknowledgement of the first lost write to the kill.
        lost = [t for v, t in acks if v > survived]
        window = killed_at - lost[0] if lost else 0.0
        worst = max(worst, window)
        print(f"everysec round {round_}: {acks[-1][0] - survived} of {acks[-1][0]} acknowledged "
              f"INCRs lost, {window:.3f}s of writes")
        # The process died, not the machine: every acknowledged write had been written to the
        # file before its reply left (as Redis writes aof_buf before replying), and the kernel
        # keeps what was written.
        assert survived >= acks[-1][0], (survived, acks[-1][0])
    # Redis's bound for a crash of the machine: at most about one second (two when the disk
    # lags); a kill -9 loses nothing acknowledged (above).
    assert worst <= 2.0, worst


def test_always_replies_after_fsync_with_group_commit(workdir):
    """Under strace: no reply leaves before an fdatasync of the AOF writes made before it, and
    one fdatasync covers many writes (the group commit)."""
    strace = shutil.which("strace")
    assert strace, "strace is needed (Debian package strace)"
    binary = os.environ["MNEMO_SERVER"]
    trace = os.path.join(workdir, "strace.out")
    port = free_port()
    proc = subprocess.Popen(
        [strace, "-f", "-qq", "-s", "100000", "-o", trace, "-e", "trace=openat,write,sendto,sendmsg,fdatasync",
         binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
         "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        wait_for(lambda: _pings(c))
        commands = 0

        def load(i):
            w = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
            for _ in range(25):
                p = w.pipeline(transaction=False)
                for j in range(20):
                    p.incr(f"n{i}")
                p.execute()
        threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        commands = 4 * 25 * 20
        assert sum(int(c.get(f"n{i}")) for i in range(4)) == commands
        c.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        proc.wait(timeout=30)
    # Counts INCRs: written to the AOF, made durable (a write followed by an fdatasync), and
    # acknowledged (":<n>" replies sent). At every reply: acknowledged <= durable.
    aof_fd = None
    written = durable = acked = 0
    syncs = aof_writes = replies = 0
    with open(trace) as f:
        for line in f:
            if ".incr.aof" in line and "openat(" in line and "= " in line:
                aof_fd = line.rsplit("= ", 1)[1].strip()
                continue
            if aof_fd is None:
                continue
            if f"write({aof_fd}," in line:
                low = line.lower()  # redis-py sends INCR as INCRBY <key> 1
                written += low.count("\\r\\nincr\\r\\n") + low.count("\\r\\nincrby\\r\\n")
                aof_writes += 1
            elif f"fdatasync({aof_fd})" in line:
                durable = written
                syncs += 1
            elif "sendto(" in line or "sendmsg(" in line:
                payload = line.split('"', 1)[1].rsplit('"', 1)[0]
                n = sum(1 for part in payload.split("\\r\\n") if part.startswith(":"))
                if n:
                    replies += 1
                    acked += n
                    assert acked <= durable, ("a reply left before its write was fsynced",
                                              acked, durable)
    assert aof_writes > 0 and replies > 0 and acked == commands and durable == commands
    # Group commit: far fewer fsyncs than writes (4 clients pipelining 20 commands each).
    assert syncs < commands / 5, (syncs, commands)
    print(f"always: {commands} INCRs, {aof_writes} AOF writes, {syncs} fdatasync calls")


def _pings(c):
    try:
        return c.ping()
    except (redis.ConnectionError, redis.BusyLoadingError):
        return False


# ---- (f) stop-writes-on-bgsave-error ----------------------------------------------------------

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk.")


def test_misconf_after_failed_bgsave(workdir):
    s = Server(["--save", "3600 1"], workdir=workdir)
    gone = tempfile.mkdtemp(prefix="mnemo-gone-")
    try:
        c = s.client()
        c.set("before", 1)
        c.config_set("dir", gone)
        os.rmdir(gone)  # BGSAVE can't create its temporary file there
        # As Redis, whose child fails after "Background saving started": the reply says it
        # started, the status and the log say it failed.
        assert raw_bgsave(c) == "Background saving started"
        wait_for(lambda: info(c, "rdb_bgsave_in_progress") == 0)
        assert info(c, "rdb_last_bgsave_status") == "err"
        with pytest.raises(redis.ResponseError) as e:
            c.set("refused", 1)
        assert str(e.value).startswith(MISCONF), str(e.value)
        assert "stop-writes-on-bgsave-error option" in str(e.value)
        # A transaction with a write is refused at EXEC; reads still go.
        p = c.pipeline(transaction=True)
        p.incr("refused")
        with pytest.raises(redis.ResponseError):
            p.execute()
        assert c.get("before") == b"1"
        # The option off: writes go again.
        c.config_set("stop-writes-on-bgsave-error", "no")
        assert c.set("allowed", 1)
        c.config_set("stop-writes-on-bgsave-error", "yes")
        with pytest.raises(redis.ResponseError, match="MISCONF"):
            c.set("refused", 1)
        # A successful save ends it.
        c.config_set("dir", workdir)
        assert c.bgsave()
        wait_for(lambda: info(c, "rdb_bgsave_in_progress") == 0)
        assert info(c, "rdb_last_bgsave_status") == "ok"
        assert c.set("after", 1)
        assert c.get("refused") is None
    finally:
        c.config_set("dir", workdir)
        assert s.stop() == 0, s.log_text()
    log = s.log_text()
    assert "Failed opening the temp RDB file" in log and "Background saving error" in log, log


def raw_bgsave(c):
    """BGSAVE's status reply as text (redis-py turns any of them into True)."""
    with Conn(c.connection_pool.connection_kwargs["port"]) as r:
        reply = r.call("BGSAVE")
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def _misconf_replies(c, workdir_gone):
    """Puts `c`'s server (save points on) in the -MISCONF state with a BGSAVE that cannot create
    its file, then returns what each probe command replies (the error's first word, or the
    reply)."""
    c.set("k", "v")
    c.config_set("dir", workdir_gone)
    os.rmdir(workdir_gone)
    assert raw_bgsave(c) == "Background saving started"
    wait_for(lambda: info(c, "rdb_bgsave_in_progress") == 0)
    assert info(c, "rdb_last_bgsave_status") == "err"

    def run(*args):
        try:
            r = c.execute_command(*args)
            return r.decode() if isinstance(r, bytes) else r
        except redis.ResponseError as e:
            return str(e)

    probes = [("PING",), ("PING", "hi"), ("ECHO", "x"), ("GET", "k"), ("SET", "k", "2"),
              ("DEL", "k"), ("EXPIRE", "k", "100"), ("FLUSHALL",), ("PUBLISH", "ch", "m"),
              ("DBSIZE",), ("SELECT", "0"), ("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"),
              ("EVAL", "return 1", "0"),
              ("EVAL", "return redis.pcall('ping')", "0"),
              ("EVAL", "#!lua flags=no-writes\nreturn 1", "0"),
              ("EVAL", "#!lua\nreturn 1", "0"),
              ("EVAL", "return redis.call('set', 'k', '3')", "0"),
              ("EVAL", "return redis.pcall('set', 'k', '3')", "0")]
    out = {" ".join(a): run(*a) for a in probes}
    # Inside MULTI a refused command is refused when queued, and EXEC aborts.
    for queued in (("PING",), ("SET", "k", "4"), ("GET", "k")):
        p = c.pipeline(transaction=True)
        p.execute_command(*queued)
        try:
            out["MULTI " + " ".join(queued)] = [x.decode() if isinstance(x, bytes) else x
                                                for x in p.execute()]
        except redis.ResponseError as e:
            out["MULTI " + " ".join(queued)] = str(e)
    out["GET k, at the end"] = run("GET", "k")
    return {k: v.split(" script: ")[0].split(". script: ")[0] if isinstance(v, str) else v
            for k, v in out.items()}


def test_misconf_refuses_what_redis_refuses(workdir):
    # Side by side with redis-server 7.0.15: writes, PING (Redis processCommand: a health check
    # sees the error), scripts that may write, and writes from scripts are refused; reads, ECHO,
    # PUBLISH, SCRIPT FLUSH and read-only scripts go on.
    s = Server(["--save", "3600 1"], workdir=workdir)
    ref = Reference(["--save", "3600 1", "--enable-protected-configs", "yes"])
    try:
        got = _misconf_replies(s.client(), tempfile.mkdtemp(prefix="mnemo-gone-"))
        want = _misconf_replies(ref.client(), tempfile.mkdtemp(prefix="redis-gone-"))
    finally:
        s.client().config_set("dir", workdir)
        ref.client().config_set("dir", ref.dir.name)
        s.stop()
        ref.stop()
    assert got == want
    assert got["PING"].startswith(MISCONF) and got["SET k 2"].startswith(MISCONF)
    assert got["GET k, at the end"] == "v"


def test_misconf_after_failed_aof_write(workdir):
    # The AOF's file is /dev/full: every write fails with ENOSPC.
    os.mkdir(os.path.join(workdir, AOF_DIR))
    os.symlink("/dev/full", os.path.join(workdir, AOF_DIR, "temp-appendonly.aof.incr"))
    s = Server(["--save", ""], workdir=workdir)
    try:
        c = s.client()
        c.set("before", 1)
        assert c.config_set("appendonly", "yes")
        c.set("first", 1)  # acknowledged (everysec); its write fails
        wait_for(lambda: info(c, "aof_last_write_status") == "err")
        with pytest.raises(redis.ResponseError) as e:
            c.set("refused", 1)
        assert str(e.value) == "MISCONF Errors writing to the AOF file: No space left on device"
        assert c.get("before") == b"1"
        # With the AOF off, writes go again.
        assert c.config_set("appendonly", "no")
        assert c.set("allowed", 1)
    finally:
        assert s.stop() == 0, s.log_text()
    assert "Error writing to the AOF file: No space left on device" in s.log_text()


def test_always_exits_on_aof_write_error(workdir):
    # As Redis: with appendfsync always a write that cannot be logged stops the server, since its
    # reply must not claim a durability the file does not have.
    os.mkdir(os.path.join(workdir, AOF_DIR))
    os.symlink("/dev/full", os.path.join(workdir, AOF_DIR, "temp-appendonly.aof.incr"))
    s = Server(["--save", "", "--appendfsync", "always"], workdir=workdir)
    c = s.client()
    c.set("k", 1)
    assert c.config_set("appendonly", "yes")
    wait_for(lambda: info(c, "aof_rewrite_in_progress") == 0 and info(c, "aof_enabled") == 1)
    with pytest.raises(redis.ConnectionError):
        c.set("lost", 1)  # no reply: the server exits before it sends one
    assert s.proc.wait(timeout=10) == 1
    assert "Can't recover from AOF write error when the AOF fsync policy is 'always'" in \
        s.log_text()


def test_misconf_needs_save_points(workdir):
    # As Redis: without save points a failed BGSAVE does not stop writes.
    s = Server(["--save", ""], workdir=workdir)
    gone = tempfile.mkdtemp(prefix="mnemo-gone-")
    try:
        c = s.client()
        c.config_set("dir", gone)
        os.rmdir(gone)
        try:
            c.bgsave()
        except redis.ResponseError:
            pass
        wait_for(lambda: info(c, "rdb_bgsave_in_progress") == 0)
        assert info(c, "rdb_last_bgsave_status") == "err"
        assert c.set("k", 1)
    finally:
        c.config_set("dir", workdir)
        assert s.stop() == 0


# ---- (g) BGSAVE under a concurrent writer ------------------------------------------------------

def test_bgsave_holds_the_dataset_as_of_its_start(workdir):
    s = Server(["--save", ""], workdir=workdir)
    try:
        c = s.client()
        p = c.pipeline(transaction=False)
        for i in range(200000):
            p.set(f"key:{i}", f"v0-{i}")
            if i % 10000 == 9999:
                p.execute()
        p.execute()
        for i in range(100):
            c.rpush(f"list:{i}", *range(50))
        # The snapshot as of now, taken with the writer stopped: what the file must hold.
        want = {k: v for k, v in zip((f"key:{i}" for i in range(200000)),
                                     c.mget([f"key:{i}" for i in range(200000)]))}
        stop = threading.Event()
        written = [0]

        def write_loop():
            w = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=30)
            rng = random.Random(7)
            while not stop.is_set():
                wp = w.pipeline(transaction=False)
                for _ in range(100):
                    i = rng.randrange(200000)
                    wp.set(f"key:{i}", f"changed-{i}")
                    wp.delete(f"key:{rng.randrange(200000)}")
                    wp.set(f"new:{rng.randrange(10**9)}", 1)
                    wp.lpush(f"list:{rng.randrange(100)}", "x")
                wp.execute()
                written[0] += 400

        # BGSAVE first, then the writer: every write it makes comes after the snapshot's start.
        assert c.bgsave()
        t = threading.Thread(target=write_loop)
        t.start()
        wait_for(lambda: info(c, "rdb_bgsave_in_progress") == 0, timeout=60)
        stop.set()
        t.join()
        assert info(c, "rdb_last_bgsave_status") == "ok"
        assert written[0] > 0
        # The writer really ran during the save: keys were saved just before it changed them.
        print(f"BGSAVE: {info(c, 'rdb_last_cow_keys')} keys written before they changed, "
              f"{written[0]} writes during and after the save")
        assert info(c, "rdb_last_cow_keys") > 0
    finally:
        assert s.stop() == 0
    # The file's keys as redis-server 7.0.15 loads them.
    copy = tempfile.mkdtemp(prefix="mnemo-bgsave-")
    try:
        shutil.copy(os.path.join(workdir, "dump.rdb"), os.path.join(copy, "dump.rdb"))
        # No save points: the shutdown above did not save again; the file is the BGSAVE's.
        ref = loaded(Reference(["--dir", copy]))
        try:
            rc = ref.client()
            assert rc.dbsize() == 200000 + 100
            got = rc.mget([f"key:{i}" for i in range(200000)])
            assert dict(zip((f"key:{i}" for i in range(200000)), got)) == want
            for i in range(100):
                assert rc.lrange(f"list:{i}", 0, -1) == [str(x).encode() for x in range(50)]
        finally:
            ref.stop()
    finally:
        shutil.rmtree(copy)
