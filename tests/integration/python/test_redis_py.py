# test_redis_py.py: mnemo-server through redis-py 4.3.4 (Debian 12's python3-redis): replies
# parse into the Python values a Redis user gets (tests/integration/python).
import os
import subprocess
import time

import pytest
import redis


def test_strings(r):
    assert r.set("s", "hello") is True
    assert r.get("s") == b"hello"
    assert r.get("missing") is None
    assert r.set("s", "other", nx=True) is None
    assert r.set("s", "xx-set", xx=True) is True
    assert r.set("absent", "v", xx=True) is None
    assert r.set("s", "new", get=True) == b"xx-set"
    assert r.setnx("s", "no") is False
    assert r.setnx("fresh", "yes") is True
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "missing", "b") == [b"1", None, b"2"]
    assert r.msetnx({"a": "x", "c": "3"}) is False
    assert r.get("c") is None
    assert r.incr("n") == 1
    assert r.incrby("n", 41) == 42
    assert r.decr("n") == 41
    assert r.decrby("n", 40) == 1
    assert r.exists("a", "b", "missing") == 2
    assert r.delete("a", "missing") == 1
    assert r.unlink("b") == 1
    assert r.dbsize() == 3  # s, fresh and n
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        r.incr("s")


def test_binary_safe_values(r):
    value = bytes(range(256)) * 4 + b"\r\n\x00end"
    key = b"bin\x00key\r\n"
    assert r.set(key, value) is True
    assert r.get(key) == value
    assert r.mget(key, "x") == [value, None]


def test_unknown_command_error(r):
    with pytest.raises(redis.ResponseError,
                       match="^unknown command 'NOSUCH', with args beginning with: 'a' $"):
        r.execute_command("NOSUCH", "a")
    assert r.ping() is True


def test_pipeline_without_transaction(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"p:{i}", i)
        pipe.get(f"p:{i}")
        pipe.incr("counter")
    results = pipe.execute()
    assert len(results) == 3000
    for i in range(1000):
        assert results[3 * i] is True
        assert results[3 * i + 1] == str(i).encode()
        assert results[3 * i + 2] == i + 1
    assert r.dbsize() == 1001


def _resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def test_pipeline_with_a_long_incomplete_tail(server, r):
    # 20 KB of complete SETs, then half of a ~60 KB MSET of small pairs: the unfinished request
    # left after one read of the shared (64 KB) buffer is longer than a connection's 16 KB read
    # chunk and must be kept whole until the rest arrives.
    import socket
    head = b"".join(_resp("SET", f"k{i}", "v" * 1000) for i in range(20))
    mset = _resp("MSET", *[x for i in range(3000) for x in (f"m{i:05d}", f"val{i:05d}")])
    blob = head + mset
    cut = len(head) + len(mset) // 2
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(blob[:cut])
        time.sleep(0.3)
        s.sendall(blob[cut:])
        s.sendall(_resp("PING"))
        expected = b"+OK\r\n" * 21 + b"+PONG\r\n"
        got = b""
        s.settimeout(10)
        while len(got) < len(expected):
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert got == expected
    assert r.dbsize() == 3020
    assert r.mget("m00000", "m01500", "m02999") == [b"val00000", b"val01500", b"val02999"]
    assert r.get("k19") == b"v" * 1000


def test_pipeline_collects_errors(r):
    r.set("text", "abc")
    pipe = r.pipeline(transaction=False)
    pipe.incr("text")
    pipe.get("text")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError)
    assert results[1] == b"abc"


def test_info_parses(r):
    r.set("k", "v")
    r.setex("e", 100, "v")
    info = r.info()
    # redis-py turns every "name:value" line into a typed value; a line it cannot split would
    # have raised already.
    assert info["redis_version"].startswith("7.")
    assert isinstance(info["used_memory"], int) and info["used_memory"] > 0
    assert isinstance(info["connected_clients"], int) and info["connected_clients"] >= 1
    assert info["role"] == "master"
    assert info["maxmemory_policy"] == "noeviction"
    assert isinstance(info["used_cpu_sys"], float)
    assert info["db0"] == {"keys": 2, "expires": 1, "avg_ttl": info["db0"]["avg_ttl"]}
    assert isinstance(info["db0"]["avg_ttl"], int)
    everything = r.info("everything")
    assert set(info) <= set(everything)
    assert everything["cmdstat_set"]["calls"] == 1
    assert set(everything["cmdstat_set"]) == {"calls", "usec", "usec_per_call",
                                              "rejected_calls", "failed_calls"}
    for section in ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "commandstats", "errorstats", "latencystats", "cluster",
                    "keyspace"):
        parsed = r.info(section)
        assert isinstance(parsed, dict), section
    # The sanitizer build runs on the system allocator; --version says which this binary has.
    version = subprocess.run([os.environ["MNEMO_SERVER"], "--version"], capture_output=True,
                             text=True, check=True).stdout
    allocator = "jemalloc-" if "malloc=jemalloc" in version else "libc"
    assert r.info("memory")["mem_allocator"].startswith(allocator)
    latency = everything["latency_percentiles_usec_set"]
    assert set(latency) == {"p50", "p99", "p99.9"}
    assert all(isinstance(v, float) and v > 0 for v in latency.values())
    assert r.info("cluster") == {"cluster_enabled": 0}
    assert r.info("nosuchsection") == {}


