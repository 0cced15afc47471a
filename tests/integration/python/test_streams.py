# test_streams.py: streams side by side with Debian's redis-server 7.0.15 (tests/integration/python).
#
# - Scripted calls of every stream command, its options and its errors (XINFO included), then a
#   seeded random workload (appends with explicit IDs, deletions, exact and approximate trims,
#   ranges, reads, groups, deliveries, acks, claims) at three node limits; every reply must be
#   equal. Replies that carry times (idle, seen-time, delivery-time) are left out.
# - Blocking XREAD and XREADGROUP served by an XADD from another client, and a timeout.
# - redis-py's stream helpers against Mnemo.
import os
import random
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from test_differential import call, connection, reference  # noqa: F401

SCRIPT = """
xadd s 1-1 a 1 b 2
xadd s 2-1 a 1
xadd s 2-* a 5
xadd s 3 c 1 d 2
xadd s 0-0 a 1
xadd s 1-1 a 1
xadd s 5-0 a
xadd s nomkstream 6-0 a 1
xadd nos nomkstream 6-0 a 1
xadd s maxlen 1 limit 1 7-0 a 1
xadd s maxlen -1 7-0 a 1
xadd s maxlen 1 minid 1 7-0 a 1
xadd s 18446744073709551615-* a 1
xadd s - a 1
xadd s 12345678901234567890123 a 1
xlen s
xrange s - +
xrange s - + count 2
xrange s - + count 0
xrange s (1-1 +
xrange s - (2-1
xrange s (- +
xrange s (18446744073709551615-18446744073709551615 +
xrange s - (0-0
xrange s - + foo
xrevrange s + - count 1
xrevrange s (3-0 -
xdel s 2-1 99-0
xdel s x
xinfo stream s
xinfo stream s foo
xinfo stream nos
xtrim s maxlen 2
xtrim s minid 0
xtrim s foo 1
xtrim s maxlen ~ 0
xinfo stream s
set str v
xadd str 1-1 a 1
xlen str
xadd s 10-1 a 1 b 2
xadd s 20-1 a 1
xadd s 30-1 a 1 b 2
xadd s 40-1 x y
xgroup create s g 0
xgroup create s g $
xgroup create nos g $
xgroup create nos g $ mkstream
xgroup create nos2 g 0 mkstream entriesread 5
xgroup create nos3 g 0 mkstream entriesread -2
xgroup create s g2 0 foo
xinfo groups s
xreadgroup group g c1 count 2 streams s >
xreadgroup group g c2 streams s >
xreadgroup group g c2 streams s >
xreadgroup group g c1 streams s 0
xreadgroup group g c1 streams s $
xreadgroup group nog c1 streams s >
xreadgroup streams s >
xread group g c streams s 0
xread streams s >
xread count 1 streams s nos 0 0
xread streams s $
xread block x streams s 0
xpending s g
xpending s g - + 10
xpending s g - + 10 nosuch
xpending s nog
xpending s g - + x
xack s g 10-1 10-1 9-9
xack s g x
xdel s 20-1
xinfo groups s
xclaim s g c3 0 20-1 30-1 justid
xclaim s g c3 0 40-1 force justid
xclaim s g c1 0 40-1 lastid 100-0 justid
xclaim s g c1 x 4-1
xclaim s g c1 0 4-1 foo
xautoclaim s g c4 0 0 count 1 justid
xautoclaim s g c4 0 0 count 0
xdel s 30-1
xautoclaim s g c5 0 0 justid
xpending s g
xinfo groups s
xgroup createconsumer s g c1
xgroup delconsumer s g c5
xgroup setid s g 0 entriesread 3
xgroup setid s nog 0
xgroup destroy s g
xgroup destroy s g
xgroup foo
xsetid s 1-1
xsetid s 100-0 entriesadded 1
xsetid s 200-0 entriesadded 10 maxdeletedid 300-0
xsetid s 200-0 entriesadded 10 maxdeletedid 150-0
xinfo stream s
"""


