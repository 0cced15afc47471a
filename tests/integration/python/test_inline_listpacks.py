# test_inline_listpacks.py: small hashes and sorted sets keep their listpack in the key's slot
# (db/object.h, "Inline listpacks"; docs/memory.md "Listpacks in the slot"). Random hash and zset
# writes, on keys from 3 to 902 bytes long so that objects cross the 1 KiB slot limit in both
# directions, go to Mnemo and to redis-server 7.0.15 side by side: every reply, OBJECT ENCODING
# included, must match, and so must the final contents, DUMP/RESTORE both ways, and a restart
# from Mnemo's own RDB file.
import random

import redis

from conftest import Reference, Server

KEYS = ["h:" + "k" * n for n in (1, 30, 254, 255, 300, 900)]
ZKEYS = ["z:" + "k" * n for n in (1, 30, 254, 255, 300, 900)]


def random_command(rng):
    k = rng.choice(KEYS)
    z = rng.choice(ZKEYS)
    f = f"f{rng.randint(0, 40)}"
    value = rng.choice(["1", "42", "-7", "3.5", "x" * rng.randint(0, 60),
                        str(rng.randint(0, 10**12))])
    member = f"m{rng.randint(0, 60)}"
    x = rng.random()
    table = [
        (0.25, ["HSET", k, f, value]),
        (0.32, ["HDEL", k, f, f"f{rng.randint(0, 40)}"]),
        (0.37, ["HINCRBY", k, "cnt", str(rng.randint(-100, 100))]),
        (0.40, ["HINCRBYFLOAT", k, "flt", "0.25"]),
        (0.55, ["ZADD", z, str(rng.choice([rng.randint(0, 200), rng.random() * 100])), member]),
        (0.62, ["ZINCRBY", z, str(rng.choice([1, -1, 0.5, 1000])), member]),
        (0.66, ["ZREM", z, member]),
        (0.68, ["ZPOPMIN", z]),
        (0.69, ["ZREMRANGEBYRANK", z, "0", "1"]),
        (0.70, ["EXPIRE", rng.choice([k, z]), "100000"]),
        (0.71, ["COPY", k, "copy:" + k, "REPLACE"]),
        (0.72, ["ZUNIONSTORE", "u:" + z, "1", z]),
        (0.725, ["ZPOPMAX", z]),
        (0.73, ["ZINTERSTORE", "i:" + z, "2", z, "u:" + z, "WEIGHTS", "1", "2"]),
        # Reads: the forward walks over the packed form (HGET ... ZSCAN) and the unpacked views
        # (reverse and score/lex ranges, ZRANDMEMBER of everything).
        (0.76, ["HGETALL", k]),
        (0.77, ["HGET", k, f]),
        (0.78, ["HMGET", k, f, "cnt", "flt"]),
        (0.785, ["HEXISTS", k, f]),
        (0.79, ["HSCAN", k, "0", "COUNT", "1000"]),
        (0.81, ["ZRANGE", z, "0", "-1", "WITHSCORES"]),
        (0.815, ["ZRANGE", z, "2", "5", "WITHSCORES"]),
        (0.82, ["ZRANGE", z, "1", "3", "REV", "WITHSCORES"]),
        (0.83, ["ZREVRANGE", z, "0", "-1", "WITHSCORES"]),
        (0.835, ["ZRANGEBYSCORE", z, "10", "(150", "WITHSCORES", "LIMIT", "1", "5"]),
        (0.84, ["ZREVRANGEBYSCORE", z, "+inf", "50", "WITHSCORES"]),
        (0.845, ["ZRANGEBYLEX", z, "[m1", "(m4"]),
        (0.85, ["ZCOUNT", z, "0", "100"]),
        (0.855, ["ZSCORE", z, member]),
        (0.86, ["ZMSCORE", z, member, "m1", "m2"]),
        (0.865, ["ZRANK", z, member]),
        (0.87, ["ZREVRANK", z, member]),
        (0.875, ["ZSCAN", z, "0", "COUNT", "1000"]),
        (0.88, ["ZRANDMEMBER", z, "1000", "WITHSCORES"]),
        (0.92, ["OBJECT", "ENCODING", rng.choice([k, z])]),
        (0.94, ["HGETALL", "copy:" + k]),
        (0.96, ["ZRANGE", "u:" + z, "0", "-1", "WITHSCORES"]),
        (1.00, ["HLEN", k]),
    ]
    return next(cmd for bound, cmd in table if x < bound)


