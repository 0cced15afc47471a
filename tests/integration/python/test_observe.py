# test_observe.py: MONITOR (with the real redis-cli), SLOWLOG, LATENCY, WAIT and the error
# statistics of mnemo-server side by side with Debian's redis-server 7.0.15: the same commands
# to both, replies compared where they are deterministic, and shapes (types, lengths, formats)
# where they hold times (tests/integration/python).
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import Reference, Server, free_port

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")


@pytest.fixture
def reference():
    ref = Reference(["--enable-debug-command", "yes"])
    yield ref.port
    ref.stop()


@pytest.fixture
def debug_server():
    """A mnemo-server that accepts DEBUG (as the reference does)."""
    s = Server(["--enable-debug-command", "yes"])
    yield s
    assert s.stop() == 0, "mnemo-server did not exit cleanly:\n" + s.log_text()


def both(server, reference, **kwargs):
    return (redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30, **kwargs),
            redis.Redis(host="127.0.0.1", port=reference, socket_timeout=30, **kwargs))


def call(client, *args):
    """The reply, or the error text (errors are values here)."""
    try:
        return client.execute_command(*args)
    except redis.ResponseError as e:
        return "ERR: " + str(e)


# Commands whose monitor lines must match; the monitor sees them as clients sent them.
MONITORED = [
    ("SET", "k", "a b\x01\"\n\\"), ("GET", "k"), ("SELECT", "2"), ("LPUSH", "l", "x"),
    ("GET",), ("NOSUCH", "a"), ("CONFIG", "GET", "maxmemory"), ("SLOWLOG", "LEN"),
    ("AUTH", "nopass"), ("AUTH", "user", "pass"), ("AUTH", "a", "b", "c"),
    ("HELLO", "2", "AUTH", "default", "wrong", "SETNAME", "x"), ("HELLO", "2", "SETNAME", "me"),
    ("MULTI",), ("INCR", "n"), ("SET", "m", "1"), ("EXEC",), ("BLPOP", "nothere", "0.05"),
    ("WAIT", "0", "0"), ("CLIENT", "SETNAME", "zz"), ("PING",), ("ECHO", "\u00e9"),
    ("LATENCY", "LATEST"), ("RESET",), ("PING",),
]


