# test_memory_advisor.py: MEMORY DOCTOR's findings from the data, and MEMORY ADVISOR, their
# structured form (tests/integration/python).
#
# Each finding is checked on a generated dataset that has its cause (it must appear, with
# figures close to the truth) and on a similar one without it (it must not appear).
import os
import random

import pytest

from conftest import Server


def advise(c):
    """MEMORY ADVISOR as a list of dicts (RESP2 sends each map as a flat array)."""
    out = []
    for flat in c.execute_command("MEMORY", "ADVISOR"):
        d = {}
        for k, v in zip(flat[0::2], flat[1::2]):
            d[k.decode()] = v.decode() if isinstance(v, bytes) else v
        out.append(d)
    return out


def named(findings, name):
    return [f for f in findings if f["finding"] == name]


def load(c, n, make, batch=5000):
    pipe = c.pipeline(transaction=False)
    for i in range(n):
        pipe.execute_command(*make(i))
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


@pytest.fixture
def fresh():
    servers = []

    def start(*args):
        s = Server(list(args))
        servers.append(s)
        return s.client()
    yield start
    for s in servers:
        assert s.stop() == 0


def test_small_instance_has_no_findings(fresh):
    c = fresh()
    c.set("a", "b")
    assert advise(c) == []
    assert c.execute_command("MEMORY", "DOCTOR").startswith(b"This instance is empty")


def test_small_string_keys_under_one_pattern(fresh):
    c = fresh()
    # 200,000 keys: past the 5 MB under which MEMORY DOCTOR (and the advisor) say nothing.
    load(c, 200000, lambda i: ["SET", f"user:{i}:name", f"name-{i % 1000}"])
    f = named(advise(c), "small-string-keys")
    assert len(f) == 1, advise(c)
    f = f[0]
    assert f["pattern"] == "user:*:name"
    assert 160000 <= f["keys"] <= 240000
    # About 39 bytes per key now (a 35-byte slot and a share of the table); as a field
    # "NN:name" and its value in a listpack about 19.
    assert f["bytes_as_hashes"] * 1.8 < f["bytes"]
    info = c.info("memory")
    assert 0.8 * info["used_memory_dataset"] <= f["bytes"] <= 1.3 * info["used_memory"]
    assert "user:*:name" in c.execute_command("MEMORY", "DOCTOR").decode()


def test_no_small_string_finding_for_long_values_or_hashes(fresh):
    c = fresh()
    load(c, 40000, lambda i: ["SET", f"user:{i}:bio", os.urandom(200)])
    load(c, 2000, lambda i: ["HSET", f"profile:{i}", *[x for j in range(50)
                                                       for x in (f"f{j}", f"v{j}")]])
    assert named(advise(c), "small-string-keys") == []


def test_big_keys_are_named(fresh):
    c = fresh()
    for k in range(4):
        load(c, 15000, lambda i: ["RPUSH", f"big:{k}", f"{i:0100d}"])
    load(c, 1000, lambda i: ["SET", f"small:{i}", "v"])
    f = named(advise(c), "big-keys")
    assert len(f) == 1
    names = sorted(k for k in f[0] if k.startswith("db0:"))
    assert names == [f"db0:big:{k}" for k in range(4)]
    for k in range(4):
        usage = c.memory_usage(f"big:{k}", samples=5)
        assert abs(f[0][f"db0:big:{k}"] - usage) <= 0.05 * usage
    assert "`big:0`" in f[0]["text"]


def test_no_big_keys_when_every_key_is_small(fresh):
    c = fresh()
    load(c, 8000, lambda i: ["SET", f"k:{i}", os.urandom(1000)])
    assert named(advise(c), "big-keys") == []


