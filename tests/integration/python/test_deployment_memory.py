# scripts/deployment_memory.py against three Mnemo servers behind Debian's twemproxy (nutcracker):
# skewed data with distinct prefixes goes through the proxy, then the script reads the
# nutcracker config and reports every node. Its figures must be INFO's, its prefix sizes the sum
# of MEMORY USAGE over those keys (the sample covers every key), its ranking the true one, and
# its warning only on the node within --warn-pct of maxmemory.
import os
import re
import socket
import subprocess
import sys
import time

import redis

from conftest import Server, free_port, stop_process

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts",
                      "deployment_memory.py")

# prefix: (keys, value bytes). Sizes far apart, so the ranking is the same on every node.
PREFIXES = {"img": (400, 4000), "user": (900, 400), "sess": (1500, 20)}


def start_nutcracker(tmp_path, servers):
    port = free_port()
    conf = tmp_path / "nutcracker.yml"
    conf.write_text(
        "shards:\n"
        f"  listen: 127.0.0.1:{port}\n"
        "  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n"
        "  auto_eject_hosts: false\n  timeout: 5000\n  servers:\n"
        + "".join(f"    - 127.0.0.1:{s.port}:1 node{i}\n" for i, s in enumerate(servers)))
    proxy = subprocess.Popen(["nutcracker", "-c", str(conf), "-s", str(free_port()),
                              "-o", str(tmp_path / "nutcracker.log")])
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proxy, port, conf
        except OSError:
            assert proxy.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)


def run_script(*args):
    out = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode in (0, 2), out.stdout + out.stderr
    return out.returncode, out.stdout


def parse_report(text):
    """{address: {field: value, "prefixes": [(prefix, bytes, keys)], "warning": bool}}"""
    nodes = {}
    node = None
    for line in text.splitlines():
        m = re.match(r"node (\S+) \((.*)\)$", line)
        if m:
            node = nodes.setdefault(m.group(1), {"label": m.group(2), "prefixes": [],
                                                 "warning": False})
            continue
        if node is None:
            continue
        m = re.match(r"  (used_memory|maxmemory|evicted_keys|keys): (\d+)", line)
        if m:
            node[m.group(1)] = int(m.group(2))
        m = re.match(r"  headroom: (-?\d+) bytes \((-?[\d.]+)%\)", line)
        if m:
            node["headroom"], node["headroom_pct"] = int(m.group(1)), float(m.group(2))
        m = re.match(r"  maxmemory_policy: (\S+)", line)
        if m:
            node["policy"] = m.group(1)
        m = re.match(r"  hottest prefixes \(sampled (\d+) of", line)
        if m:
            node["sampled"] = int(m.group(1))
        m = re.match(r"    (.+): (\d+) bytes .*, (\d+) keys, ([\d.]+)%$", line)
        if m:
            node["prefixes"].append((m.group(1), int(m.group(2)), int(m.group(3))))
        if line.startswith("  WARNING "):
            node["warning"] = True
        if line.startswith("deployment:"):
            node = None
    return nodes