def monitor_lines(port):
    """Runs redis-cli monitor while MONITORED is sent on one connection; the lines it printed,
    with the time and the client's port masked (both servers print them as "+<s>.<us> [db
    ip:port]", which redis-cli shows without the "+")."""
    mon = subprocess.Popen([REDIS_CLI, "-p", str(port), "monitor"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, errors="replace")
    assert mon.stdout.readline().strip() == "OK"
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rb")
        for cmd in MONITORED:
            parts = [c.encode() for c in cmd]
            s.sendall(b"*%d\r\n" % len(parts) +
                      b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            read_reply(f)
    time.sleep(0.3)
    os.kill(mon.pid, signal.SIGTERM)
    out = mon.communicate(timeout=10)[0]
    lines = []
    for line in out.splitlines():
        m = re.fullmatch(r"(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:\d+\] (.*)", line)
        assert m, line
        assert abs(int(m.group(1)) - time.time()) < 60
        lines.append(f"[{m.group(3)}] {m.group(4)}")
    return lines


def read_reply(f):
    """Reads one RESP2 reply from a socket file (enough for MONITORED)."""
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b"-", b":"):
        return rest
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind in (b"*", b"%"):
        n = int(rest)
        return [read_reply(f) for _ in range(max(n, 0) * (2 if kind == b"%" else 1))]
    raise AssertionError(line)


def test_redis_cli_monitor_output_matches(server, reference):
    mine = monitor_lines(server.port)
    theirs = monitor_lines(reference)
    assert mine == theirs
    # What the test relies on: the redactions and the databases are in it.
    assert '[2] "AUTH" "(redacted)" "(redacted)"' in mine
    assert any('"(redacted)" "(redacted)" "SETNAME" "x"' in l for l in mine)
    assert '[0] "PING"' in mine


def test_monitor_client_rules(server, reference):
    for port in (server.port, reference):
        with socket.create_connection(("127.0.0.1", port)) as s:
            f = s.makefile("rb")
            s.sendall(b"MULTI\r\nMONITOR\r\nEXEC\r\n")
            assert read_reply(f) == b"OK"
            assert read_reply(f) == b"QUEUED"
            assert read_reply(f) == [b"ERR MONITOR isn't allowed for DENY BLOCKING client"]
            s.sendall(b"MONITOR\r\nGET k\r\nPING\r\n")
            assert read_reply(f) == b"OK"
            assert read_reply(f) == b"ERR Replica can't interact with the keyspace"
            assert read_reply(f) == b"PONG"  # the reply, then the monitor's line of it
            line = read_reply(f)
            assert re.fullmatch(rb"\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] \"PING\"", line), line


def slowlog_normalized(client):
    entries = client.execute_command("SLOWLOG", "GET", "-1")
    out = []
    for e in entries:
        assert len(e) == 6
        assert isinstance(e[0], int) and isinstance(e[1], int) and isinstance(e[2], int)
        assert abs(e[1] - time.time()) < 60 and e[2] >= 0
        assert re.fullmatch(rb"127\.0\.0\.1:\d+", e[4]), e[4]
        out.append((e[3], e[5]))
    return out


def test_slowlog_matches(server, reference):
    mine, theirs = both(server, reference)
    long_cmd = ["RPUSH", "list"] + [str(i) for i in range(40)]
    long_cmd[7] = "y" * 300
    script = [
        ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "x"), ("SLOWLOG", "GET", "1", "2"),
        ("SLOWLOG", "LEN"), ("SLOWLOG",), ("SLOWLOG", "NOPE"), ("SLOWLOG", "HELP"),
        ("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
        ("CONFIG", "SET", "slowlog-max-len", "-1"),
        ("CONFIG", "GET", "slowlog-*"), ("CONFIG", "GET", "latency-monitor-threshold"),
    ]
    for cmd in script:
        a, b = call(mine, *cmd), call(theirs, *cmd)
        if cmd[:2] == ("CONFIG", "GET"):  # pairs in each server's own order
            a, b = sorted(zip(a[::2], a[1::2])), sorted(zip(b[::2], b[1::2]))
        assert a == b, cmd
    for c in (mine, theirs):
        c.execute_command("SLOWLOG", "RESET")
        c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        c.execute_command("CLIENT", "SETNAME", "observer")
        c.execute_command(*long_cmd)
        call(c, "AUTH", "u", "p")
        call(c, "HELLO", "2", "AUTH", "default", "nopass")
        c.execute_command("SET", "k", "v")
    assert slowlog_normalized(mine) == slowlog_normalized(theirs)
    assert call(mine, "SLOWLOG", "LEN") == call(theirs, "SLOWLOG", "LEN")
    for c in (mine, theirs):
        c.execute_command("CONFIG", "SET", "slowlog-max-len", "2")
        c.execute_command("PING")
    assert call(mine, "SLOWLOG", "LEN") == call(theirs, "SLOWLOG", "LEN") == 2
    assert slowlog_normalized(mine) == slowlog_normalized(theirs)
    assert call(mine, "SLOWLOG", "RESET") == call(theirs, "SLOWLOG", "RESET")


def test_latency_matches(debug_server, reference):
    mine, theirs = both(debug_server, reference)
    script = [
        ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "command"), ("LATENCY", "RESET"),
        ("LATENCY", "GRAPH", "command"), ("LATENCY", "HELP"), ("LATENCY",),
        ("LATENCY", "NOPE"), ("LATENCY", "HISTORY"), ("LATENCY", "HISTOGRAM", "nosuch"),
        ("CONFIG", "SET", "latency-monitor-threshold", "-1"),
    ]
    for cmd in script:
        assert call(mine, *cmd) == call(theirs, *cmd), cmd
    for c in (mine, theirs):
        c.execute_command("CONFIG", "SET", "latency-monitor-threshold", "10")
        c.execute_command("DEBUG", "SLEEP", "0.03")
    latest = [c.execute_command("LATENCY", "LATEST") for c in (mine, theirs)]
    for l in latest:
        assert len(l) == 1 and l[0][0] == b"command"
        assert abs(l[0][1] - time.time()) < 60 and l[0][2] >= 30 and l[0][3] == l[0][2]
    hist = [c.execute_command("LATENCY", "HISTORY", "command") for c in (mine, theirs)]
    for h in hist:
        assert len(h) == 1 and len(h[0]) == 2
    graphs = [c.execute_command("LATENCY", "GRAPH", "command") for c in (mine, theirs)]
    # The same chart: one sample draws one full column and its "<n>s" label.
    norm = [re.sub(rb"\d+ ms", b"N ms", g) for g in graphs]
    norm = [re.sub(rb"\n\d\n(\d\n)?s\n", b"\nLABEL\n", g) for g in norm]
    assert norm[0] == norm[1], graphs
    assert call(mine, "LATENCY", "RESET", "command", "x") == \
        call(theirs, "LATENCY", "RESET", "command", "x") == 1
    assert call(mine, "LATENCY", "LATEST") == call(theirs, "LATENCY", "LATEST") == []