def both(server, reference):  # noqa: F811
    a, b = connection(server.port), connection(reference)
    for c in (a, b):
        call(c, ["FLUSHALL"])
    return a, b


def test_script_matches_redis(server, reference):  # noqa: F811
    a, b = both(server, reference)
    diffs = []
    for line in SCRIPT.strip().splitlines():
        argv = line.split()
        x, y = call(a, argv), call(b, argv)
        if x != y:
            diffs.append(f"{argv}: mnemo {x!r:.300} redis {y!r:.300}")
    assert not diffs, "\n".join(diffs)


def random_call(rnd, state):
    def rid():
        return f"{rnd.randint(0, state['ms'] + 2)}-{rnd.randint(0, 3)}"

    def trim():
        return rnd.choice([["MAXLEN", "~", str(rnd.randint(0, 300))],
                           ["MAXLEN", str(rnd.randint(0, 300))], ["MINID", "~", rid()],
                           ["MINID", rid()],
                           ["MAXLEN", "~", str(rnd.randint(0, 300)), "LIMIT",
                            str(rnd.randint(0, 300))]])
    k = rnd.choice(["s", "s", "s", "t"])
    group = rnd.choice(["g1", "g2"])
    x = rnd.random()
    if x < 0.45:
        state["ms"] += rnd.choice([0, 1, 1, 2, 100000])
        argv = ["XADD", k] + (trim() if rnd.random() < 0.1 else []) + [f"{state['ms']}-*"]
        for j in range(rnd.choice([1, 2, 3, 3, 3])):
            field = rnd.choice(["f1", "other", "123"]) if rnd.random() < 0.2 else f"f{j}"
            argv += [field, rnd.choice(["v", "12", "-5", "x" * rnd.randint(0, 100),
                                        "99999999999"])]
        return argv
    if x < 0.55:
        return ["XDEL", k] + [rid() for _ in range(rnd.randint(1, 4))]
    if x < 0.6:
        return ["XTRIM", k] + trim()
    if x < 0.7:
        lo = rnd.choice(["-", rid(), "(" + rid()])
        hi = rnd.choice(["+", rid(), "(" + rid()])
        argv = ["XRANGE", k, lo, hi] if rnd.random() < 0.5 else ["XREVRANGE", k, hi, lo]
        return argv + (["COUNT", str(rnd.randint(0, 20))] if rnd.random() < 0.5 else [])
    if x < 0.75:
        return ["XINFO", "STREAM", k]
    if x < 0.8:
        return ["XREAD", "COUNT", str(rnd.randint(0, 5)), "STREAMS", k, rid()]
    if x < 0.85:
        return ["XGROUP", "CREATE", k, group, rnd.choice(["$", "0", rid()])]
    if x < 0.9:
        return ["XREADGROUP", "GROUP", group, rnd.choice(["c1", "c2"]), "COUNT",
                str(rnd.randint(1, 5)), "STREAMS", k, rnd.choice([">", ">", "0"])]
    if x < 0.93:
        return ["XINFO", "GROUPS", k]
    if x < 0.95:
        return ["XACK", k, group, rid(), rid()]
    if x < 0.97:
        return ["XAUTOCLAIM", k, group, "c3", "0", rid(), "COUNT", "3", "JUSTID"]
    if x < 0.98:
        return ["XGROUP", "SETID", k, group, rnd.choice(["$", "0", rid()])]
    return ["XPENDING", k, group]


@pytest.mark.parametrize("seed,entries,node_bytes", [(1, "100", "4096"), (2, "5", "200"),
                                                     (3, "0", "0")])