@pytest.mark.parametrize("kind", ["hash", "set"])
def test_collections_just_over_the_listpack_limit(fresh, kind):
    c = fresh()
    c.config_set(f"{kind}-max-listpack-entries", 64)
    if kind == "hash":
        make = lambda i: ["HSET", f"h:{i}", *[x for j in range(100) for x in (f"f{j}", f"v{j}")]]
    else:
        make = lambda i: ["SADD", f"s:{i}", *[f"member:{j}" for j in range(100)]]
    load(c, 5000, make, batch=500)
    assert c.object("encoding", f"{kind[0]}:0") == b"hashtable"
    f = named(advise(c), "near-threshold")
    assert len(f) == 1, advise(c)
    f = f[0]
    assert f["type"] == kind
    assert f["max_entries"] == 100
    assert f["config"] == f"CONFIG SET {kind}-max-listpack-entries 100"
    assert 4000 <= f["keys"] <= 6000
    assert f["bytes_as_listpacks"] * 1.5 < f["bytes"]
    # Following the advice: the collections rewritten under the new limit are listpacks and
    # cost about what was said.
    before = c.info("memory")["used_memory"]
    c.config_set(f"{kind}-max-listpack-entries", 100)
    c.flushall()
    load(c, 5000, make, batch=500)
    assert c.object("encoding", f"{kind[0]}:0") == b"listpack"
    after = c.info("memory")["used_memory"]
    assert after < before
    assert named(advise(c), "near-threshold") == []


def test_no_near_threshold_finding_far_over_the_limit(fresh):
    c = fresh()
    c.config_set("hash-max-listpack-entries", 64)
    load(c, 1500, lambda i: ["HSET", f"h:{i}", *[x for j in range(300)
                                                 for x in (f"f{j}", f"v{j}")]], batch=100)
    assert c.object("encoding", "h:0") == b"hashtable"
    assert named(advise(c), "near-threshold") == []


def test_compressible_values(fresh):
    c = fresh()
    rng = random.Random(5)
    doc = lambda i: ('{"id": %d, "name": "user %d", "email": "user%d@example.com", '
                     '"tags": ["alpha", "beta", "gamma"], "bio": "%s"}'
                     % (i, i, i, " ".join(rng.choice(["lorem", "ipsum", "dolor", "sit", "amet"])
                                          for _ in range(150))))
    load(c, 20000, lambda i: ["SET", f"doc:{i}", doc(i)])
    f = named(advise(c), "compressible")
    assert len(f) == 1, advise(c)
    assert float(f[0]["ratio"]) < 0.75  # a double: a bulk string in RESP2
    assert f[0]["bytes_compressed"] < f[0]["bytes"]
    total = sum(c.strlen(f"doc:{i}") for i in range(0, 20000, 100)) * 100
    assert 0.8 * total <= f[0]["bytes"] <= 1.2 * total


def test_random_bytes_are_not_compressible(fresh):
    c = fresh()
    load(c, 20000, lambda i: ["SET", f"blob:{i}", os.urandom(800)])
    assert named(advise(c), "compressible") == []


def test_keys_without_ttl_under_a_volatile_policy(fresh):
    c = fresh("--maxmemory", "1gb", "--maxmemory-policy", "volatile-lru")
    # 150,000 keys of 43 bytes: past the 5 MB under which the advisor says nothing.
    load(c, 150000, lambda i: ["SET", f"k:{i}", "x" * 20])
    f = named(advise(c), "keys-without-ttl")
    assert len(f) == 1 and f[0]["keys_without_ttl"] == 150000
    load(c, 150000, lambda i: ["EXPIRE", f"k:{i}", 100000])
    assert named(advise(c), "keys-without-ttl") == []


def test_doctor_text_is_the_findings_text(fresh):
    c = fresh()
    load(c, 150000, lambda i: ["SET", f"session:{i}", "x"])
    doctor = c.execute_command("MEMORY", "DOCTOR").decode()
    findings = advise(c)
    assert findings, doctor
    for f in findings:
        assert f["text"].split(":")[0] in doctor
    assert [f["finding"] for f in findings][-1] == "where-data"
