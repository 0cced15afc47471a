# Sharding across three Mnemo servers behind Debian's twemproxy (nutcracker), as
# docs/scaling.md configures it: mixed commands and redis-benchmark through the proxy, and the
# keys spread over every server.
import socket
import subprocess
import time

import redis

from conftest import Server, free_port, stop_process


def test_keys_spread_over_mnemo_servers_behind_nutcracker(tmp_path):
    servers = [Server(["--save", ""]) for _ in range(3)]
    proxy = None
    try:
        port = free_port()
        conf = tmp_path / "nutcracker.yml"
        conf.write_text(
            "mnemo:\n"
            f"  listen: 127.0.0.1:{port}\n"
            "  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n"
            "  auto_eject_hosts: false\n  timeout: 5000\n  servers:\n"
            + "".join(f"    - 127.0.0.1:{s.port}:1 shard{i}\n" for i, s in enumerate(servers)))
        proxy = subprocess.Popen(["nutcracker", "-c", str(conf), "-s", str(free_port()),
                                  "-o", str(tmp_path / "nutcracker.log")])
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proxy.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        for i in range(300):
            c.set(f"user:{i}", i)
            c.hset(f"h:{i}", mapping={"a": i, "b": "x"})
            c.rpush(f"l:{i % 10}", i)
        assert [int(v) for v in c.mget([f"user:{i}" for i in range(300)])] == list(range(300))
        assert c.hgetall("h:7") == {b"a": b"7", b"b": b"x"}
        assert c.incr("user:5") == 6
        assert c.delete("user:6") == 1 and c.get("user:6") is None
        assert sum(c.llen(f"l:{i}") for i in range(10)) == 300
        sizes = [s.client().dbsize() for s in servers]
        assert sum(sizes) == 299 + 300 + 10
        # The servers are named, so the ketama ring and this split (290/129/190) do not depend on
        # the free ports picked: by address, an unlucky set of ports left one server 10 keys.
        assert all(n > 50 for n in sizes), sizes  # every server holds a share
        out = subprocess.run(
            ["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", "5000", "-c", "10",
             "-r", "1000", "-q"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "SET:" in out.stdout and "GET:" in out.stdout, out.stdout
        assert all(s.client().dbsize() > sizes[i] for i, s in enumerate(servers))
    finally:
        if proxy is not None:
            stop_process(proxy)
        for s in servers:
            s.stop()