def test_latency_histogram_shape(server, reference):
    mine, theirs = both(server, reference)
    for c in (mine, theirs):
        c.execute_command("CONFIG", "RESETSTAT")
        c.execute_command("SET", "k", "v")
        c.execute_command("SET", "k", "v")
    shapes = []
    for c in (mine, theirs):
        rep = c.execute_command("LATENCY", "HISTOGRAM", "set", "nosuch")
        assert len(rep) == 2  # RESP2: a flat map of one command
        name, body = rep
        assert body[0] == b"calls" and body[2] == b"histogram_usec"
        hist = body[3]
        keys, counts = hist[::2], hist[1::2]
        assert keys == sorted(keys) and counts == sorted(counts) and counts[-1] == 2
        # Redis's bucket keys: the top of a power-of-two bucket, in microseconds.
        assert all(k in (1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454,
                         16908, 33817, 67634, 135266, 270532, 541065, 1073741) for k in keys)
        shapes.append((name, body[0], body[1], body[2]))
    assert shapes[0] == shapes[1]
    # RESP3: maps all the way down, in both.
    raw = [raw_command(p, "HELLO", "3", then=("LATENCY", "HISTOGRAM", "set"))
           for p in (server.port, reference)]
    for r in raw:
        assert r.startswith(b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:2\r\n"
                            b"$14\r\nhistogram_usec\r\n%"), r


def raw_command(port, *args, then=None):
    """Sends `args` (and then `then`) on a fresh connection; the raw bytes of the last reply."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rb")
        cmds = [args] + ([then] if then else [])
        reply = b""
        for cmd in cmds:
            parts = [str(a).encode() for a in cmd]
            s.sendall(b"*%d\r\n" % len(parts) +
                      b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            reply = read_raw(f)
        return reply


def read_raw(f):
    """One RESP2/RESP3 reply's bytes."""
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b"$", b"=", b"!"):
        n = int(rest)
        return line + (f.read(n + 2) if n >= 0 else b"")
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = max(int(rest), 0) * (2 if kind in (b"%", b"|") else 1)
        return line + b"".join(read_raw(f) for _ in range(n))
    return line


def test_wait_matches(server, reference):
    mine, theirs = both(server, reference)
    for cmd in [("WAIT", "0", "0"), ("WAIT", "x", "0"), ("WAIT", "1", "x"), ("WAIT", "1", "-1"),
                ("WAIT", "1"), ("WAIT", "-5", "10")]:
        assert call(mine, *cmd) == call(theirs, *cmd), cmd
    for c in (mine, theirs):
        start = time.monotonic()
        assert c.execute_command("WAIT", "1", "150") == 0
        assert 0.14 <= time.monotonic() - start < 2
        # Inside MULTI it does not wait.
        p = c.pipeline(transaction=True)
        p.execute_command("WAIT", "1", "0")
        start = time.monotonic()
        assert p.execute() == [0]
        assert time.monotonic() - start < 1


def info_section(client, name):
    """INFO <name> as {field: text}, read raw (redis-py would parse the values)."""
    port = client.connection_pool.connection_kwargs["port"]
    raw = raw_command(port, "INFO", name)
    text = raw[raw.index(b"\r\n") + 2:-2].decode()
    return dict(line.split(":", 1) for line in text.splitlines()
                if line and not line.startswith("#"))


def test_error_and_command_stats_match(server, reference):
    mine, theirs = both(server, reference)
    for c in (mine, theirs):
        c.execute_command("CONFIG", "RESETSTAT")
        c.execute_command("SET", "s", "x")
        call(c, "INCR", "s")
        call(c, "LPUSH", "s", "a")
        call(c, "GET")
        call(c, "NOSUCH")
        call(c, "SLOWLOG", "GET", "-5")
    assert info_section(mine, "errorstats") == info_section(theirs, "errorstats")
    pattern = re.compile(r"calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,"
                         r"failed_calls=\d+")
    stats = [info_section(c, "commandstats") for c in (mine, theirs)]
    for name in ("cmdstat_set", "cmdstat_incr", "cmdstat_lpush", "cmdstat_get",
                 "cmdstat_slowlog|get"):
        for s in stats:
            assert pattern.fullmatch(s[name]), (name, s.get(name))
        counts = [re.sub(r"usec=\d+,usec_per_call=[\d.]+,", "", s[name]) for s in stats]
        assert counts[0] == counts[1], name
    total = [info_section(c, "stats")["total_error_replies"] for c in (mine, theirs)]
    assert total[0] == total[1] == "5"
    for c in (mine, theirs):
        c.execute_command("CONFIG", "RESETSTAT")
    assert info_section(mine, "errorstats") == info_section(theirs, "errorstats") == {}


def test_observability_memory_is_counted(server):
    c = server.client()
    # Every command used below runs once first: its latency histogram (8 KiB, made by its first
    # call) is not what is measured.
    for threshold in ("-1", "0"):
        c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", threshold)
        c.execute_command("ECHO", "warm-up")
        c.execute_command("SLOWLOG", "RESET")
        info_section(c, "memory")
    before = int(info_section(c, "memory")["used_memory_overhead"])
    for i in range(128):
        c.execute_command("ECHO", "v" * 200)
    after = int(info_section(c, "memory")["used_memory_overhead"])
    # 128 entries, each with a 128-byte argument and its "... (72 more bytes)" note.
    assert after - before > 128 * 150
    c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    c.execute_command("SLOWLOG", "RESET")
    assert int(info_section(c, "memory")["used_memory_overhead"]) < before + 8192
