# test_defrag.py: active defragmentation on stock jemalloc (activedefrag, INFO active_defrag_*,
# the active-defrag-* configs) against the real mnemo-server (tests/integration/python).
#
# A dataset with every type and encoding is loaded, every second key is deleted (which leaves
# jemalloc's slabs half used), and defragmentation is turned on with low thresholds. It must
# bring allocator_frag_ratio down, move blocks of every kind, and change nothing a client can
# see: every key's DUMP, TTL and encoding, and every key's MEMORY USAGE (the mem layer's count
# stays exact: a moved block has the size class of the old one).
import random
import time

import pytest

from conftest import Reference, Server

# Small encoding bounds so that small collections take the big encodings, and a small
# max-scan-fields so that hashtable hashes and sets take the several-turns path.
SERVER_ARGS = [
    "--hash-max-listpack-entries", "16", "--set-max-listpack-entries", "16",
    "--set-max-intset-entries", "16", "--zset-max-listpack-entries", "16",
    "--list-max-listpack-size", "4", "--save", "", "--appendonly", "no",
]

DEFRAG_CONFIGS = {
    "activedefrag": "no",
    "active-defrag-ignore-bytes": "104857600",
    "active-defrag-threshold-lower": "10",
    "active-defrag-threshold-upper": "100",
    "active-defrag-cycle-min": "1",
    "active-defrag-cycle-max": "25",
    "active-defrag-max-scan-fields": "1000",
}


def info(c, section):
    return c.info(section)


def make_commands(i):
    """The commands that create key number i: the kind cycles over every type and encoding."""
    kind = i % 16
    k = f"k:{kind}:{i:07d}"
    if kind == 0:
        return k, [("SET", k, f"short-{i}")]                        # embstr
    if kind == 1:
        return k, [("SET", k, "x" * 100 + str(i))]                  # raw
    if kind == 2:
        return k, [("SET", k, str(100000 + i))]                     # int
    if kind == 3:
        return k, [("SET", k, "y" * 60 + str(i), "EX", "100000")]   # raw with a TTL
    if kind == 4:
        return k, [("SET", k, f"e{i}", "EX", "100000")]             # embstr with a TTL
    if kind == 5:
        return k, [("HSET", k, *sum(([f"f{j}", f"v{i}-{j}"] for j in range(4)), []))]
    if kind == 6:
        return k, [("HSET", k, *sum(([f"field{j}", f"value{i}-{j}"] for j in range(40)), []))]
    if kind == 7:
        return k, [("RPUSH", k, *[f"e{i}-{j}" for j in range(3)])]  # listpack
    if kind == 8:
        return k, [("RPUSH", k, *[f"elem{i}-{j}" for j in range(30)])]  # quicklist, 8 nodes
    if kind == 9:
        return k, [("SADD", k, *[str(i * 100 + j) for j in range(8)])]  # intset
    if kind == 10:
        return k, [("SADD", k, *[f"m{i}-{j}" for j in range(8)])]  # listpack
    if kind == 11:
        return k, [("SADD", k, *[f"member{i}-{j}" for j in range(40)])]  # hashtable
    if kind == 12:
        return k, [("ZADD", k, *sum(([str(j), f"z{j}"] for j in range(5)), []))]
    if kind == 13:
        return k, [("ZADD", k, *sum(([str(j * 1.5), f"zm{i}-{j}"] for j in range(40)), []))]
    if kind == 14:
        return k, [("XADD", k, f"{j + 1}-0", "f", f"v{i}-{j}") for j in range(5)]
    return k, [("HSET", k, "a", "1"), ("EXPIRE", k, "100000")]      # listpack hash with a TTL


