#!/usr/bin/python3
"""twemproxy.py: SET/GET throughput through twemproxy (nutcracker) in front of two Mnemo servers
against the same in front of two redis-servers (issue 14, docs/scaling.md).

One run: two mnemo-servers and two redis-servers on loopback ports, one nutcracker pool for each
pair (ketama, fnv1a_64, as docs/scaling.md configures it), then redis-benchmark -t set,get
(--requests, --clients, -r --keyspace, -d --value-size, -P each of --pipelines) through each
proxy, the two pools in turn (Mnemo, Redis, Mnemo, Redis, ... --rounds times): the median
requests/s of each, its p50 and p99 latency (redis-benchmark's own), and Mnemo/Redis.
Usage: MNEMO_SERVER=build/bin/mnemo-server bench/compare/twemproxy.py [--requests 200000]
           [--clients 50] [--keyspace 100000] [--value-size 100] [--pipelines 1,16] [--rounds 3]
"""
import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from servers import Server, free_port, table


class Proxy:
    """nutcracker with one pool over `servers`, stopped by PID."""

    def __init__(self, servers, workdir, name):
        self.port = free_port()
        conf = os.path.join(workdir, f"{name}.yml")
        with open(conf, "w") as f:
            f.write(f"{name}:\n  listen: 127.0.0.1:{self.port}\n  hash: fnv1a_64\n"
                    "  distribution: ketama\n  redis: true\n  auto_eject_hosts: false\n"
                    "  timeout: 5000\n  servers:\n" +
                    "".join(f"    - 127.0.0.1:{s.port}:1 shard{i}\n" for i, s in enumerate(servers)))
        self.proc = subprocess.Popen(
            [shutil.which("nutcracker") or "/usr/sbin/nutcracker", "-c", conf,
             "-s", str(free_port()), "-o", os.path.join(workdir, f"{name}.log")])
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("nutcracker did not start")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def benchmark(port, args, pipeline):
    """{"SET": (rps, p50 ms, p99 ms), "GET": ...} from redis-benchmark --csv."""
    out = subprocess.run(
        [shutil.which("redis-benchmark"), "-h", "127.0.0.1", "-p", str(port), "-t", "set,get",
         "-n", str(args.requests), "-c", str(args.clients), "-r", str(args.keyspace),
         "-d", str(args.value_size), "-P", str(pipeline), "--csv"],
        capture_output=True, text=True, timeout=600, check=True)
    result = {}
    for row in csv.DictReader(io.StringIO(out.stdout)):
        result[row["test"]] = (float(row["rps"]), float(row["p50_latency_ms"]),
                               float(row["p99_latency_ms"]))
    assert set(result) == {"SET", "GET"}, out.stdout
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    pipelines = [int(p) for p in args.pipelines.split(",")]
    workdir = tempfile.mkdtemp(prefix="bench-twemproxy-")
    tempfile.tempdir = workdir
    started = []
    try:
        pools = {}
        for name in ("mnemo", "redis"):
            pair = [Server(name), Server(name)]
            started += pair
            proxy = Proxy(pair, workdir, name)
            started.append(proxy)
            pools[name] = (pair, proxy)
        runs = {(name, p): [] for name in pools for p in pipelines}
        for _ in range(args.rounds):
            for p in pipelines:
                for name, (_, proxy) in pools.items():
                    runs[(name, p)].append(benchmark(proxy.port, args, p))
        spread = {name: [s.client.dbsize() for s in pair] for name, (pair, _) in pools.items()}
        versions = {name: pair[0].version() for name, (pair, _) in pools.items()}
    finally:
        for x in started:
            x.stop()
        tempfile.tempdir = None
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"redis-benchmark -t set,get -n {args.requests} -c {args.clients} -r {args.keyspace} "
          f"-d {args.value_size} -P <p> through nutcracker (ketama, fnv1a_64) over two servers; "
          f"{args.rounds} rounds in turn, medians")
    print("servers: " + " vs ".join(versions.values()) + "; keys per server at the end: " +
          ", ".join(f"{n} {v}" for n, v in spread.items()))
    rows = []
    for p in pipelines:
        for test in ("SET", "GET"):
            m = [r[test] for r in runs[("mnemo", p)]]
            r = [x[test] for x in runs[("redis", p)]]
            med = lambda rs, i: statistics.median(x[i] for x in rs)
            rows.append([f"{test} -P {p}", f"{med(m, 0):.0f}", f"{med(r, 0):.0f}",
                         f"{med(m, 0) / med(r, 0):.3f}",
                         f"{med(m, 1):.3f} / {med(m, 2):.3f}",
                         f"{med(r, 1):.3f} / {med(r, 2):.3f}"])
    table(rows, ["test", "mnemo req/s", "redis req/s", "mnemo/redis", "mnemo p50/p99 ms",
                 "redis p50/p99 ms"])


if __name__ == "__main__":
    main()
