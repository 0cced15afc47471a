# Cluster mode as one node owning every slot (cmd/cluster.h), side by side with redis-server
# 7.0.15 in cluster mode with slots 0-16383 assigned to itself; redis-py's RedisCluster and
# redis-cli -c against Mnemo.
import os
import subprocess
import time

import pytest
import redis
from redis.cluster import RedisCluster

from conftest import Reference, Server, free_port

COMMANDS = [
    ("SET", "a", "1"), ("MSET", "a", "1", "b", "2"), ("MSET", "{u}a", "1", "{u}b", "2"),
    ("MGET", "{u}a", "{u}b"), ("MGET", "a", "b"), ("DEL", "{u}a", "{u}b"), ("SELECT", "0"),
    ("SELECT", "1"), ("SWAPDB", "0", "1"), ("MOVE", "a", "1"), ("COPY", "a", "{a}x", "DB", "1"),
    ("COPY", "a", "{a}x"), ("RENAME", "a", "b"), ("SUNIONSTORE", "{s}d", "{s}a", "{s}b"),
    ("SUNIONSTORE", "d", "{s}a"), ("CLUSTER", "KEYSLOT", "{user}:1"), ("CLUSTER", "KEYSLOT", "{}a"),
    ("CLUSTER", "KEYSLOT", "a{b}c"), ("CLUSTER", "KEYSLOT", "{{b}}"),
    ("CLUSTER", "COUNTKEYSINSLOT", "16384"), ("CLUSTER", "COUNTKEYSINSLOT", "abc"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "-1"), ("CLUSTER", "GETKEYSINSLOT", "0", "0"),
    ("CLUSTER", "LINKS"), ("CLUSTER", "REPLICAS", "x"), ("CLUSTER", "COUNT-FAILURE-REPORTS", "x"),
    ("CLUSTER", "NOSUCH"), ("READONLY",), ("READWRITE",), ("ASKING",),
    ("EVAL", "return 1", "2", "a", "b"), ("EVAL", "return 1", "2", "{a}1", "{a}2"),
    ("SPUBLISH", "a", "x"), ("BLPOP", "a", "b", "0"), ("ZUNIONSTORE", "{z}d", "2", "{z}a", "{z}b"),
    ("ZUNIONSTORE", "d", "2", "{z}a", "{z}b"), ("RPUSH", "l", "2", "1"), ("SORT", "l", "BY", "w_*"),
    ("SORT", "l", "BY", "nosort"), ("SORT", "l", "GET", "#"), ("SORT_RO", "l", "GET", "k_*"),
    ("SORT", "l", "LIMIT", "0", "1"),
]


def reply(c, args):
    try:
        return c.execute_command(*args)
    except redis.ResponseError as e:
        return "ERR:" + str(e)


@pytest.fixture
def pair(tmp_path):
    # A bus port of their own: port + 10000 may be past 65535 (Redis then refuses to start).
    mnemo = Server(["--cluster-enabled", "yes", "--save", "", "--cluster-port", str(free_port())])
    ref = Reference(["--cluster-enabled", "yes", "--cluster-port", str(free_port())])
    rc = ref.client()
    rc.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    deadline = time.monotonic() + 10
    while rc.execute_command("CLUSTER", "INFO").find(b"cluster_state:ok") < 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield mnemo, ref
    mnemo.stop()
    ref.stop()


def test_replies_match_redis_in_cluster_mode(pair):
    mnemo, ref = pair
    m, r = mnemo.client(), ref.client()
    for args in COMMANDS:
        assert reply(m, args) == reply(r, args), args
    # The slot counts follow writes, deletes and FLUSHALL.
    for c in (m, r):
        c.mset({"{x}1": "a", "{x}2": "b", "{x}3": "c"})
        c.delete("{x}3")
    slot = r.execute_command("CLUSTER", "KEYSLOT", "x")
    assert m.execute_command("CLUSTER", "KEYSLOT", "x") == slot
    for c in (m, r):
        assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 2
        assert sorted(c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)) == [b"{x}1", b"{x}2"]
        assert len(c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1)) == 1
    m.flushall()
    assert m.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    # CLUSTER INFO is the same text; INFO cluster says it is on.
    assert m.execute_command("CLUSTER", "INFO") == r.execute_command("CLUSTER", "INFO")
    assert m.info("cluster") == r.info("cluster") == {"cluster_enabled": 1}