def test_deployment_memory_report_over_nutcracker(tmp_path):
    servers = [Server(["--save", ""]) for _ in range(3)]
    proxy = None
    try:
        proxy, port, conf = start_nutcracker(tmp_path, servers)
        through = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        for prefix, (count, size) in PREFIXES.items():
            pipe = through.pipeline(transaction=False)
            for i in range(count):
                pipe.set(f"{prefix}:{i}", "v" * size)
            pipe.execute()
        direct = [s.client() for s in servers]
        assert all(c.dbsize() > 100 for c in direct)  # every node holds a share

        # Node 2 evicts a few keys, then gets room again; node 0 is left within 10% of its limit;
        # node 1 has no limit.
        c2 = direct[2]
        c2.config_set("maxmemory-policy", "allkeys-random")
        c2.config_set("maxmemory", int(c2.info("memory")["used_memory"]) - 200_000)
        for i in range(20):
            c2.set(f"evict-trigger:{i}", "x")
        assert int(c2.info("stats")["evicted_keys"]) > 0
        c2.config_set("maxmemory", int(c2.info("memory")["used_memory"]) * 2)
        c0 = direct[0]
        c0.config_set("maxmemory-policy", "volatile-lru")
        c0.config_set("maxmemory", int(int(c0.info("memory")["used_memory"]) * 1.05))
        c1 = direct[1]
        c1.config_set("maxmemory", 0)

        before = [c.info() for c in direct]
        code, text = run_script("--twemproxy", str(conf), "--sample", "100000", "--top", "10",
                                "--warn-pct", "10")
        after = [c.info() for c in direct]
        report = parse_report(text)
        assert code == 2, text  # a node is near its limit
        assert len(report) == 3, text
        for i, s in enumerate(servers):
            node = report[f"127.0.0.1:{s.port}"]
            assert node["label"] == f"pool shards, server node{i}"
            b, a = before[i], after[i]
            # used_memory moves a little with the script's own connections.
            lo, hi = sorted((int(b["used_memory"]), int(a["used_memory"])))
            assert lo - 65536 <= node["used_memory"] <= hi + 65536, (node, lo, hi)
            assert node["maxmemory"] == int(a["maxmemory"])
            assert node["policy"] == a["maxmemory_policy"]
            assert node["evicted_keys"] == int(a["evicted_keys"])
            keys = direct[i].dbsize()
            assert node["keys"] == keys and node["sampled"] == keys
            if node["maxmemory"]:
                assert node["headroom"] == node["maxmemory"] - node["used_memory"]
                assert abs(node["headroom_pct"] -
                           100 * node["headroom"] / node["maxmemory"]) < 0.06
            assert node["warning"] == (i == 0), text
            # Every key sampled: each prefix's bytes and keys are exact.
            truth = {}
            for key in direct[i].scan_iter(count=1000):
                prefix = key.decode().split(":", 1)[0]
                t = truth.setdefault(prefix, [0, 0])
                t[0] += direct[i].memory_usage(key)
                t[1] += 1
            assert {p: (size, n) for p, size, n in node["prefixes"]} == \
                {p: tuple(t) for p, t in truth.items()}, text
            ranking = [p for p, _, _ in node["prefixes"]]
            assert ranking == sorted(truth, key=lambda p: -truth[p][0])
            assert ranking[:3] == ["img", "user", "sess"]
        assert int(after[2]["evicted_keys"]) > 0
        assert report[f"127.0.0.1:{servers[1].port}"]["maxmemory"] == 0
        assert f"nodes near maxmemory: 127.0.0.1:{servers[0].port}" in text

        # A sample of 150 keys per node: estimated from it, the ranking still holds and the
        # estimated keys add up to the keyspace.
        code, text = run_script("--nodes", *[f"127.0.0.1:{s.port}" for s in servers],
                                "--sample", "150", "--warn-pct", "1")
        assert code == 0, text  # no node is within 1% of its limit
        report = parse_report(text)
        for i, s in enumerate(servers):
            node = report[f"127.0.0.1:{s.port}"]
            assert node["label"] == "listed" and node["sampled"] == 150
            assert [p for p, _, _ in node["prefixes"]][:3] == ["img", "user", "sess"], text
            assert abs(sum(n for _, _, n in node["prefixes"]) - direct[i].dbsize()) <= 3
            assert not node["warning"]
    finally:
        if proxy is not None:
            stop_process(proxy)
        for s in servers:
            s.stop()


def test_deployment_memory_report_from_sentinel(tmp_path):
    # Debian's redis-sentinel monitors a Mnemo primary with one Mnemo replica: the script asks it
    # for the master and its replicas and reports both.
    primary = Server(["--save", ""])
    replica = Server(["--save", "", "--replicaof", "127.0.0.1", str(primary.port)])
    sentinel = None
    try:
        p = primary.client()
        pipe = p.pipeline(transaction=False)
        for i in range(300):
            pipe.set(f"order:{i}", "o" * 200)
        for i in range(50):
            pipe.set(f"tag:{i}", "t")
        pipe.execute()
        deadline = time.monotonic() + 30
        while replica.client().dbsize() != 350:
            assert time.monotonic() < deadline, "the replica did not sync"
            time.sleep(0.05)
        port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                        f"sentinel monitor shard1 127.0.0.1 {primary.port} 1\n")
        sentinel = subprocess.Popen(["redis-sentinel", str(conf)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        s = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        deadline = time.monotonic() + 30
        while True:  # the sentinel finds the replica through the primary's INFO (every 10 s)
            try:
                if len(s.sentinel_slaves("shard1")) == 1:
                    break
            except redis.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the sentinel did not see the replica"
            time.sleep(0.2)
        code, text = run_script("--sentinel", f"127.0.0.1:{port}", "--master", "shard1",
                                "--sample", "10000")
        assert code == 0, text
        report = parse_report(text)
        assert set(report) == {f"127.0.0.1:{primary.port}", f"127.0.0.1:{replica.port}"}, text
        assert report[f"127.0.0.1:{primary.port}"]["label"] == "shard1 master"
        assert report[f"127.0.0.1:{replica.port}"]["label"] == "shard1 replica"
        for server in (primary, replica):
            node = report[f"127.0.0.1:{server.port}"]
            assert node["keys"] == 350 and node["sampled"] == 350
            assert [(name, n) for name, _, n in node["prefixes"]] == [("order", 300), ("tag", 50)]
            used = int(server.client().info("memory")["used_memory"])
            assert abs(node["used_memory"] - used) <= 65536, (node, used)
    finally:
        if sentinel is not None:
            stop_process(sentinel)
        replica.stop()
        primary.stop()
