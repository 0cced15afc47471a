# test_compression.py: transparent value compression (value-compression, docs/memory.md)
# against redis-server 7.0.15 (tests/integration/python).
#
# The same values and the same command sequence go to Mnemo with compression on and to Redis;
# every reply must be the same. Then: MEMORY USAGE and INFO move the right way, dictionaries are
# trained, recompress older values and survive a retraining, DUMP payloads and SAVEd files of
# compressed values load into redis-server with the same values.
import os
import random
import shutil
import subprocess
import time

import pytest
import redis

from conftest import Reference, Server, free_port

MODES = {
    "lzf": ["--value-compression", "lzf"],
    "zstd": ["--value-compression", "zstd"],
    "zstd-dict": ["--value-compression", "zstd", "--value-compression-dictionary", "yes"],
}


def raw(c, *args):
    """A command's reply without redis-py's reply callbacks (OBJECT has one that needs args)."""
    conn = c.connection_pool.get_connection(args[0])
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        c.connection_pool.release(conn)


def compression(c, key):
    flat = raw(c, "OBJECT", "COMPRESSION", key)
    if flat is None:
        return None
    return {k.decode(): (v.decode() if isinstance(v, bytes) else v)
            for k, v in zip(flat[0::2], flat[1::2])}


def doc(rng, i):
    """A JSON user profile of 200-800 bytes."""
    first = rng.choice(["alice", "bob", "carol", "dave", "erin", "frank", "grace"])
    body = ('{"id":%d,"username":"%s%d","email":"%s@example.com","city":"%s","age":%d,'
            '"tags":["%s","%s"],"active":%s,"bio":"' % (
                i, first, rng.randint(1, 999), first, rng.choice(["Berlin", "Paris", "Tokyo"]),
                rng.randint(18, 90), rng.choice(["music", "travel", "art"]),
                rng.choice(["tech", "food"]), rng.choice(["true", "false"])))
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]
    target = rng.randint(200, 800)
    while len(body) < target:
        body += rng.choice(words) + " "
    return body + '"}'


def values(rng):
    """Keys and values that compress: documents, text, a bitmap-like value, a long number."""
    out = {f"doc:{i}": doc(rng, i) for i in range(20)}
    out["text"] = " ".join(rng.choice(["the", "quick", "brown", "fox", "jumps"]) for _ in range(900))
    out["bits"] = b"\x00" * 300 + b"\xff\x0f" + b"\x00" * 200 + b"\x80"
    out["float"] = "1." + "0" * 70
    out["sortlist"] = None  # a list, made below
    return out


def seed(c, vals):
    for k, v in vals.items():
        if v is not None:
            c.set(k, v)
    c.rpush("sortlist", "3", "1", "2")
    for i in (1, 2, 3):
        c.set(f"w_{i}", str(4 - i) + "0" * 70)  # weights, long and compressible
        c.set(f"v_{i}", ("value %d " % i) * 20)