def run(client, cmd):
    try:
        if cmd[0] == "OBJECT":  # redis-py parses OBJECT replies only through its own method
            return client.object("encoding", cmd[2])
        return client.execute_command(*cmd)
    except redis.ResponseError as e:
        return f"ERR {e}"


def contents(c):
    hashes = {k: c.hgetall(k) for k in KEYS + ["copy:" + k for k in KEYS]}
    zsets = {z: c.zrange(z, 0, -1, withscores=True)
             for z in ZKEYS + ["u:" + z for z in ZKEYS] + ["i:" + z for z in ZKEYS]}
    return hashes, zsets


def test_random_hash_and_zset_writes_match_redis_across_the_slot_limit(tmp_path):
    mnemo = Server(["--save", "", "--appendonly", "no"], workdir=str(tmp_path))
    ref = Reference()
    try:
        m, r = mnemo.client(), ref.client()
        rng = random.Random(16)
        for i in range(12000):
            cmd = random_command(rng)
            if i == 6000:  # past hash-max-listpack-value: one hash is a hashtable from then on
                cmd = ["HSET", KEYS[2], "big", "y" * 65]
            a, b = run(m, cmd), run(r, cmd)
            assert a == b, (i, cmd[:3], a, b)
        want = contents(r)
        assert contents(m) == want
        # Listpacks were left both inside their slot (short keys) and outside it (a 902-byte
        # key with 30 or more members is over 1 KiB), or the test proved little.
        assert m.object("encoding", ZKEYS[0]) == b"listpack"
        assert m.object("encoding", ZKEYS[-1]) == b"listpack" and m.zcard(ZKEYS[-1]) >= 30
        assert b"listpack" in [m.object("encoding", k) for k in KEYS if m.exists(k)]
        # DUMP/RESTORE both ways, for every key that exists.
        for k in KEYS + ZKEYS:
            if not m.exists(k):
                continue
            r.restore("from-mnemo:" + k, 0, m.dump(k), replace=True)
            m.restore("from-redis:" + k, 0, r.dump(k), replace=True)
            if k.startswith("h:"):
                assert r.hgetall("from-mnemo:" + k) == m.hgetall(k)
                assert m.hgetall("from-redis:" + k) == m.hgetall(k)
            else:
                assert r.zrange("from-mnemo:" + k, 0, -1, withscores=True) == \
                    m.zrange(k, 0, -1, withscores=True)
                assert m.zrange("from-redis:" + k, 0, -1, withscores=True) == \
                    m.zrange(k, 0, -1, withscores=True)
        # Saved and loaded again: the same contents, and every listpack key costs what it cost
        # before (MEMORY USAGE to the byte: a loaded small listpack is in its slot again, and
        # none was left in a bigger slot by a write). A hashtable's may differ: loading sizes
        # its bucket array for its fields, as in Redis.
        keys = [k.decode() for k in m.keys("*") if m.object("encoding", k) == b"listpack"]
        assert len(keys) >= 10
        usage = {k: m.memory_usage(k) for k in keys}
        m.save()
        assert mnemo.stop() == 0
        mnemo = Server(["--save", "", "--appendonly", "no"], workdir=str(tmp_path))
        m = mnemo.client()
        assert contents(m) == want
        assert {k: m.memory_usage(k) for k in keys} == usage
    finally:
        mnemo.stop()
        ref.stop()