def test_errorstats_parse(r):
    r.set("text", "abc")
    with pytest.raises(redis.ResponseError):
        r.incr("text")
    # redis-py 4.3.4 splits "a=1,b=2" into a dict but leaves a lone "count=1" as a string, for
    # Redis too.
    assert r.info("errorstats") == {"errorstat_ERR": "count=1"}


def test_config_get_and_set(r):
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    got = r.config_get("*-max-listpack-entries")
    assert got == {"hash-max-listpack-entries": "512", "set-max-listpack-entries": "128",
                   "zset-max-listpack-entries": "128"}
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "512"}
    assert r.config_set("maxmemory", "100mb") is True
    assert r.config_get("maxmemory") == {"maxmemory": str(100 * 1024 * 1024)}
    assert r.config_set("maxmemory-policy", "allkeys-lru") is True
    assert r.info("memory")["maxmemory_policy"] == "allkeys-lru"
    with pytest.raises(redis.ResponseError,
                       match="CONFIG SET failed \\(possibly related to argument 'maxmemory'\\)"):
        r.config_set("maxmemory", "lots")
    with pytest.raises(redis.ResponseError, match="Unknown option"):
        r.config_set("no-such-parameter", "1")
    assert r.config_get("no-such-parameter") == {}


def test_client_list_name_and_id(server, r):
    assert r.client_getname() is None
    assert r.client_setname("pytest-client") is True
    assert r.client_getname() == "pytest-client"
    my_id = r.client_id()
    other = server.client()
    other.client_setname("second")
    clients = r.client_list()
    by_name = {c["name"]: c for c in clients}
    assert set(by_name) == {"pytest-client", "second"}
    me = by_name["pytest-client"]
    assert int(me["id"]) == my_id
    assert me["addr"].startswith("127.0.0.1:")
    assert me["laddr"] == f"127.0.0.1:{server.port}"
    assert me["db"] == "0"
    assert me["cmd"] == "client|list"
    assert {c["name"] for c in r.client_list(_type="normal")} == {"pytest-client", "second"}
    assert [c["name"] for c in r.client_list(client_id=[str(my_id)])] == ["pytest-client"]
    info = r.client_info()
    assert info["name"] == "pytest-client" and int(info["id"]) == my_id
    with pytest.raises(redis.ResponseError, match="^Client names cannot contain spaces"):
        r.client_setname("has space")
    assert r.client_getname() == "pytest-client"
    assert r.client_kill_filter(_id=int(by_name["second"]["id"])) == 1
    assert [c["name"] for c in r.client_list()] == ["pytest-client"]
    other.close()


def test_hello_resp2(r):
    # redis-py 4.3.4 has no RESP3 (no protocol= argument; Redis.hello() raises
    # NotImplementedError), so HELLO 3 is checked on a raw socket by the C++ protocol test.
    reply = r.execute_command("HELLO", "2")
    fields = dict(zip(reply[::2], reply[1::2]))
    assert fields[b"server"] == b"redis"
    assert fields[b"proto"] == 2
    assert fields[b"mode"] == b"standalone"
    assert fields[b"role"] == b"master"
    assert fields[b"modules"] == []
    assert fields[b"id"] == r.client_id()
    with pytest.raises(redis.ResponseError, match="^NOPROTO unsupported protocol version$"):
        r.execute_command("HELLO", "4")


def test_expiry_with_setex_and_psetex(r):
    assert r.psetex("short", 300, "v") is True
    assert r.setex("long", 100, "v") is True
    assert r.set("ex", "v", ex=100) is True
    assert r.set("px", "v", px=100000) is True
    assert r.get("short") == b"v"
    assert r.info("keyspace")["db0"]["expires"] == 4
    deadline = time.monotonic() + 10
    while r.exists("short") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.exists("short") == 0
    assert r.get("short") is None
    assert r.get("long") == b"v"
    with pytest.raises(redis.ResponseError, match="^invalid expire time in 'setex' command$"):
        r.setex("bad", 0, "v")


def test_ttl_and_pttl(r):
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    assert r.expire("k", 100) is True
    assert 0 < r.ttl("k") <= 100
    assert 0 < r.pttl("k") <= 100000
    r.setex("s", 50, "v")
    assert 0 < r.ttl("s") <= 50
    assert r.persist("k") is True
    assert r.ttl("k") == -1