def test_random_workload_matches_redis(server, reference, seed, entries, node_bytes):  # noqa: F811
    a, b = both(server, reference)
    for c in (a, b):
        assert call(c, ["CONFIG", "SET", "stream-node-max-entries", entries]) == b"OK"
        assert call(c, ["CONFIG", "SET", "stream-node-max-bytes", node_bytes]) == b"OK"
    rnd = random.Random(seed)
    state = {"ms": 1}
    diffs, compared = [], 0
    for _ in range(3000):
        argv = random_call(rnd, state)
        x, y = call(a, argv), call(b, argv)
        compared += 1
        if x != y:
            diffs.append(f"{argv}: mnemo {x!r:.300} redis {y!r:.300}")
    assert compared == 3000
    assert not diffs, f"{len(diffs)} replies differ:\n" + "\n".join(diffs[:10])


def test_blocking_reads_served_by_xadd(server):
    reader, writer = server.client(), server.client()
    got = {}

    def read():
        got["xread"] = reader.execute_command("XREAD", "BLOCK", "10000", "STREAMS", "bs", "$")

    t = threading.Thread(target=read)
    t.start()
    time.sleep(0.3)
    assert "xread" not in got
    writer.execute_command("XADD", "bs", "5-1", "f", "v")
    t.join(10)
    assert got["xread"] == [[b"bs", [(b"5-1", {b"f": b"v"})]]]

    assert writer.execute_command("XGROUP", "CREATE", "bs", "g", "$") in (b"OK", True)

    def read_group():
        got["xreadgroup"] = reader.execute_command(
            "XREADGROUP", "GROUP", "g", "c", "BLOCK", "10000", "STREAMS", "bs", ">")

    t = threading.Thread(target=read_group)
    t.start()
    time.sleep(0.3)
    assert "xreadgroup" not in got
    writer.execute_command("XADD", "bs", "6-1", "f", "w")
    t.join(10)
    assert got["xreadgroup"] == [[b"bs", [(b"6-1", {b"f": b"w"})]]]
    pending = writer.xpending("bs", "g")
    assert pending["pending"] == 1 and pending["consumers"] == [{"name": b"c", "pending": 1}]

    start = time.monotonic()
    # A null array (redis-py shows it as []).
    assert reader.execute_command("XREAD", "BLOCK", "200", "STREAMS", "bs", "$") in (None, [])
    assert 0.15 < time.monotonic() - start < 5


def test_redis_py_helpers(r):
    first = r.xadd("events", {"kind": "login", "user": "ann"})
    r.xadd("events", {"kind": "logout", "user": "ann"}, maxlen=10, approximate=False)
    assert r.xlen("events") == 2
    assert r.xrange("events", count=1)[0][0] == first
    assert [e[1][b"kind"] for e in r.xrevrange("events")] == [b"logout", b"login"]
    assert r.xgroup_create("events", "workers", id="0") is True
    msgs = r.xreadgroup("workers", "w1", {"events": ">"}, count=1)
    assert msgs[0][1][0][0] == first
    assert r.xack("events", "workers", first) == 1
    info = r.xinfo_stream("events")
    assert info["length"] == 2 and info["groups"] == 1
    assert r.xinfo_groups("events")[0]["name"] == b"workers"
    assert r.xinfo_consumers("events", "workers")[0]["name"] == b"w1"
    assert r.xautoclaim("events", "workers", "w2", 0, justid=True) == []  # nothing pending
    assert r.xtrim("events", maxlen=0) == 2
    assert r.type("events") == b"stream"
    assert r.object("encoding", "events") == b"stream"


def _stream_dataset(c):
    """Entries over several nodes, deletions, an empty stream, groups with pending entries."""
    for i in range(1, 251):
        c.xadd("s", {f"f{i % 3}": f"v{i}", "name": "x"}, id=f"{i}-1")
    c.xdel("s", "5-1", "7-1")
    c.xgroup_create("s", "g1", id="0")
    c.xgroup_create("s", "g2", id="100-1")
    c.xreadgroup("g1", "alice", {"s": ">"}, count=3)
    c.xreadgroup("g1", "bob", {"s": ">"}, count=2)
    c.xack("s", "g1", "1-1")
    c.execute_command("XADD", "empty", "MAXLEN", "0", "*", "a", "b")