# The sequence: reads and writes of every kind on compressed values. Each entry is one command.
SEQUENCE = [
    ["GET", "doc:0"], ["GET", "text"], ["STRLEN", "doc:1"], ["STRLEN", "text"],
    ["GETRANGE", "doc:2", "5", "40"], ["GETRANGE", "text", "-30", "-1"], ["SUBSTR", "doc:2", "0", "9"],
    ["OBJECT", "ENCODING", "doc:3"], ["OBJECT", "ENCODING", "text"],
    ["BITCOUNT", "bits"], ["BITCOUNT", "doc:4", "2", "20"], ["BITPOS", "bits", "1"],
    ["BITPOS", "bits", "0", "300", "-1"], ["GETBIT", "bits", "2400"], ["GETBIT", "doc:4", "7"],
    ["BITFIELD", "bits", "GET", "u8", "2400", "GET", "i16", "2404"],
    ["BITFIELD_RO", "doc:5", "GET", "u32", "0"],
    ["LCS", "doc:6", "doc:7"], ["LCS", "doc:6", "doc:7", "LEN"],
    ["BITOP", "AND", "dest", "doc:8", "doc:9"], ["GET", "dest"],
    ["BITOP", "XOR", "dest2", "bits", "doc:9"], ["GET", "dest2"], ["BITOP", "NOT", "dest3", "doc:10"],
    ["GET", "dest3"],
    ["SORT", "sortlist", "BY", "w_*"], ["SORT", "sortlist", "BY", "w_*", "GET", "v_*"],
    ["SORT", "sortlist", "BY", "w_*", "ALPHA", "GET", "#", "GET", "v_*"],
    ["INCRBYFLOAT", "float", "1.5"], ["GET", "float"],
    ["APPEND", "doc:11", "-appended"], ["GET", "doc:11"], ["OBJECT", "ENCODING", "doc:11"],
    ["SETRANGE", "doc:12", "3", "XYZ"], ["GET", "doc:12"], ["SETRANGE", "doc:12", "2000", "far"],
    ["STRLEN", "doc:12"], ["GET", "doc:12"],
    ["SETBIT", "doc:13", "5", "1"], ["GET", "doc:13"], ["SETBIT", "bits", "9000", "1"],
    ["GET", "bits"], ["BITFIELD", "doc:14", "INCRBY", "u8", "8", "200", "GET", "u16", "0"],
    ["GET", "doc:14"],
    ["GETEX", "doc:15", "EX", "1000"], ["TTL", "doc:15"], ["GETEX", "doc:15", "PERSIST"],
    ["GETDEL", "doc:16"], ["EXISTS", "doc:16"],
    ["GETSET", "doc:17", "short"], ["GET", "doc:17"],
    ["SET", "doc:18", "new value " * 10, "GET"], ["GET", "doc:18"],
    ["SET", "doc:19", "x", "GET"], ["GET", "doc:19"],
    ["COPY", "doc:0", "copy0"], ["GET", "copy0"], ["RENAME", "doc:1", "renamed1"], ["GET", "renamed1"],
    ["EVAL", "return redis.call('GET', KEYS[1])", "1", "doc:2"],
    ["EVAL", "return string.len(redis.call('GET', KEYS[1]))", "1", "text"],
    ["EVAL", "redis.call('APPEND', KEYS[1], 'z'); return redis.call('GETRANGE', KEYS[1], -5, -1)",
     "1", "doc:3"],
    ["PFADD", "doc:4", "a"], ["INCR", "doc:5"],
    ["MGET", "doc:0", "doc:2", "text", "missing"],
    ["STRLEN", "dest"], ["TYPE", "doc:0"],
]


@pytest.mark.parametrize("mode", list(MODES))
def test_every_command_replies_as_redis(mode):
    s = Server(MODES[mode] + ["--save", "", "--appendonly", "no"])
    ref = Reference()
    try:
        m, rd = s.client(), ref.client()
        vals = values(random.Random(5))
        seed(m, vals)
        seed(rd, vals)
        compressed = [k for k, v in vals.items() if v is not None
                      and (compression(m, k) or {}).get("codec", "none") != "none"]
        # Everything long and compressible is compressed (the short "float" too: 72 bytes of 0s).
        assert set(compressed) == {k for k, v in vals.items() if v is not None}, compressed
        for cmd in SEQUENCE:
            want = got = None
            try:
                want = raw(rd, *cmd)
            except redis.ResponseError as e:
                want = ("error", str(e))
            try:
                got = raw(m, *cmd)
            except redis.ResponseError as e:
                got = ("error", str(e))
            assert got == want, (cmd, got, want)
        # Every key holds the same bytes at the end.
        keys = sorted(k.decode() for k in rd.keys("*"))
        assert sorted(k.decode() for k in m.keys("*")) == keys
        for k in keys:
            if rd.type(k) == b"string":
                assert m.get(k) == rd.get(k), k
        assert m.lrange("sortlist", 0, -1) == rd.lrange("sortlist", 0, -1)
    finally:
        s.stop()
        ref.stop()


def test_memory_usage_and_info_move_the_right_way():
    s = Server(["--value-compression", "zstd", "--save", ""])
    try:
        c = s.client()
        rng = random.Random(6)
        info = c.info("memory")
        assert info["value_compression"] == "zstd"
        base_values = info["compressed_values"]
        v = doc(rng, 1) * 3
        c.set("plain-first", v)
        assert compression(c, "plain-first")["codec"] == "zstd"
        compressed_usage = c.memory_usage("plain-first", samples=0)
        c.config_set("value-compression", "no")
        c.set("plain", v)
        assert compression(c, "plain")["codec"] == "none"
        plain_usage = c.memory_usage("plain", samples=0)
        assert compressed_usage < plain_usage * 0.6, (compressed_usage, plain_usage)
        info = c.info("memory")
        assert info["compressed_values"] == base_values + 1
        assert info["compressed_original_bytes"] >= len(v)
        assert 0 < info["compressed_bytes"] < len(v)
        assert info["compression_ratio"] > 1.5
        stats = dict(zip(*[iter(raw(c, "MEMORY", "STATS"))] * 2))
        assert stats[b"compression.values"] == base_values + 1
        # Deleting the value returns its block.
        c.delete("plain-first")
        info = c.info("memory")
        # No value compressed and compression off: INFO memory is Redis's again.
        assert base_values == 0
        assert "value_compression" not in info and "compressed_values" not in info
        # A value that does not compress costs what it costs without compression.
        c.config_set("value-compression", "lzf")
        noise = os.urandom(2000)
        c.set("noise1", noise)
        assert compression(c, "noise1")["codec"] == "none"
        c.config_set("value-compression", "no")
        # (Keys of one length: key slots are byte-exact, so a longer key costs a byte more.)
        c.set("noise2", noise)
        assert c.memory_usage("noise1", samples=0) == c.memory_usage("noise2", samples=0)
        assert c.get("noise1") == noise
    finally:
        s.stop()


