# test_pubsub_blocking.py: pub/sub, keyspace notifications, blocking commands and the rest of
# the client surface of issue 10, proved with real clients (redis-py, redis-cli, raw sockets)
# against mnemo-server and, side by side, Debian's redis-server 7.0.15 (conftest.Reference).
#
# The raw connections (resp.Conn) speak RESP2 and RESP3 (push frames included) so the tests see
# exactly the frames each server sends. Scale and memory tests state their bounds next to the
# assertion that checks them.
import os
import re
import resource
import select
import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import Reference, Server
from resp import Conn, Error, encode


def info_field(client, section, field):
    return int(client.info(section)[field])


def wait_for(predicate, timeout=5.0, interval=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def ref():
    s = Reference()
    yield s
    s.stop()


# ---------------------------------------------------------------------------------------------
# Pub/sub with redis-py


def test_redis_py_pubsub_thread_and_get_message(server, r):
    got = []
    done = threading.Event()

    def on_message(msg):
        got.append((msg["type"], msg.get("pattern"), msg["channel"], msg["data"]))
        if len(got) == 200:
            done.set()

    p = r.pubsub()
    p.subscribe(**{"news": on_message})
    p.psubscribe(**{"sport.*": on_message})
    thread = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        assert wait_for(lambda: r.pubsub_numsub("news") == [(b"news", 1)]
                        and r.pubsub_numpat() == 1)
        for i in range(100):
            assert r.publish("news", f"n{i}") == 1
            assert r.publish("sport.ski", f"s{i}") == 1
        assert r.publish("nobody", "x") == 0
        assert done.wait(10), f"only {len(got)} of 200 messages arrived"
    finally:
        thread.stop()
        thread.join(5)
    news = [g for g in got if g[2] == b"news"]
    sport = [g for g in got if g[2] == b"sport.ski"]
    assert news == [("message", None, b"news", f"n{i}".encode()) for i in range(100)]
    assert sport == [("pmessage", b"sport.*", b"sport.ski", f"s{i}".encode())
                     for i in range(100)]
    p.close()

    # get_message without a thread: confirmations, messages, unsubscribe.
    p = r.pubsub()
    p.subscribe("a", "b")
    assert p.get_message(timeout=2) == {"type": "subscribe", "pattern": None,
                                        "channel": b"a", "data": 1}
    assert p.get_message(timeout=2)["data"] == 2
    assert r.publish("b", "hello") == 1
    assert p.get_message(timeout=2) == {"type": "message", "pattern": None,
                                        "channel": b"b", "data": b"hello"}
    p.unsubscribe("a")
    assert p.get_message(timeout=2) == {"type": "unsubscribe", "pattern": None,
                                        "channel": b"a", "data": 1}
    assert r.publish("a", "lost") == 0
    assert r.pubsub_channels() == [b"b"]
    p.unsubscribe()
    assert p.get_message(timeout=2)["type"] == "unsubscribe"
    assert wait_for(lambda: r.pubsub_channels() == [])
    p.close()


def _subscribers(port):
    """Opens raw subscribers on channels, patterns and shard channels; returns them."""
    conns = []
    plan = [("SUBSCRIBE", "ch1", "ch2", "news.a"), ("SUBSCRIBE", "ch1"),
            ("PSUBSCRIBE", "news.*", "h?llo"), ("PSUBSCRIBE", "news.*"),
            ("SSUBSCRIBE", "sh1", "sh2"), ("SSUBSCRIBE", "sh1")]
    for cmd in plan:
        c = Conn(port)
        c.send(*cmd)
        for _ in cmd[1:]:
            c.read()
        conns.append(c)
    return conns


def _introspect(client):
    """PUBSUB answers, sorted where the order is a hash table's."""
    return {
        "channels": sorted(client.execute_command("PUBSUB", "CHANNELS")),
        "channels_pat": sorted(client.execute_command("PUBSUB", "CHANNELS", "ch*")),
        "numsub": client.execute_command("PUBSUB", "NUMSUB", "ch1", "ch2", "none", "news.a"),
        "numsub_none": client.execute_command("PUBSUB", "NUMSUB"),
        "numpat": client.execute_command("PUBSUB", "NUMPAT"),
        "shardchannels": sorted(client.execute_command("PUBSUB", "SHARDCHANNELS")),
        "shardchannels_pat": client.execute_command("PUBSUB", "SHARDCHANNELS", "*2"),
        "shardnumsub": client.execute_command("PUBSUB", "SHARDNUMSUB", "sh1", "sh2", "x"),
        "publish_ch1": client.publish("ch1", "m"),
        "publish_news": client.publish("news.a", "m"),
        "publish_hello": client.publish("hello", "m"),
        "spublish": client.execute_command("SPUBLISH", "sh1", "m"),
        "spublish_none": client.execute_command("SPUBLISH", "sh9", "m"),
        "publish_shard_as_plain": client.publish("sh1", "m"),
    }


def test_pubsub_introspection_matches_redis(server, r, ref):
    results = {}
    for name, port, client in [("mnemo", server.port, r),
                               ("redis", ref.port, ref.client())]:
        conns = _subscribers(port)
        results[name] = _introspect(client)
        # Sharded messages arrive as smessage; a plain PUBLISH does not reach them.
        sub = conns[4]
        assert sub.read() == [b"smessage", b"sh1", b"m"], name
        assert not sub.pending(0.1), name
        # A pattern subscriber receives pmessage with the pattern.
        assert conns[2].read() == [b"pmessage", b"news.*", b"news.a", b"m"], name
        assert conns[2].read() == [b"pmessage", b"h?llo", b"hello", b"m"], name
        # SUNSUBSCRIBE without arguments leaves every shard channel.
        sub.send("SUNSUBSCRIBE")
        left = [sub.read(), sub.read()]
        # In the order of the server's table: the names and the falling counts.
        assert sorted(m[1] for m in left) == [b"sh1", b"sh2"], (name, left)
        assert [(m[0], m[2]) for m in left] == [(b"sunsubscribe", 1), (b"sunsubscribe", 0)], left
        for c in conns:
            c.close()
        assert wait_for(lambda: client.execute_command("PUBSUB", "NUMPAT") == 0
                        and client.execute_command("PUBSUB", "CHANNELS") == []), name
    assert results["mnemo"] == results["redis"]


# ---------------------------------------------------------------------------------------------
# Subscribed mode: RESP2 restrictions, RESP3 pushes


def _subscribed_mode_script(port):
    c = Conn(port)
    out = [c.call("SUBSCRIBE", "x")]
    for cmd in [("GET", "k"), ("SET", "k", "v"), ("PING",), ("PING", "hi"),
                ("PSUBSCRIBE", "p*"), ("SSUBSCRIBE", "s"), ("CLIENT", "ID"),
                ("UNSUBSCRIBE", "nope"), ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",),
                ("UNSUBSCRIBE",), ("GET", "k")]:
        c.send(*cmd)
        replies = [c.read()]
        if cmd[0] in ("PSUBSCRIBE", "SSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"):
            pass
        out.append((cmd, replies))
        time.sleep(0.01)
        while c.pending(0.02):
            replies.append(c.read())
    # RESET leaves subscribed mode.
    c.call("SUBSCRIBE", "y")
    out.append(c.call("RESET"))
    out.append(c.call("GET", "k"))
    c.close()
    return out


def test_resp2_subscribed_mode_matches_redis(server, ref):
    mnemo = _subscribed_mode_script(server.port)
    redis_ = _subscribed_mode_script(ref.port)
    assert mnemo == redis_
    # The exact text, so a change on both sides still shows up here.
    assert mnemo[1][1] == [Error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
                                 "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                                 "context")]


def _resp3_script(port):
    c = Conn(port)
    pub = Conn(port)
    # call_frame: a RESP3 (UN)SUBSCRIBE is answered by a push.
    out = [sorted(c.call_frame("HELLO", "3").keys())]
    out.append(c.call_frame("SUBSCRIBE", "x"))
    out.append(c.call_frame("SET", "k", "v"))
    out.append(c.call_frame("GET", "k"))
    out.append(c.call_frame("PING"))
    out.append(pub.call("PUBLISH", "x", "hello"))
    msg = c.read()
    out.append((type(msg).__name__, msg))
    out.append(c.call_frame("PSUBSCRIBE", "k*"))
    out.append(pub.call("PUBLISH", "kk", "p"))
    msg = c.read()
    out.append((type(msg).__name__, msg))
    # A push interleaved with a normal reply: the message arrives first, then the reply.
    pub.call("PUBLISH", "x", "before-get")
    out.append(c.read())
    out.append(c.call_frame("GET", "k"))
    out.append(c.call_frame("UNSUBSCRIBE"))
    out.append(c.call_frame("PUNSUBSCRIBE"))
    c.close()
    pub.close()
    return out


def test_resp3_subscribed_allows_commands_and_pushes(server, ref):
    mnemo = _resp3_script(server.port)
    assert mnemo == _resp3_script(ref.port)
    assert mnemo[6] == ("Push", [b"message", b"x", b"hello"])
    assert mnemo[2] == b"OK" and mnemo[3] == b"v"


# ---------------------------------------------------------------------------------------------
# Keyspace notifications, side by side with redis-server

# Every data type; each command is run on both servers in the same order. ("SLEEP", s) waits.
KEYSPACE_SCRIPT = [
    ("SET", "s", "1"), ("SET", "s", "2", "KEEPTTL"), ("SETNX", "s", "3"), ("SETNX", "s2", "x"),
    ("APPEND", "s", "0"), ("INCR", "s"), ("INCRBY", "s", "5"), ("DECR", "s"),
    ("INCRBYFLOAT", "s", "1.5"), ("SETRANGE", "s2", "3", "yz"), ("MSET", "m1", "a", "m2", "b"),
    ("GETSET", "m1", "c"), ("GETDEL", "m2"), ("GETEX", "m1", "EX", "100"),
    ("GETEX", "m1", "PERSIST"), ("SETEX", "se", "100", "v"), ("PSETEX", "se", "100000", "v"),
    ("EXPIRE", "s", "100"), ("PEXPIRE", "s", "100000"), ("EXPIREAT", "s", "4000000000"),
    ("PERSIST", "s"), ("PERSIST", "s"), ("EXPIRE", "s2", "-1"), ("RENAME", "s", "r"),
    ("RENAMENX", "r", "m1"), ("RENAMENX", "r", "r2"), ("COPY", "r2", "c1"), ("MOVE", "c1", "1"),
    ("DEL", "r2", "nokey"), ("UNLINK", "m1"), ("SET", "tmp", "v"), ("PEXPIRE", "tmp", "20"),
    ("SLEEP", 0.15), ("GET", "tmp"),
    ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d"), ("LPUSHX", "l", "e"), ("RPUSHX", "nol", "e"),
    ("LINSERT", "l", "BEFORE", "a", "z"), ("LSET", "l", "0", "q"), ("LPOP", "l"), ("RPOP", "l"),
    ("LREM", "l", "0", "z"), ("LTRIM", "l", "0", "0"), ("RPOPLPUSH", "l", "l2"),
    ("LMOVE", "l2", "l3", "LEFT", "RIGHT"), ("LMPOP", "1", "l3", "LEFT"), ("RPUSH", "l", "1", "2"),
    ("HSET", "h", "f", "1", "g", "2"), ("HSETNX", "h", "f", "x"), ("HINCRBY", "h", "f", "2"),
    ("HINCRBYFLOAT", "h", "f", "0.5"), ("HDEL", "h", "f"), ("HDEL", "h", "g"),
    ("SADD", "st", "a", "b", "c"), ("SREM", "st", "a"), ("SMOVE", "st", "st2", "b"),
    ("SADD", "st3", "c", "d"), ("SINTERSTORE", "si", "st", "st3"), ("SUNIONSTORE", "su", "st", "st2"),
    ("SDIFFSTORE", "sd", "st", "nokey"), ("SINTERSTORE", "su", "nokey", "st"),
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZINCRBY", "z", "1", "a"), ("ZREM", "z", "c"),
    ("ZADD", "z", "5", "d", "6", "e"), ("ZREMRANGEBYSCORE", "z", "6", "6"),
    ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYLEX", "z", "[x", "[y"), ("ZPOPMIN", "z"),
    ("ZPOPMAX", "z"), ("ZADD", "z", "1", "a", "2", "b"), ("ZMPOP", "1", "z", "MIN"),
    ("ZUNIONSTORE", "zu", "2", "z", "st3"), ("ZINTERSTORE", "zi", "1", "z"),
    ("ZRANGESTORE", "zr", "z", "0", "-1"), ("ZDIFFSTORE", "zd", "1", "z"),
    ("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "2-1", "f", "v"),
    ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATECONSUMER", "x", "g", "c1"),
    ("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "x", ">"),
    ("XACK", "x", "g", "1-1"), ("XCLAIM", "x", "g", "c1", "0", "1-1"),
    ("XGROUP", "SETID", "x", "g", "0"), ("XGROUP", "DELCONSUMER", "x", "g", "c1"),
    ("XDEL", "x", "1-1"), ("XTRIM", "x", "MAXLEN", "0"), ("XSETID", "x", "5-0"),
    ("XGROUP", "DESTROY", "x", "g"),
    ("PFADD", "hl", "a", "b"), ("PFADD", "hl", "a"), ("PFADD", "hl2", "c"),
    ("PFMERGE", "hl3", "hl", "hl2"), ("PFCOUNT", "hl3"),
    ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEOSEARCHSTORE", "geo2", "geo", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "ASC"),
    ("GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "geo3"),
    ("RPUSH", "srt", "3", "1", "2"), ("SORT", "srt", "STORE", "srt2"),
    ("SORT", "nokey", "STORE", "srt2"),
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("BITOP", "OR", "b2", "b", "b"),
    ("BITFIELD", "b", "SET", "u8", "0", "255"), ("BITFIELD", "b", "GET", "u8", "0"),
    ("DEL", "l", "h", "st", "st2", "st3", "z", "x", "hl", "geo", "srt", "b", "s2", "se"),
]


def _run_keyspace(port, flags):
    sub = Conn(port)
    c = Conn(port)
    assert c.call("CONFIG", "SET", "notify-keyspace-events", flags) == b"OK"
    sub.call("PSUBSCRIBE", "__key*__:*")
    for cmd in KEYSPACE_SCRIPT:
        if cmd[0] == "SLEEP":
            time.sleep(cmd[1])
            continue
        reply = c.call(*cmd)
        assert not isinstance(reply, Error), (cmd, reply)
    # The end marker: a channel the pattern matches, published after the script.
    c.call("PUBLISH", "__keyevent@0__:zz-end", "end")
    events = []
    while True:
        m = sub.read()
        assert m[0] == b"pmessage"
        if m[2] == b"__keyevent@0__:zz-end":
            break
        events.append((m[2].decode(), m[3].decode()))
    c.call("CONFIG", "SET", "notify-keyspace-events", "")
    c.call("FLUSHALL")
    sub.close()
    c.close()
    return events


@pytest.mark.parametrize("flags", ["KEA", "Kx", "Eg$", "KEn", "Elshzt", "KEAnm"])
def test_keyspace_notifications_match_redis(server, ref, flags):
    mnemo = _run_keyspace(server.port, flags)
    redis_ = _run_keyspace(ref.port, flags)
    if mnemo != redis_:
        # Show the first difference with its neighbourhood.
        i = next((i for i, (a, b) in enumerate(zip(mnemo, redis_)) if a != b),
                 min(len(mnemo), len(redis_)))
        pytest.fail(f"flags {flags}: first difference at event {i}:\n"
                    f"mnemo: {mnemo[max(0, i - 3):i + 4]}\nredis: {redis_[max(0, i - 3):i + 4]}\n"
                    f"lengths {len(mnemo)} vs {len(redis_)}")
    assert mnemo, "no notification at all"
    if "x" in flags or "A" in flags:
        assert any("expired" in ch or msg == "expired" for ch, msg in mnemo)
    if "n" in flags:
        assert any(ch.endswith(":new") or msg == "new" for ch, msg in mnemo)


# ---------------------------------------------------------------------------------------------
# redis-cli: subscribe, --csv psubscribe, monitor


def _cli_lines(port, args, publish, want, timeout=10):
    """Runs redis-cli with `args`, calls publish() until `want` lines have been printed."""
    proc = subprocess.Popen(["redis-cli", "-p", str(port), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    lines = []
    try:
        deadline = time.monotonic() + timeout
        published = False
        fd = proc.stdout.fileno()
        buf = b""
        while len(lines) < want and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                data = os.read(fd, 65536)
                if not data:
                    break
                buf += data
                *complete, buf = buf.split(b"\n")
                lines += [l.decode() for l in complete]
            elif not published and lines:
                publish()
                published = True
    finally:
        proc.kill()
        proc.wait()
    return lines


def _cli_session(port, args, publish, want):
    return _cli_lines(port, args, publish, want)


def test_redis_cli_subscribe_psubscribe_monitor(server, r, ref):
    rc = ref.client()
    outputs = {}
    for name, port, client in [("mnemo", server.port, r), ("redis", ref.port, rc)]:
        def pub(client=client):
            assert client.publish("ch", "hello world") == 1
            assert client.publish("ch", "second") == 1
        sub = _cli_session(port, ["subscribe", "ch"], pub, 9)

        def ppub(client=client):
            assert client.publish("pa", "x,y") == 1
        # redis-cli --csv also prints "Reading messages... (press Ctrl-C to quit)" itself.
        psub = _cli_session(port, ["--csv", "psubscribe", "p*"], ppub, 3)

        def traffic(client=client):
            client.set("mk", "v 1")
            client.execute_command("GET", "mk")
        mon = _cli_session(port, ["monitor"], traffic, 3)
        outputs[name] = (sub, psub, mon)

    for name in ("mnemo", "redis"):
        sub, psub, mon = outputs[name]
        assert sub == ["subscribe", "ch", "1", "message", "ch", "hello world",
                       "message", "ch", "second"], (name, sub)
        assert psub == ["Reading messages... (press Ctrl-C to quit)", '"psubscribe","p*",1',
                        '"pmessage","p*","pa","x,y"'], (name, psub)
        assert mon[0] == "OK", (name, mon)
        pattern = r'^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] '
        assert re.match(pattern + r'"SET" "mk" "v 1"$', mon[1]), (name, mon)
        assert re.match(pattern + r'"GET" "mk"$', mon[2]), (name, mon)
    assert outputs["mnemo"][:2] == outputs["redis"][:2]


# ---------------------------------------------------------------------------------------------
# Blocking commands with redis-py


def _later(fn, delay):
    t = threading.Timer(delay, fn)
    t.start()
    return t


def test_redis_py_blocking_pops_served_by_push(server, r):
    other = server.client()
    # Timeouts, fractional: nil after about the time asked.
    for call in [lambda: r.blpop(["e1", "e2"], timeout=0.3),
                 lambda: r.brpop("e1", timeout=0.25),
                 lambda: r.brpoplpush("e1", "d", timeout=0.2),
                 lambda: r.blmove("e1", "d", 0.2, "LEFT", "RIGHT"),
                 lambda: r.bzpopmin("ez", timeout=0.2),
                 lambda: r.bzpopmax("ez", timeout=0.2)]:
        start = time.monotonic()
        assert call() is None
        took = time.monotonic() - start
        assert 0.18 <= took < 1.5, took

    t = _later(lambda: other.rpush("q2", "a", "b"), 0.1)
    start = time.monotonic()
    assert r.blpop(["q1", "q2"], timeout=5) == (b"q2", b"a")
    assert time.monotonic() - start < 2
    t.join()
    assert r.brpop(["q1", "q2"], timeout=1) == (b"q2", b"b")

    t = _later(lambda: other.lpush("src", "x"), 0.1)
    assert r.brpoplpush("src", "dst", timeout=5) == b"x"
    t.join()
    assert r.lrange("dst", 0, -1) == [b"x"]

    t = _later(lambda: other.rpush("src", "y", "z"), 0.1)
    assert r.blmove("src", "dst", 5, "RIGHT", "LEFT") == b"z"
    t.join()
    assert r.lrange("dst", 0, -1) == [b"z", b"x"]
    assert r.lrange("src", 0, -1) == [b"y"]

    t = _later(lambda: other.zadd("zs", {"a": 1, "b": 2, "c": 3}), 0.1)
    assert r.bzpopmin("zs", timeout=5) == (b"zs", b"a", 1.0)
    t.join()
    assert r.bzpopmax("zs", timeout=1) == (b"zs", b"c", 3.0)

    t = _later(lambda: other.rpush("mp", "1", "2", "3"), 0.1)
    assert r.blmpop(5, 2, "nokey", "mp", direction="RIGHT", count=2) == [b"mp", [b"3", b"2"]]
    t.join()
    t = _later(lambda: other.zadd("mz", {"m": 5}), 0.1)
    assert r.bzmpop(5, 1, ["mz"], min=True) == [b"mz", [[b"m", b"5"]]]
    t.join()

    # BLPOP with timeout 0 waits until served.
    t = _later(lambda: other.rpush("forever", "v"), 0.3)
    assert r.blpop("forever", timeout=0) == (b"forever", b"v")
    t.join()
    # XREAD BLOCK served by XADD.
    t = _later(lambda: other.xadd("stream", {"f": "v"}, id="7-1"), 0.1)
    assert r.xread({"stream": "$"}, block=5000) == [[b"stream", [(b"7-1", {b"f": b"v"})]]]
    t.join()
    other.close()


def test_push_inside_multi_serves_at_exec(server, r):
    other, observer = server.client(), server.client()
    result = {}
    waiter = threading.Thread(target=lambda: result.setdefault("v", r.blpop("mq", timeout=10)))
    waiter.start()
    assert wait_for(lambda: info_field(observer, "clients", "blocked_clients") == 1)
    pipe = other.pipeline(transaction=False)
    pipe.execute_command("MULTI")
    pipe.rpush("mq", "1", "2")
    pipe.rpush("mq", "3")
    # Between the queued pushes and EXEC the waiter stays blocked.
    pipe.execute()
    time.sleep(0.1)
    assert "v" not in result
    assert info_field(observer, "clients", "blocked_clients") == 1
    assert other.execute_command("EXEC") == [2, 3]
    waiter.join(5)
    assert result["v"] == (b"mq", b"1")
    assert other.lrange("mq", 0, -1) == [b"2", b"3"]
    assert info_field(observer, "clients", "blocked_clients") == 0
    other.close()
    observer.close()


def test_blocking_commands_inside_multi_do_not_block(server, r):
    start = time.monotonic()
    pipe = r.pipeline(transaction=True)
    pipe.blpop("none", timeout=0)
    pipe.brpop("none", timeout=0)
    pipe.brpoplpush("none", "d", timeout=0)
    pipe.blmove("none", "d", 0, "LEFT", "LEFT")
    pipe.bzpopmin("nz", timeout=0)
    pipe.bzpopmax("nz", timeout=0)
    pipe.rpush("full", "a")
    pipe.blpop("full", timeout=0)
    pipe.execute_command("XREAD", "BLOCK", "0", "STREAMS", "nx", "$")
    # (redis-py turns XREAD's nil into [].)
    assert pipe.execute() == [None, None, None, None, None, None, 1, (b"full", b"a"), []]
    assert time.monotonic() - start < 1
    assert info_field(r, "clients", "blocked_clients") == 0


def test_client_unblock_disconnect_and_flags(server, r):
    waiter = server.client()
    wid = waiter.client_id()
    result = {}

    def block(tag, **kw):
        try:
            result[tag] = waiter.blpop("ub", timeout=0)
        except redis.ResponseError as e:
            result[tag] = str(e)

    t = threading.Thread(target=block, args=("timeout",))
    t.start()
    assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 1)
    flags = [c for c in r.client_list() if int(c["id"]) == wid][0]
    assert flags["flags"] == "b" and flags["cmd"] == "blpop", flags
    assert r.execute_command("CLIENT", "UNBLOCK", wid, "TIMEOUT") == 1
    t.join(5)
    assert result["timeout"] is None
    assert r.execute_command("CLIENT", "UNBLOCK", wid, "ERROR") == 0  # no longer blocked

    t = threading.Thread(target=block, args=("error",))
    t.start()
    assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 1)
    assert r.execute_command("CLIENT", "UNBLOCK", wid) == 1
    t.join(5)
    # A plain UNBLOCK is TIMEOUT; now the ERROR form.
    assert result["error"] is None
    t = threading.Thread(target=block, args=("error2",))
    t.start()
    assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 1)
    assert r.execute_command("CLIENT", "UNBLOCK", wid, "ERROR") == 1
    t.join(5)
    assert result["error2"] == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    waiter.connection_pool.disconnect()

    # A client that disconnects while blocked leaves nothing behind.
    raws = [Conn(server.port) for _ in range(20)]
    for i, c in enumerate(raws):
        c.send("BLPOP", f"gone{i % 3}", "shared", "0")
    assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 20)
    assert info_field(r, "clients", "total_blocking_keys") == 4
    for c in raws:
        c.close()
    assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 0)
    assert info_field(r, "clients", "total_blocking_keys") == 0
    # Pushing now serves nobody: the element stays.
    assert r.rpush("shared", "v") == 1
    assert r.lrange("shared", 0, -1) == [b"v"]
    assert wait_for(lambda: r.info("clients")["connected_clients"] == 1), r.client_list()


# ---------------------------------------------------------------------------------------------
# Scale: 1,000 clients served in order, 10,000 blocked clients that time out


def _raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.fail(f"RLIMIT_NOFILE hard limit {hard} is below the {need} this test needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def _block_in_order(r, conns, commands):
    """Sends commands[i] on conns[i], one after another, each once the previous is blocked."""
    for i, (c, cmd) in enumerate(zip(conns, commands)):
        c.send(*cmd)
        assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == i + 1,
                        interval=0.0005), f"client {i} did not block"


def test_thousand_clients_on_thousand_keys_served_in_order(server, r):
    _raise_fd_limit(4096)
    n = 1000
    conns = [Conn(server.port) for _ in range(n)]
    # Client i waits on keys k<i> and k<i+1>: every key has two waiters, the earlier one (i-1,
    # for which it is the second key) and the later one (i).
    _block_in_order(r, conns, [("BLPOP", f"k{i}", f"k{(i + 1) % n}", "0") for i in range(n)])
    assert info_field(r, "clients", "total_blocking_keys") == n
    # Push to the keys from the last to the first, in one pipeline: k<j> serves client j-1,
    # which blocked before client j (client 999 blocked after client 0 on k0, so gets k0).
    pipe = r.pipeline(transaction=False)
    for j in reversed(range(n)):
        pipe.rpush(f"k{j}", f"v{j}")
    pipe.execute()
    for i, c in enumerate(conns):
        j = (i + 1) % n
        assert c.read() == [f"k{j}".encode(), f"v{j}".encode()], i
    assert info_field(r, "clients", "blocked_clients") == 0
    assert r.dbsize() == 0

    # Many waiters on one key: 100 per key on 10 keys, served first come first served.
    _block_in_order(r, conns, [("BRPOP", f"fifo{i % 10}", "0") for i in range(n)])
    pipe = r.pipeline(transaction=False)
    for k in range(10):
        # One push of 100 elements: each waiter gets one, in the order they blocked.
        pipe.lpush(f"fifo{k}", *[f"e{k}-{m}" for m in range(100)])
    pipe.execute()
    for i, c in enumerate(conns):
        k, m = i % 10, i // 10
        assert c.read() == [f"fifo{k}".encode(), f"e{k}-{m}".encode()], i
    assert r.dbsize() == 0
    for c in conns:
        c.close()


# The bound for 10,000 clients that blocked and timed out: used_memory with the same 10,000
# clients connected and idle, before and after, within 256 KB (about 26 bytes per client).
# "Before" is after each client ran a command of as many arguments as its BLPOP (the parser keeps
# its argument table for the recent peak, as Redis keeps argv; about 96 bytes a client): what is
# measured is what blocking leaves behind. Measured: 123 KB, most of it the bucket array of the
# table of blocked keys, which keeps the size it grew to.
TIMEOUT_MEMORY_BOUND = 256 * 1024


def test_ten_thousand_blocked_clients_time_out_and_free_memory():
    n = 10000
    _raise_fd_limit(n + 512)
    s = Server(["--maxclients", str(n + 100)])
    conns = []
    try:
        r = s.client()
        for _ in range(n):
            conns.append(Conn(s.port, timeout=30))
        for c in conns:
            c.send("EXISTS", "tk-shared", "x", "y")
        for c in conns:
            assert c.read() == 0
        time.sleep(1.2)  # the cron's pass over idle clients
        before = info_field(r, "memory", "used_memory")
        deadline = time.monotonic()
        for i, c in enumerate(conns):
            c.send("BLPOP", f"tk{i}", "tk-shared", "1.5")
        assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == n, timeout=10)
        blocked = info_field(r, "memory", "used_memory")
        assert info_field(r, "clients", "total_blocking_keys") == n + 1
        assert wait_for(lambda: info_field(r, "clients", "blocked_clients") == 0, timeout=10)
        assert time.monotonic() - deadline >= 1.4
        for c in conns:
            assert c.read() is None
        assert info_field(r, "clients", "total_blocking_keys") == 0
        time.sleep(1.2)
        after = info_field(r, "memory", "used_memory")
        print(f"10,000 blocked clients: used_memory before {before}, while blocked {blocked}, "
              f"after timing out {after}")
        assert blocked > before + n * 50  # the waits themselves did take memory
        assert abs(after - before) <= TIMEOUT_MEMORY_BOUND, (before, blocked, after)
        r.close()
    finally:
        for c in conns:
            c.close()
        assert s.stop() == 0, s.log_text()


# ---------------------------------------------------------------------------------------------
# CLIENT PAUSE, CLIENT REPLY, RESET


def test_client_pause_write_and_all(server, r):
    writer, reader = Conn(server.port), Conn(server.port)
    assert r.execute_command("CLIENT", "PAUSE", "5000", "WRITE") == b"OK"
    writer.send("SET", "pk", "v")
    assert not writer.pending(0.2)  # the write waits
    assert reader.call("GET", "pk") is None  # reads go on
    assert reader.call("PING") == b"PONG"
    assert r.execute_command("CLIENT", "UNPAUSE") == b"OK"
    assert writer.read() == b"OK"

    # ALL holds every command, CLIENT UNPAUSE too (in Redis as well): it ends by its timeout.
    start = time.monotonic()
    assert r.execute_command("CLIENT", "PAUSE", "400", "ALL") == b"OK"
    reader.send("GET", "pk")
    assert not reader.pending(0.2)  # everything waits
    assert reader.read() == b"v"
    assert 0.35 <= time.monotonic() - start < 2

    # A pause that ends by itself: the waiting write is served when it expires.
    start = time.monotonic()
    assert r.execute_command("CLIENT", "PAUSE", "300", "WRITE") == b"OK"
    writer.send("INCR", "cnt")
    assert writer.read() == 1
    assert 0.25 <= time.monotonic() - start < 2
    # Pipelined input behind a paused write is kept, in order.
    assert r.execute_command("CLIENT", "PAUSE", "200") == b"OK"
    writer.sock.sendall(encode("INCR", "cnt") + encode("GET", "cnt") + encode("INCR", "cnt"))
    assert [writer.read(), writer.read(), writer.read()] == [2, b"2", 3]
    writer.close()
    reader.close()


def _reply_modes(port):
    c = Conn(port)
    script = [("CLIENT", "REPLY", "OFF"), ("SET", "a", "1"), ("GET", "a"),
              ("CLIENT", "REPLY", "ON"), ("GET", "a"), ("CLIENT", "REPLY", "SKIP"),
              ("INCR", "a"), ("GET", "a"), ("CLIENT", "REPLY", "SKIP"),
              ("CLIENT", "REPLY", "SKIP"), ("INCR", "a"), ("GET", "a"),
              ("CLIENT", "REPLY", "BAD"), ("PING", "end")]
    c.sock.sendall(b"".join(encode(*cmd) for cmd in script))
    data = b""
    while not data.endswith(b"$3\r\nend\r\n"):
        chunk = c.sock.recv(4096)
        assert chunk
        data += chunk
    c.close()
    return data


def test_client_reply_off_skip_on_matches_redis(server, ref):
    mnemo = _reply_modes(server.port)
    assert mnemo == _reply_modes(ref.port)
    assert mnemo.startswith(b"+OK\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n-ERR")


def _reset_script(port):
    c = Conn(port)
    other = Conn(port)
    out = [c.call("CLIENT", "SETNAME", "foo"), c.call("SELECT", "2"), c.call("SET", "x", "1"),
           c.call("MULTI"), c.call("SET", "x", "2"), c.call("RESET"), c.call("EXEC"),
           c.call("GET", "x"), c.call("CLIENT", "GETNAME")]
    info = c.call("CLIENT", "INFO").decode()
    out.append(tuple(re.search(f" {f}=(\\S*)", info).group(1) for f in ("name", "db", "flags")))
    out.append(c.call("SUBSCRIBE", "c1", "c2")[0])
    c.read()
    out.append(c.call("PSUBSCRIBE", "p*"))
    out.append(c.call("SSUBSCRIBE", "s1"))
    out.append(c.call("RESET"))
    out.append(other.call("PUBSUB", "NUMSUB", "c1", "c2"))
    out.append(other.call("PUBSUB", "NUMPAT"))
    out.append(other.call("PUBSUB", "SHARDNUMSUB", "s1"))
    out.append(c.call("GET", "x"))
    out.append(sorted(c.call("HELLO", "3").keys()))
    out.append(c.call("RESET"))
    out.append(c.call("HELLO")[0:2])  # the RESP2 form again: an array, not a map
    info = c.call("CLIENT", "INFO").decode()
    out.append(tuple(re.search(f" {f}=(\\S*)", info).group(1)
                     for f in ("sub", "psub", "ssub", "multi", "resp")))
    c.close()
    other.close()
    return out


def test_reset_matches_redis(server, ref):
    mnemo = _reset_script(server.port)
    assert mnemo == _reset_script(ref.port)
    assert mnemo[5] == b"RESET" and mnemo[9] == ("", "0", "N")


# ---------------------------------------------------------------------------------------------
# A subscriber that never reads while a publisher floods


# The bound for a 1 GB flood with client-output-buffer-limit pubsub 32mb 8mb 60: used_memory
# never more than 64 MB above where it started (the 32 MB limit, the output buffer's spare
# capacity, one 1 MB message in flight, the publisher's query buffer). Measured: Mnemo 46 MB,
# redis-server 7.0.15 35 MB (its output is a list of blocks, Mnemo's one contiguous buffer).
FLOOD_MEMORY_BOUND = 64 * 1024 * 1024


def test_pubsub_flood_closes_subscriber_and_memory_stays_bounded(server, r):
    assert r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
    base = info_field(r, "memory", "used_memory")
    before_disc = info_field(r, "stats", "client_output_buffer_limit_disconnections")
    sub = socket.create_connection(("127.0.0.1", server.port))
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sub.sendall(encode("SUBSCRIBE", "flood"))
    assert wait_for(lambda: r.pubsub_numsub("flood") == [(b"flood", 1)])

    peak = [base]
    stop = threading.Event()

    def sample():
        c = server.client()
        while not stop.is_set():
            peak[0] = max(peak[0], info_field(c, "memory", "used_memory"))
            time.sleep(0.005)
        c.close()

    sampler = threading.Thread(target=sample)
    sampler.start()
    msg = b"x" * (1 << 20)
    frame = encode("PUBLISH", "flood", msg)
    pub = Conn(server.port, timeout=60)
    total = 1024
    start = time.monotonic()
    receivers = []
    frames = frame * 32
    for batch in range(total // 32):
        pub.sock.sendall(frames)
        receivers += [pub.read() for _ in range(32)]
    elapsed = time.monotonic() - start
    stop.set()
    sampler.join()
    print(f"flood: {total} MB published in {elapsed:.2f} s, used_memory peak "
          f"{(peak[0] - base) / 1e6:.1f} MB above the start")
    # The subscriber got messages until its output buffer passed 32 MB, then it was closed.
    assert receivers[0] == 1 and receivers[-1] == 0
    first_zero = receivers.index(0)
    assert all(x == 0 for x in receivers[first_zero:])
    assert 8 < first_zero < 200, first_zero
    assert r.pubsub_numsub("flood") == [(b"flood", 0)]
    assert info_field(r, "stats", "client_output_buffer_limit_disconnections") == before_disc + 1
    assert peak[0] - base < FLOOD_MEMORY_BOUND, peak[0] - base
    # The subscriber's connection is closed: after what the kernel buffered, end of stream.
    sub.settimeout(5)
    got = 0
    try:
        while True:
            data = sub.recv(1 << 20)
            if not data:
                break
            got += len(data)
    except ConnectionResetError:
        pass
    sub.close()
    assert got < first_zero * len(frame)
    assert wait_for(lambda: info_field(r, "memory", "used_memory") < base + 2 * 1024 * 1024), \
        info_field(r, "memory", "used_memory") - base
    pub.close()


def test_pubsub_soft_limit_closes_after_its_seconds(server, r):
    assert r.config_set("client-output-buffer-limit", "pubsub 0 2mb 1")
    sub = socket.create_connection(("127.0.0.1", server.port))
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sub.sendall(encode("SUBSCRIBE", "soft"))
    assert wait_for(lambda: r.pubsub_numsub("soft") == [(b"soft", 1)])
    # 10 MB (the kernel takes a few MB of it, the rest stays queued, past the 2 MB soft limit):
    # the subscriber stays until the limit has held for 1 s.
    for _ in range(10):
        assert r.publish("soft", b"y" * (1 << 20)) == 1
    start = time.monotonic()
    assert r.pubsub_numsub("soft") == [(b"soft", 1)]
    while r.pubsub_numsub("soft") == [(b"soft", 1)]:
        assert time.monotonic() - start < 5, "the soft limit never closed the subscriber"
        r.publish("soft", "z")
        time.sleep(0.05)
    assert 0.8 <= time.monotonic() - start < 3
    sub.close()


# ---------------------------------------------------------------------------------------------
# Idle clients give memory back


# The bound for 100 clients that each sent one ~150 KB SADD and then stayed idle: used_memory
# back within 512 KB of where it was with the same 100 clients connected (about 5 KB a client),
# and MEMORY STATS clients.normal within 200 KB of its start.
IDLE_MEMORY_BOUND = 512 * 1024
IDLE_CLIENTS_BOUND = 200 * 1024


def test_idle_clients_give_memory_back(server, r):
    conns = [Conn(server.port) for _ in range(100)]
    for c in conns:
        assert c.call("PING") == b"PONG"
    time.sleep(1.2)
    before = info_field(r, "memory", "used_memory")
    clients_before = r.memory_stats()["clients.normal"]
    for i, c in enumerate(conns):
        c.send("SADD", f"big{i}", *[f"member-{m:06d}" for m in range(10000)])
    for c in conns:
        assert c.read() == 10000
    peak = info_field(r, "memory", "used_memory")
    assert r.delete(*[f"big{i}" for i in range(100)]) == 100
    start = time.monotonic()
    # The argument tables go at once (ReleaseBigTables); the wide first-read blocks (2 KB a
    # client) after a second without input.
    ok = wait_for(lambda: info_field(r, "memory", "used_memory") - before < IDLE_MEMORY_BOUND
                  and r.memory_stats()["clients.normal"] - clients_before < IDLE_CLIENTS_BOUND,
                  timeout=2.5, interval=0.05)
    after = info_field(r, "memory", "used_memory")
    clients_after = r.memory_stats()["clients.normal"]
    print(f"idle clients: used_memory before {before}, peak {peak}, after "
          f"{after} ({time.monotonic() - start:.2f} s); clients.normal {clients_before} -> "
          f"{clients_after}")
    assert ok, (before, peak, after)
    assert clients_after - clients_before < IDLE_CLIENTS_BOUND, (clients_before, clients_after)
    for c in conns:
        c.close()


def test_big_read_only_commands_leave_no_tables_behind_to_evict_for(server, r):
    """A command with 100,000 arguments (EXISTS over 1.4 MB of names) needs megabytes of
    argument tables while it runs; they go back when the client's input is used up, not at the
    cron's next visits, so 30 such clients near maxmemory evict nothing (Redis frees argv after
    every command) and each is back to a few KB at its reply."""
    pipe = r.pipeline(transaction=False)
    for i in range(50000):
        pipe.set(f"key:{i:06d}", "v" * 100)
    pipe.execute()
    before = info_field(r, "memory", "used_memory")
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.config_set("maxmemory", str(before + 20 * 1024 * 1024))
    names = [f"missing:{m:08d}" for m in range(100000)]
    conns = [Conn(server.port) for _ in range(30)]
    try:
        for c in conns:
            c.send("EXISTS", *names)
            assert c.read() == 0
            # At its reply: the client holds no tables (CLIENT LIST tot-mem, a few KB).
            assert c.call("CLIENT", "INFO") is not None
        tot = [int(f.split(b"=")[1]) for line in r.execute_command("CLIENT", "LIST").split(b"\n")
               for f in line.split(b" ") if f.startswith(b"tot-mem=")]
        print(f"tot-mem of {len(tot)} clients: max {max(tot)}")
        assert max(tot) < 64 * 1024, tot
        assert info_field(r, "stats", "evicted_keys") == 0
        assert r.dbsize() == 50000
        after = info_field(r, "memory", "used_memory")
        assert after - before < 30 * 32 * 1024, (before, after)
    finally:
        for c in conns:
            c.close()
        r.config_set("maxmemory", "0")