def test_transactions_across_slots_fail_at_exec_as_in_redis(pair):
    mnemo, ref = pair
    for server in (mnemo, ref):
        c = server.client()
        p = c.pipeline(transaction=True)
        p.set("a", 1).set("b", 2)
        with pytest.raises(redis.ResponseError, match="CROSSSLOT"):
            p.execute()
        # A cross-slot command queued aborts the transaction (EXECABORT).
        p = c.pipeline(transaction=True)
        p.mset({"a": 1, "b": 2}).set("c", 1)
        with pytest.raises(redis.ResponseError):
            p.execute()
        assert c.exists("c") == 0
        # One slot: runs.
        p = c.pipeline(transaction=True)
        p.set("{t}a", 1).set("{t}b", 2)
        assert p.execute() == [True, True]


def test_topology_replies_have_redis_shapes_and_the_node_id_survives_a_restart(tmp_path):
    bus = free_port()
    server = Server(["--cluster-enabled", "yes", "--save", "", "--cluster-port", str(bus)],
                    workdir=str(tmp_path))
    try:
        c = server.client()
        node_id = c.execute_command("CLUSTER", "MYID").decode()
        assert len(node_id) == 40 and all(ch in "0123456789abcdef" for ch in node_id)
        port = server.port
        assert c.execute_command("CLUSTER", "SLOTS") == [[0, 16383, [b"", port, node_id.encode(), []]]]
        nodes = c.execute_command("CLUSTER", "NODES").decode()
        assert nodes == f"{node_id} :{port}@{bus} myself,master - 0 0 0 connected 0-16383\n"
        shards = c.execute_command("CLUSTER", "SHARDS")
        assert shards[0][0] == b"slots" and shards[0][1] == [0, 16383]
        node = dict(zip(shards[0][3][0][::2], shards[0][3][0][1::2]))
        assert node[b"id"] == node_id.encode() and node[b"role"] == b"master"
        # The offset moves once a replica is attached and writes flow (0 before, as in Redis).
        replica = Server(["--save", "", "--replicaof", "127.0.0.1", str(server.port)])
        try:
            deadline = time.monotonic() + 20
            while c.info("replication")["connected_slaves"] != 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            c.set("k", "v")
            before = c.info("replication")["master_repl_offset"]
            shards = c.execute_command("CLUSTER", "SHARDS")
            node = dict(zip(shards[0][3][0][::2], shards[0][3][0][1::2]))
            after = c.info("replication")["master_repl_offset"]  # a replication PING may fall between
            assert 0 < before <= node[b"replication-offset"] <= after
        finally:
            replica.stop()
        text = (tmp_path / "nodes.conf").read_text()
        assert text.startswith(node_id + " ") and "vars currentEpoch 0 lastVoteEpoch 0" in text
        # A second server on the same nodes file is refused (the file is locked).
        proc = subprocess.run(
            [os.environ["MNEMO_SERVER"], "--port", "0", "--dir", str(tmp_path),
             "--cluster-enabled", "yes", "--cluster-port", str(bus)],
            capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0
        assert "already used by a different Redis Cluster node" in proc.stdout + proc.stderr
        c.execute_command("CONFIG", "SET", "cluster-announce-ip", "127.0.0.1")
        assert c.execute_command("CLUSTER", "SLOTS")[0][2][0] == b"127.0.0.1"
    finally:
        server.stop()
    again = Server(["--cluster-enabled", "yes", "--save", "", "--cluster-port", str(bus)],
                   workdir=str(tmp_path))
    try:
        assert again.client().execute_command("CLUSTER", "MYID").decode() == node_id
    finally:
        again.stop()


def test_cluster_commands_are_refused_without_cluster_mode(r):
    for args in (("CLUSTER", "INFO"), ("CLUSTER", "SLOTS"), ("READONLY",), ("ASKING",)):
        with pytest.raises(redis.ResponseError, match="cluster support disabled"):
            r.execute_command(*args)
    r.mset({"a": 1, "b": 2})  # no slot rule
    assert r.info("cluster") == {"cluster_enabled": 0}


def test_cluster_clients_work(pair):
    mnemo, _ = pair
    rc = RedisCluster(host="127.0.0.1", port=mnemo.port)
    for i in range(200):
        rc.set(f"key:{i}", i)
    assert [int(v) for v in rc.mget_nonatomic([f"key:{i}" for i in range(200)])] == list(range(200))
    assert mnemo.client().dbsize() == 200
    out = subprocess.run(["redis-cli", "-c", "-p", str(mnemo.port), "SET", "cli", "x"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "OK"
    assert mnemo.client().get("cli") == b"x"