def test_scan_iter(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"scan:{i}", i)
    pipe.set("other", 1)
    pipe.execute()
    assert set(r.scan_iter(match="scan:*", count=50)) == {f"scan:{i}".encode() for i in range(1000)}
    assert len(list(r.scan_iter())) == 1001
    assert list(r.scan_iter(match="nothing*")) == []


def test_collection_types(r):
    assert r.hset("h", mapping={"f1": "v1", "f2": "v2"}) == 2
    assert r.hgetall("h") == {b"f1": b"v1", b"f2": b"v2"}
    assert r.lpush("l", "a", "b", "c") == 3
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a"]
    assert r.sadd("set", "x", "y", "x") == 2
    assert r.smembers("set") == {b"x", b"y"}
    assert r.zadd("z", {"one": 1, "two": 2.5}) == 2
    assert r.zrange("z", 0, -1, withscores=True) == [(b"one", 1.0), (b"two", 2.5)]
    assert [r.type(k) for k in ("h", "l", "set", "z", "missing")] == [
        b"hash", b"list", b"set", b"zset", b"none"]
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.get("h")


def test_flushall(server, r):
    r.set("a", "1")
    db1 = server.client(db=1)
    db1.set("b", "2")
    assert r.dbsize() == 1 and db1.dbsize() == 1
    assert r.flushall() is True
    assert r.dbsize() == 0 and db1.dbsize() == 0
    assert r.info("keyspace") == {}
    db1.set("c", "3")
    assert r.flushall(asynchronous=True) is True
    assert db1.dbsize() == 0
    assert r.flushdb() is True
    db1.close()


def test_select_and_databases(server):
    c = server.client(db=15)
    c.set("k", "in 15")
    assert server.client(db=0).get("k") is None
    assert server.client(db=15).get("k") == b"in 15"
    with pytest.raises(redis.ResponseError, match="^DB index is out of range$"):
        server.client(db=16).ping()


def test_hyperloglog_helpers(r):
    assert r.pfadd("visitors", *[f"user:{i}" for i in range(5000)]) == 1
    assert r.pfadd("visitors", "user:1") == 0
    assert 4900 <= r.pfcount("visitors") <= 5100
    assert r.pfadd("other", *[f"user:{i}" for i in range(4000, 6000)]) == 1
    assert r.pfmerge("all", "visitors", "other") is True
    union = r.pfcount("all")
    assert union == r.pfcount("visitors", "other")
    assert 5880 <= union <= 6120
    assert r.get("all")[:4] == b"HYLL"
    r.set("plain", "text")
    with pytest.raises(redis.exceptions.ResponseError, match="not a valid HyperLogLog"):
        r.pfcount("plain")


def test_geo_helpers(r):
    assert r.geoadd("Sicily", (13.361389, 38.115556, "Palermo",
                               15.087269, 37.502669, "Catania")) == 2
    assert r.geoadd("Sicily", (13.361389, 38.115556, "Palermo"), xx=True, ch=True) == 0
    assert r.geodist("Sicily", "Palermo", "Catania", unit="km") == pytest.approx(166.2742)
    assert r.geohash("Sicily", "Palermo", "nope") == ["sqc8b49rny0", None]
    (lon, lat), missing = r.geopos("Sicily", "Palermo", "nope")
    assert missing is None
    assert lon == pytest.approx(13.361389, abs=1e-5) and lat == pytest.approx(38.115556, abs=1e-5)
    near = r.georadius("Sicily", 15, 37, 200, unit="km", withdist=True, withcoord=True,
                       sort="ASC")
    assert [m[0] for m in near] == [b"Catania", b"Palermo"]
    assert near[0][1] == pytest.approx(56.4413)
    assert r.georadiusbymember("Sicily", "Palermo", 200, unit="km", sort="DESC") == [
        b"Catania", b"Palermo"]
    assert r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400, unit="km",
                       sort="ASC", count=1) == [b"Catania"]
    assert r.geosearch("Sicily", member="Palermo", radius=10, unit="km") == [b"Palermo"]
    assert r.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=100, unit="km",
                            storedist=True) == 1
    assert r.zrange("near", 0, -1, withscores=True)[0][0] == b"Catania"
    assert r.georadius("Sicily", 15, 37, 200, unit="km", store="stored") == 2
    assert r.zcard("stored") == 2


def test_sort_helpers(r):
    r.rpush("ids", 3, 1, 2)
    r.mset({"weight_1": 30, "weight_2": 20, "weight_3": 10, "name_1": "a", "name_2": "b"})
    assert r.sort("ids") == [b"1", b"2", b"3"]
    assert r.sort("ids", by="weight_*", get=["#", "name_*"]) == [b"3", None, b"2", b"b", b"1",
                                                                   b"a"]
    assert r.sort("ids", desc=True, start=0, num=2) == [b"3", b"2"]
    assert r.sort("ids", store="sorted") == 3
    assert r.lrange("sorted", 0, -1) == [b"1", b"2", b"3"]
    assert r.sort_ro("ids", alpha=True) == [b"1", b"2", b"3"]