def test_config_parameters():
    s = Server(["--save", ""])
    try:
        c = s.client()
        assert c.config_get("value-compression*") == {
            "value-compression": "no", "value-compression-min-size": "64",
            "value-compression-level": "3", "value-compression-dictionary": "no"}
        c.config_set("value-compression", "ZSTD")
        assert c.config_get("value-compression")["value-compression"] == "zstd"
        with pytest.raises(redis.ResponseError, match="argument\\(s\\) must be one of"):
            c.config_set("value-compression", "gzip")
        with pytest.raises(redis.ResponseError, match="must be between 1 and 19"):
            c.config_set("value-compression-level", "25")
        c.config_set("value-compression-min-size", "1kb")
        assert c.config_get("value-compression-min-size")["value-compression-min-size"] == "1024"
        c.set("k", "a" * 1000)
        assert compression(c, "k")["codec"] == "none"
        c.set("k", "a" * 1024)
        assert compression(c, "k")["codec"] == "zstd"
    finally:
        s.stop()


def test_config_file_and_rewrite(tmp_path):
    conf = tmp_path / "mnemo.conf"
    conf.write_text("value-compression lzf\nvalue-compression-min-size 100\n")
    port = free_port()
    proc = subprocess.Popen([os.environ["MNEMO_SERVER"], str(conf), "--port", str(port),
                             "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        assert wait_for(lambda: _pings(c), 10)
        assert c.config_get("value-compression")["value-compression"] == "lzf"
        assert c.config_get("value-compression-min-size")["value-compression-min-size"] == "100"
        c.config_set("value-compression-dictionary", "yes")
        c.config_set("value-compression", "zstd")
        assert c.config_rewrite()
        text = conf.read_text()
        assert "value-compression zstd" in text
        assert "value-compression-dictionary yes" in text
        assert "value-compression-min-size 100" in text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _pings(c):
    try:
        return c.ping()
    except redis.ConnectionError:
        return False


def wait_for(pred, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_dictionary_trains_recompresses_and_survives_retraining():
    s = Server(MODES["zstd-dict"] + ["--save", ""])
    try:
        c = s.client()
        rng = random.Random(7)
        docs = {f"doc:{i}": doc(rng, i) for i in range(3000)}
        pipe = c.pipeline(transaction=False)
        for k, v in docs.items():
            pipe.set(k, v)
        pipe.execute()
        mem = lambda: c.info("memory")
        # Installed (trainings counts installations; a dictionary the trainer just built is
        # counted in compression_dictionaries before the loop installs it), then recompressed.
        assert wait_for(lambda: mem()["compression_dictionary_trainings"] >= 1 and
                        mem()["compression_recompressing"] == 0)
        info = mem()
        assert info["compression_dictionary_trainings"] == 1
        assert info["compression_dictionaries_bytes"] > 0
        # The first documents were stored before the dictionary existed: the cron recompressed
        # them with it.
        assert compression(c, "doc:0")["codec"] == "zstd+dict"
        assert info["compression_recompressed_values"] > 0
        first_dict = compression(c, "doc:0")["dictionary"]
        stats = dict(zip(*[iter(raw(c, "MEMORY", "STATS"))] * 2))
        assert stats[b"compression.dictionaries"] == info["compression_dictionaries"]
        assert stats[b"compression.dictionaries.bytes"] == info["compression_dictionaries_bytes"]
        # The dictionary beats per-value zstd on these documents.
        ratio_dict = info["compression_ratio"]
        assert ratio_dict > 2.0, ratio_dict

        # A window of the same documents, then data of another shape: the ratio degrades, a
        # second dictionary is trained; the first stays alive for the documents using it.
        pipe = c.pipeline(transaction=False)
        for i in range(1000):
            pipe.set(f"more:{i}", doc(rng, i))
        pipe.execute()
        for round_ in range(8):
            pipe = c.pipeline(transaction=False)
            for i in range(1000):
                v = ";".join(f"{rng.getrandbits(40):x}|{rng.choice(['GET', 'PUT', 'POST'])}"
                             for _ in range(25))
                pipe.set(f"log:{round_}:{i}", v)
            pipe.execute()
            if mem()["compression_dictionary_trainings"] >= 2:
                break
        assert wait_for(lambda: mem()["compression_dictionary_trainings"] >= 2), mem()
        assert wait_for(lambda: mem()["compression_recompressing"] == 0)
        assert mem()["compression_dictionaries"] >= 2
        for k in ("doc:0", "doc:1500", "doc:2999"):
            assert c.get(k).decode() == docs[k]
        # The documents still use the first dictionary (the second does not do better on them).
        assert compression(c, "doc:0")["dictionary"] == first_dict
        assert compression(c, "log:7:999" if c.exists("log:7:999") else "log:0:0")["codec"] \
            .startswith("zstd")
        for k, v in list(docs.items())[::50]:
            assert c.get(k).decode() == v
        # With every value of the first dictionary gone, it is freed.
        c.flushall()
        assert wait_for(lambda: mem()["compression_dictionaries"] == 1)
    finally:
        s.stop()


@pytest.mark.parametrize("mode", list(MODES))
def test_dump_restores_into_redis_and_back(mode):
    s = Server(MODES[mode] + ["--save", ""])
    ref = Reference()
    try:
        m, rd = s.client(), ref.client()
        rng = random.Random(8)
        vals = {f"k{i}": doc(rng, i) for i in range(10)}
        vals["long"] = "abc " * 5000
        # Values up to 255 bytes may stay uncompressed inside the key's block when that is
        # cheaper (docs/memory.md); the longer ones here always compress.
        for k, v in vals.items():
            m.set(k, v)
            compressed = compression(m, k)["codec"] != "none"
            assert compressed or len(v) <= 255, (k, len(v))
            payload = m.dump(k)
            rd.restore(k, 0, payload)
            assert rd.get(k).decode() == v
            # And Redis's payload restores into Mnemo, compressed by the same rule (which
            # depends on the key's length too below 256 bytes).
            m.restore(k + ":back", 0, rd.dump(k))
            assert m.get(k + ":back").decode() == v
            assert compression(m, k + ":back")["codec"] != "none" or len(v) <= 255
        assert sum(len(v) > 255 for v in vals.values()) >= 5
    finally:
        s.stop()
        ref.stop()


@pytest.mark.parametrize("mode", ["lzf", "zstd-dict"])
def test_save_loads_in_redis_and_loading_compresses(mode, tmp_path):
    s = Server(MODES[mode] + ["--save", ""])
    rng = random.Random(9)
    vals = {f"k{i}": doc(rng, i) for i in range(1500)}
    vals["int"] = "12345"
    vals["short"] = "tiny"
    try:
        m = s.client()
        pipe = m.pipeline(transaction=False)
        for k, v in vals.items():
            pipe.set(k, v)
        pipe.execute()
        m.select(3)
        m.set("db3", "x" * 500)
        m.select(0)
        assert compression(m, "k0")["codec"] != "none"
        m.save()
        rdb = os.path.join(s.workdir, "dump.rdb")
        shutil.copy(rdb, tmp_path / "dump.rdb")
    finally:
        s.stop()
    ref = Reference(["--dir", str(tmp_path), "--dbfilename", "dump.rdb"])
    try:
        rd = ref.client()
        assert rd.dbsize() == len(vals)
        for k, v in vals.items():
            assert rd.get(k).decode() == v, k
        rd.select(3)
        assert rd.get("db3") == b"x" * 500
        # Redis's own save of the same data (into tmp_path, its --dir) loads into Mnemo with
        # compression on: the values are compressed as they are loaded.
        rd.select(0)
        rd.save()
    finally:
        ref.stop()
    redis_rdb = tmp_path / "redis"
    redis_rdb.mkdir()
    shutil.copy(tmp_path / "dump.rdb", redis_rdb / "dump.rdb")
    s = Server(MODES[mode] + ["--save", ""], workdir=str(redis_rdb))
    try:
        m = s.client()
        assert m.dbsize() == len(vals)
        assert compression(m, "k7")["codec"] != "none"
        assert m.get("k7").decode() == vals["k7"]
        assert m.object("encoding", "int") == b"int"
    finally:
        s.stop()