def _stream_state(c, key):
    """XINFO STREAM FULL with the clock readings (delivery and seen times, in Unix ms) masked."""
    def mask(v):
        if isinstance(v, list):
            return [mask(x) for x in v]
        return "T" if isinstance(v, int) and v > 10**12 else v
    return mask(c.execute_command("XINFO", "STREAM", key, "FULL"))


def test_streams_cross_load_with_redis_in_rdb_files_and_dump_payloads(reference):  # noqa: F811
    """Mnemo writes RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0 does: each server loads the
    other's dump.rdb and RESTOREs the other's DUMP payload with the same stream and groups."""
    from conftest import Server
    ref = redis.Redis(port=reference)
    ref.flushall()
    _stream_dataset(ref)
    with tempfile.TemporaryDirectory() as wd:
        a = Server(["--save", ""], workdir=wd)
        m = a.client()
        _stream_dataset(m)
        assert _stream_state(m, "s") == _stream_state(ref, "s")
        # DUMP / RESTORE both ways.
        m.restore("from_redis", 0, ref.dump("s"))
        assert _stream_state(m, "from_redis") == _stream_state(ref, "s")
        ref.restore("from_mnemo", 0, m.dump("s"))
        assert _stream_state(ref, "from_mnemo") == _stream_state(m, "s")
        # Mnemo's file, loaded by Mnemo again and checked by redis-check-rdb.
        m.delete("from_redis")
        assert m.save()
        expected = _stream_state(m, "s")
        empty = m.xlen("empty")
        assert a.stop() == 0
        check = subprocess.run(["redis-check-rdb", os.path.join(wd, "dump.rdb")],
                               capture_output=True, text=True, timeout=60)
        assert "RDB looks OK" in check.stdout, check.stdout
        b = Server(["--save", ""], workdir=wd)
        assert _stream_state(b.client(), "s") == expected
        assert b.client().xlen("empty") == empty == 0
        assert b.client().type("empty") == b"stream"
        assert b.stop() == 0


# ---- Redis 5/6 streams (RDB_TYPE_STREAM_LISTPACKS, type 15) ----------------------------------

def _rdb_len(b, i):
    """An RDB length at b[i]: (value, next index, special string encoding?)."""
    kind = b[i] >> 6
    if kind == 0:
        return b[i] & 0x3F, i + 1, False
    if kind == 1:
        return ((b[i] & 0x3F) << 8) | b[i + 1], i + 2, False
    if b[i] == 0x80:
        return int.from_bytes(b[i + 1:i + 5], "big"), i + 5, False
    if b[i] == 0x81:
        return int.from_bytes(b[i + 1:i + 9], "big"), i + 9, False
    assert kind == 3, hex(b[i])
    return b[i] & 0x3F, i + 1, True


def _skip_rdb_string(b, i):
    n, i, special = _rdb_len(b, i)
    if not special:
        return i + n
    if n < 3:  # an integer of 1, 2 or 4 bytes
        return i + (1, 2, 4)[n]
    compressed, i, _ = _rdb_len(b, i)  # LZF: compressed length, original length, data
    _, i, _ = _rdb_len(b, i)
    return i + compressed


def _skip_lens(b, i, n):
    for _ in range(n):
        _, i, _ = _rdb_len(b, i)
    return i