def load_and_thin(c, n):
    """Loads n keys, deletes every second one; returns the names of the remaining keys."""
    keys = []
    pipe = c.pipeline(transaction=False)
    for i in range(n):
        k, cmds = make_commands(i)
        keys.append(k)
        for cmd in cmds:
            pipe.execute_command(*cmd)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    # Every second key of each kind (the kinds cycle with period 16).
    doomed = [k for i, k in enumerate(keys) if (i // 16) % 2 == 0]
    for k in doomed:
        pipe.delete(k)
    pipe.execute()
    return [k for i, k in enumerate(keys) if (i // 16) % 2 == 1]


def snapshot(c, keys):
    """Per key: DUMP, absolute expiry (PEXPIRETIME), encoding and MEMORY USAGE."""
    pipe = c.pipeline(transaction=False)
    for k in keys:
        pipe.dump(k)
        pipe.execute_command("PEXPIRETIME", k)
        pipe.object("encoding", k)
        pipe.execute_command("MEMORY", "USAGE", k, "SAMPLES", "0")
    out = pipe.execute()
    return {k: tuple(out[4 * j: 4 * j + 4]) for j, k in enumerate(keys)}


def test_defrag_moves_every_kind_and_changes_nothing_visible():
    s = Server(SERVER_ARGS)
    try:
        c = s.client()
        keys = load_and_thin(c, 48000)
        before = snapshot(c, keys)
        encodings = {v[2] for v in before.values()}
        assert encodings >= {b"embstr", b"raw", b"int", b"listpack", b"hashtable", b"quicklist",
                             b"intset", b"skiplist", b"stream"}
        m0 = info(c, "memory")
        assert m0["allocator_frag_ratio"] > 1.3, m0
        st0 = info(c, "stats")
        assert st0["active_defrag_hits"] == 0 and m0["active_defrag_running"] == 0

        # MEMORY DOCTOR names the fragmentation and, with activedefrag off, the remedy.
        doctor = c.execute_command("MEMORY", "DOCTOR").decode()
        if m0["allocator_frag_bytes"] > 10 * 1024 * 1024:
            assert "Allocator fragmentation" in doctor and "CONFIG SET activedefrag yes" in doctor

        c.config_set("active-defrag-ignore-bytes", "1")
        c.config_set("active-defrag-threshold-lower", "5")
        c.config_set("active-defrag-max-scan-fields", "10")
        c.config_set("activedefrag", "yes")
        assert c.config_get("activedefrag") == {"activedefrag": "yes"}
        doctor = c.execute_command("MEMORY", "DOCTOR").decode()
        assert "CONFIG SET activedefrag yes" not in doctor

        # A pass over this dataset takes about a second; give it a few. (With fragmentation
        # above threshold-lower it goes on scanning, as Redis does.)
        deadline = time.monotonic() + 15
        seen_running = False
        while time.monotonic() < deadline:
            m = info(c, "memory")
            seen_running = seen_running or m["active_defrag_running"] > 0
            if m["allocator_frag_ratio"] <= 1.15:
                break
            time.sleep(0.2)
        assert seen_running
        m1 = info(c, "memory")
        st1 = info(c, "stats")
        assert m1["allocator_frag_ratio"] <= 1.15, (m0["allocator_frag_ratio"], m1)
        assert m1["allocator_active"] < m0["allocator_active"] * 0.8
        assert st1["active_defrag_hits"] > len(keys) // 2, st1
        assert st1["active_defrag_key_hits"] > len(keys) // 4, st1
        assert st1["active_defrag_misses"] > 0 and st1["active_defrag_key_misses"] > 0
        c.config_set("activedefrag", "no")
        deadline = time.monotonic() + 2  # the next cron turn ends the scan
        while time.monotonic() < deadline and info(c, "memory")["active_defrag_running"] != 0:
            time.sleep(0.05)
        assert info(c, "memory")["active_defrag_running"] == 0
        assert info(c, "stats")["total_active_defrag_time"] > 0

        # Nothing a client sees has changed, and each key costs exactly what it cost.
        after = snapshot(c, keys)
        for k in keys:
            assert after[k] == before[k], (k, before[k], after[k])
        assert c.dbsize() == len(keys)
        # used_memory moved by no more than the clients' buffers (a moved block keeps its class).
        assert abs(m1["used_memory"] - m0["used_memory"]) < 64 * 1024, (m0["used_memory"],
                                                                         m1["used_memory"])

        # The moved structures keep working: writes relink the moved nodes and tables (a sample
        # of each kind keeps the round trips few).
        for k in keys[::5]:
            kind = int(k.split(":")[1])
            if kind == 8:
                c.lpush(k, "head")
                assert c.rpop(k) == f"elem{int(k.split(':')[2])}-29".encode()
                assert c.lindex(k, 0) == b"head"
            elif kind == 13:
                c.zadd(k, {"new": 7.25})
                assert c.zrank(k, "new") == 5
                assert c.zscore(k, f"zm{int(k.split(':')[2])}-39") == 58.5
                c.zrem(k, f"zm{int(k.split(':')[2])}-0")
                assert c.zcard(k) == 40
            elif kind == 6:
                c.hset(k, "field0", "changed")
                c.hdel(k, "field1")
                assert c.hlen(k) == 39 and c.hget(k, "field0") == b"changed"
            elif kind == 11:
                assert c.sismember(k, f"member{int(k.split(':')[2])}-7")
                c.srem(k, f"member{int(k.split(':')[2])}-7")
                assert c.scard(k) == 39
            elif kind in (3, 4, 15):
                assert c.persist(k) and c.ttl(k) == -1
            elif kind == 14:
                c.xadd(k, {"f": "last"}, id="9-0")
                assert c.xlen(k) == 6
        # Every key can be deleted (the tables' chains are intact), and memory goes back.
        pipe = c.pipeline(transaction=False)
        for k in keys:
            pipe.delete(k)
        assert all(x == 1 for x in pipe.execute())
        assert c.dbsize() == 0
        c.close()
    finally:
        assert s.stop() == 0, s.log_text()


def test_defrag_waits_below_thresholds_and_stops_when_turned_off():
    s = Server(SERVER_ARGS)
    try:
        c = s.client()
        load_and_thin(c, 16000)
        # Fragmented, but below the default 100mb of active-defrag-ignore-bytes: nothing runs.
        c.config_set("activedefrag", "yes")
        time.sleep(1.5)
        assert info(c, "memory")["active_defrag_running"] == 0
        assert info(c, "stats")["active_defrag_hits"] == 0
        # The thresholds met, it runs; CONFIG RESETSTAT clears the counters.
        c.config_set("active-defrag-ignore-bytes", "1")
        c.config_set("active-defrag-threshold-lower", "5")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and info(c, "stats")["active_defrag_hits"] == 0:
            time.sleep(0.1)
        assert info(c, "stats")["active_defrag_hits"] > 0
        c.config_set("activedefrag", "no")
        time.sleep(0.3)
        assert info(c, "memory")["active_defrag_running"] == 0
        hits = info(c, "stats")["active_defrag_hits"]
        time.sleep(1.2)
        assert info(c, "stats")["active_defrag_hits"] == hits
        c.config_resetstat()
        st = info(c, "stats")
        assert st["active_defrag_hits"] == 0 and st["active_defrag_key_hits"] == 0
        c.close()
    finally:
        assert s.stop() == 0, s.log_text()


def test_defrag_configs_match_redis():
    s = Server()
    ref = Reference()
    try:
        c, rc = s.client(), ref.client()
        got = c.config_get("active*defrag*")
        got.update(c.config_get("activedefrag"))
        want = rc.config_get("active*defrag*")
        want.update(rc.config_get("activedefrag"))
        assert got == want == DEFRAG_CONFIGS
        # Bounds and their error texts are Redis's.
        for name, bad in [("active-defrag-cycle-min", "0"), ("active-defrag-cycle-max", "100"),
                          ("active-defrag-threshold-lower", "1001"),
                          ("active-defrag-threshold-upper", "-1"),
                          ("active-defrag-max-scan-fields", "0"),
                          ("active-defrag-ignore-bytes", "0"),
                          ("active-defrag-ignore-bytes", "lots"), ("activedefrag", "maybe")]:
            errors = []
            for client in (c, rc):
                with pytest.raises(Exception) as e:
                    client.config_set(name, bad)
                errors.append(str(e.value))
            assert errors[0] == errors[1], (name, errors)
        for client in (c, rc):
            client.config_set("active-defrag-ignore-bytes", "2mb")
            client.config_set("active-defrag-cycle-max", "50")
            assert client.config_get("active-defrag-ignore-bytes") == {
                "active-defrag-ignore-bytes": "2097152"}
            assert client.config_get("active-defrag-cycle-max") == {
                "active-defrag-cycle-max": "50"}
        # Where Debian's redis refuses (its jemalloc lacks Redis's patch), Mnemo accepts.
        with pytest.raises(Exception, match="Active defragmentation cannot be enabled"):
            rc.config_set("activedefrag", "yes")
        assert c.config_set("activedefrag", "yes")
        assert c.config_get("activedefrag") == {"activedefrag": "yes"}
        # The INFO fields Redis has, in the sections Redis puts them.
        for field in ("active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
                      "active_defrag_key_misses", "total_active_defrag_time",
                      "current_active_defrag_time"):
            assert field in c.info("stats") and field in rc.info("stats")
        assert "active_defrag_running" in c.info("memory")
        assert "active_defrag_running" in rc.info("memory")
        c.close()
        rc.close()
    finally:
        ref.stop()
        assert s.stop() == 0, s.log_text()


VOCABULARY = [f"w{j}x{j * 7919 % 1000}" for j in range(300)]


def compressible(i, size):
    """A value of `size` bytes that LZF and zstd compress by about a third: words drawn from a
    vocabulary of 300, fixed by i."""
    rng = random.Random(i)
    text = f"id={i};" + " ".join(rng.choice(VOCABULARY) for _ in range(size // 5))
    return text[:size]


def wait_frag_at_most(c, ratio, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = info(c, "memory")
        if m["allocator_frag_ratio"] <= ratio:
            return m
        time.sleep(0.2)
    return info(c, "memory")


@pytest.mark.parametrize("codec", ["lzf", "zstd"])
def test_defrag_moves_compressed_values(codec):
    # Compressed values (blocks of ds/compress.h) dominate this dataset: 100,000 values of
    # 400..700 bytes stored as blocks of about two thirds of that, beside 48-byte key blocks.
    # After every second key is deleted the blocks' slabs are half used; unless the blocks
    # move too, allocator_frag_ratio stays far above 1.15.
    s = Server(["--value-compression", codec, "--save", "", "--appendonly", "no"])
    try:
        c = s.client()
        n = 100000
        pipe = c.pipeline(transaction=False)
        for i in range(n):
            pipe.set(f"c:{i:06d}", compressible(i, 400 + (i * 37) % 300))
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        m_loaded = info(c, "memory")
        # Most pass the 1/8 rule (LZF: about three quarters).
        assert m_loaded["compressed_values"] > 0.7 * n, m_loaded
        for i in range(0, n, 2):
            pipe.delete(f"c:{i:06d}")
        pipe.execute()
        keys = [f"c:{i:06d}" for i in range(1, n, 2)]
        m0 = info(c, "memory")
        assert m0["compressed_values"] > 0.7 * len(keys)
        # The blocks hold most of the allocated bytes, and the slabs are about half used.
        assert m0["compressed_bytes"] > 0.6 * (m0["used_memory"] - m0["used_memory_startup"]), m0
        assert m0["allocator_frag_ratio"] > 1.3, m0
        before = snapshot(c, keys)
        assert {v[2] for v in before.values()} == {b"raw"}
        hits0 = info(c, "stats")["active_defrag_hits"]

        c.config_set("active-defrag-ignore-bytes", "1")
        c.config_set("active-defrag-threshold-lower", "5")
        c.config_set("activedefrag", "yes")
        m1 = wait_frag_at_most(c, 1.15, 20)
        assert m1["allocator_frag_ratio"] <= 1.15, (m0["allocator_frag_ratio"], m1)
        assert m1["allocator_active"] < m0["allocator_active"] * 0.8
        # More blocks moved than there are keys: key blocks and value blocks both.
        assert info(c, "stats")["active_defrag_hits"] - hits0 > len(keys) * 0.6
        c.config_set("activedefrag", "no")
        # Still compressed, to the same bytes; every value reads back unchanged.
        assert m1["compressed_values"] == m0["compressed_values"]
        assert m1["compressed_bytes"] == m0["compressed_bytes"]
        assert m1["compressed_original_bytes"] == m0["compressed_original_bytes"]
        after = snapshot(c, keys)
        for k in keys:
            assert after[k] == before[k], k
        for i in range(1, n, 998):
            assert c.get(f"c:{i:06d}") == compressible(i, 400 + (i * 37) % 300).encode()
        c.close()
    finally:
        assert s.stop() == 0, s.log_text()


def build_big(c, kind, key, n):
    """One big value of `kind` with n elements; a twin built interleaved with it is deleted
    after, so that the big value's blocks sit in half-used slabs."""
    twin = key + ":twin"
    pipe = c.pipeline(transaction=False)
    for start in range(0, n, 1000):
        if kind == "list":
            # One node at a time (16 elements: list-max-listpack-size 16), so that the two
            # lists' blocks alternate in the slabs.
            # Strings of the nodes' size class (384) between them are deleted too.
            for b in range(start, start + 1000, 8):
                for k in (key, twin):
                    pipe.rpush(k, *[f"{k}-element-{j:08d}" for j in range(b, b + 8)])
                pipe.set(f"filler:{b}", "f" * 360)
            pipe.execute()
            for b in range(start, start + 1000, 8):
                pipe.delete(f"filler:{b}")
            continue
        for k in (key, twin):
            if kind == "zset":
                pipe.zadd(k, {f"{k}-member-{j:08d}": j * 0.5 for j in range(start, start + 1000)})
            else:
                for j in range(start, start + 1000):
                    pipe.xadd(k, {"field": f"value-{j:08d}"}, id=f"{j + 1}-0")
        pipe.execute()
    pipe.execute()
    c.delete(twin)


@pytest.mark.parametrize("kind,n", [("list", 300000), ("zset", 200000), ("stream", 200000)])
def test_defrag_walks_one_huge_value_in_steps(kind, n):
    # One huge value is not moved in one visit: it is queued and walked over many cron turns,
    # active-defrag-max-scan-fields nodes (lists, streams) or elements (sorted sets) between two
    # looks at the clock, each turn within its CPU budget (cycle-max 2%: 2 ms per turn at hz 10),
    # while other clients keep being answered.
    s = Server(["--save", "", "--appendonly", "no", "--list-max-listpack-size", "16"])
    try:
        c = s.client()
        build_big(c, kind, "big", n)
        enc = {"list": b"quicklist", "zset": b"skiplist", "stream": b"stream"}[kind]
        assert c.object("encoding", "big") == enc
        dump0 = c.dump("big")
        m0 = info(c, "memory")
        # (The list's blocks interleave less well with its twin's: about 1.1 here.)
        assert m0["allocator_frag_ratio"] >= 1.08, m0
        target = 1.04 if kind == "list" else 1.1
        c.config_set("active-defrag-ignore-bytes", "1")
        c.config_set("active-defrag-threshold-lower", "2")
        c.config_set("active-defrag-cycle-min", "1")
        c.config_set("active-defrag-cycle-max", "2")
        c.config_set("active-defrag-max-scan-fields", "50")
        # Mnemo's own counters appear once activedefrag is on (a default server answers INFO as
        # Redis does).
        assert "active_defrag_later_keys" not in info(c, "stats")
        c.config_set("activedefrag", "yes")

        # Another client pings throughout and records its latencies.
        p = s.client()
        latencies = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            t = time.monotonic()
            assert p.ping()
            latencies.append(time.monotonic() - t)
            st = info(p, "stats")
            if st["active_defrag_later_turns"] >= 5 and info(p, "memory")[
                    "allocator_frag_ratio"] <= target:
                break
            time.sleep(0.005)
        c.config_set("activedefrag", "no")
        st1 = info(c, "stats")
        m1 = info(c, "memory")
        # Queued (it is the only key) and walked over several turns, not in one.
        assert st1["active_defrag_later_keys"] >= 1, st1
        assert st1["active_defrag_later_turns"] >= 5, st1
        assert st1["active_defrag_hits"] > 0
        assert m1["allocator_frag_ratio"] <= target, (m0["allocator_frag_ratio"], m1)
        # The server answered all along; no turn held it for long.
        latencies.sort()
        assert latencies[-1] < 0.25, latencies[-5:]
        # The value is unchanged and still works.
        assert c.dump("big") == dump0
        if kind == "list":
            assert c.llen("big") == n and c.lindex("big", n // 2) == f"big-element-{n // 2:08d}".encode()
            c.lpush("big", "x")
            assert c.lpop("big") == b"x" and c.rpop("big") == f"big-element-{n - 1:08d}".encode()
        elif kind == "zset":
            assert c.zcard("big") == n and c.zrank("big", f"big-member-{n // 3:08d}") == n // 3
            c.zadd("big", {"new": -1})
            assert c.zrange("big", 0, 0) == [b"new"] and c.zrem("big", "big-member-00000007") == 1
        else:
            assert c.xlen("big") == n
            c.xadd("big", {"f": "last"}, id=f"{n + 1}-0")
            assert c.xrevrange("big", count=1)[0][0] == f"{n + 1}-0".encode()
        p.close()
        c.close()
    finally:
        assert s.stop() == 0, s.log_text()