def _as_redis6_stream_payload(payload):
    """Rewrites a Redis 7.0 DUMP payload of a stream (type 19) as Redis 5/6 wrote it (type 15,
    RDB version 9): without the first ID, the deleted-entry ID, entries-added and the groups'
    entries-read. Everything else is copied byte for byte."""
    from test_persistence import crc64
    b = bytes(payload)
    assert b[0] == 19
    out = bytearray([15])
    i = 1
    nodes, i, _ = _rdb_len(b, i)
    for _ in range(nodes):
        i = _skip_rdb_string(b, _skip_rdb_string(b, i))
    j = _skip_lens(b, i, 3)  # length, last ID
    out += b[1:j]
    i = _skip_lens(b, j, 5)  # first ID, max deleted ID, entries added: dropped
    groups, j, _ = _rdb_len(b, i)
    out += b[i:j]
    i = j
    for _ in range(groups):
        j = _skip_lens(b, _skip_rdb_string(b, i), 2)  # name, last ID
        out += b[i:j]
        i = _skip_lens(b, j, 1)  # entries read: dropped
        pending, j, _ = _rdb_len(b, i)
        for _ in range(pending):  # raw ID, delivery time, delivery count
            j = _skip_lens(b, j + 16 + 8, 1)
        consumers, j, _ = _rdb_len(b, j)
        for _ in range(consumers):  # name, seen time, owned raw IDs
            owned, j, _ = _rdb_len(b, _skip_rdb_string(b, j) + 8)
            j += 16 * owned
        out += b[i:j]
        i = j
    assert i == len(b) - 10, "the value must end where the footer starts"
    out += (9).to_bytes(2, "little")
    return bytes(out + crc64(out).to_bytes(8, "little"))


def test_redis6_stream_payloads_restore_as_redis7_loads_them(reference):  # noqa: F811
    """A Redis 5/6 stream (type 15) gets the counters Redis 7.0 derives for it: both servers
    RESTORE the same payload to the same XINFO STREAM FULL (entries-added, max-deleted-entry-id,
    each group's entries-read and lag), and go on the same way after more XADDs and reads."""
    from conftest import Server
    ref = redis.Redis(port=reference)
    ref.flushall()
    ref.config_set("rdbcompression", "no")
    _stream_dataset(ref)
    ref.xgroup_create("s", "at-end", id="$")
    ref.xgroup_create("s", "at-start", id="0")
    payloads = {k: _as_redis6_stream_payload(ref.dump(k)) for k in ("s", "empty")}
    with tempfile.TemporaryDirectory() as wd:
        a = Server(["--save", ""], workdir=wd)
        try:
            m = a.client()
            for c in (m, ref):
                for k, payload in payloads.items():
                    c.restore(f"v6:{k}", 0, payload)
            for k in payloads:
                assert _stream_state(m, f"v6:{k}") == _stream_state(ref, f"v6:{k}")
            # Not simply Redis 7.0's own counters: type 15 does not carry them.
            groups = {g["name"]: g for g in ref.xinfo_groups("v6:s")}
            assert groups[b"at-end"]["entries-read"] == 248
            assert groups[b"g1"]["entries-read"] is None
            for c in (m, ref):
                c.xadd("v6:s", {"n": "1"}, id="300-1")
                c.xadd("v6:empty", {"n": "1"}, id="*")
                c.xreadgroup("at-end", "carol", {"v6:s": ">"})
                c.xreadgroup("g2", "dave", {"v6:s": ">"}, count=5)
            assert _stream_state(m, "v6:s") == _stream_state(ref, "v6:s")
            assert m.xinfo_stream("v6:empty")["entries-added"] == \
                ref.xinfo_stream("v6:empty")["entries-added"]
            # The nodes of a type-15 stream are validated as any: a first listpack whose header
            # (type, node count, 16-byte node key, 2-byte length: offset 21) lies about its size
            # is refused, with a good checksum.
            from test_persistence import crc64
            bad = bytearray(payloads["s"][:-8])
            assert bad[19] >> 6 == 1, "the listpack's length takes two bytes"
            bad[21] ^= 0x40
            bad += crc64(bad).to_bytes(8, "little")
            with pytest.raises(redis.ResponseError, match="Bad data format"):
                m.restore("bad", 0, bytes(bad))
            assert m.exists("bad") == 0
        finally:
            assert a.stop() == 0
