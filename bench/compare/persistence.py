#!/usr/bin/python3
"""persistence.py: RDB snapshots, Mnemo against Redis in one run (issue 12).

For each dataset (1M small strings, 100k small hashes, 100k small sorted sets, all in their
compact encodings, as a cache holds them), loaded the same way into both servers:
  1. SAVE: wall time of the command (a synchronous save on both) and the size of dump.rdb;
  2. load at start: each server is stopped and started again on its own file (--restarts times,
     the fastest kept); the time from the start of the process until it answers PING, and the
     "DB loaded from disk" time it logs. Redis loads once more with sanitize-dump-payload yes,
     the deep validation Mnemo always does, for reference.
  3. AOF: SET throughput (redis-benchmark, random keys, 16-byte values) with appendonly yes and
     appendfsync everysec, then always, without and with pipelining (target: mnemo/redis >= 1).
     With always, Redis and Mnemo both fsync once per event-loop iteration for all the writes of
     that iteration (group commit), so the figure depends on the disk's fsync latency.
Prints each figure and the ratio mnemo/redis (target: <= 1 for times and sizes). The machine is
shared: run it twice and read the ratios, not the absolute numbers.

Usage: bench/compare/persistence.py [--strings 1000000] [--hashes 100000] [--zsets 100000]
                                    [--restarts 3] [--aof-requests 200000] [--clients 50]
                                    [--only-aof | --no-aof]
"""
import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time

from servers import Pair, Server, table


def load_strings(s, n, batch=10000):
    p = s.client.pipeline(transaction=False)
    for i in range(n):
        p.set(f"key:{i:08d}", f"{i:016d}")
        if (i + 1) % batch == 0:
            p.execute()
    p.execute()


def load_hashes(s, n, fields=10, batch=2000):
    p = s.client.pipeline(transaction=False)
    for i in range(n):
        p.hset(f"hash:{i:08d}", mapping={f"field{j}": f"value-{i}-{j}" for j in range(fields)})
        if (i + 1) % batch == 0:
            p.execute()
    p.execute()


def load_zsets(s, n, members=10, batch=2000):
    p = s.client.pipeline(transaction=False)
    for i in range(n):
        p.zadd(f"zset:{i:08d}", {f"member-{j}": (i * 7 + j * 13) % 1000 / 4 for j in range(members)})
        if (i + 1) % batch == 0:
            p.execute()
    p.execute()


def timed_save(s):
    start = time.perf_counter()
    assert s.client.save()
    return time.perf_counter() - start


def restart_and_time(s, restarts, extra=()):
    """Stops `s` and starts the same server on its directory, `restarts` times; returns (the last
    server, the fewest wall seconds until PING answered, the shortest load time it logged)."""
    walls, logged = [], []
    for _ in range(restarts):
        s.stop()
        start = time.perf_counter()
        t = Server(s.name, ["--dir", s.dir, *extra])
        walls.append(time.perf_counter() - start)
        with open(os.path.join(t.dir, "log")) as f:
            m = re.search(r"DB loaded from disk: ([\d.]+) seconds", f.read())
        logged.append(float(m.group(1)) if m else float("nan"))
        t.dir = s.dir  # the next restart loads the same file
        s = t
    return s, min(walls), min(logged)


def set_rps(server, requests, clients, pipeline):
    """SET requests per second of redis-benchmark on `server` (random keys of 100k)."""
    out = subprocess.run(
        [shutil.which("redis-benchmark"), "-h", "127.0.0.1", "-p", str(server.port), "-n",
         str(requests), "-c", str(clients), "-P", str(pipeline), "-r", "100000", "-d", "16", "-q",
         "-t", "set"],
        check=True, capture_output=True, text=True).stdout
    found = re.findall(r"([0-9.]+) requests per second", out)
    if not found:
        raise RuntimeError(f"unexpected redis-benchmark output: {out!r}")
    return float(found[-1])


def aof_rows(requests, clients):
    rows = []
    for policy in ("everysec", "always"):
        for pipeline in (1, 16):
            with Pair(["--appendonly", "yes", "--appendfsync", policy]) as p:
                figures = {s.name: set_rps(s, requests, clients, pipeline) for s in p.both()}
                for s in p.both():
                    assert s.client.info("persistence")["aof_enabled"] == 1
                    assert s.client.info("persistence")["aof_last_write_status"] == "ok"
            m, r = figures["mnemo"], figures["redis"]
            rows.append([f"AOF SET/s, appendfsync {policy}, {clients} clients, pipeline {pipeline}",
                         f"{m:.0f}", f"{r:.0f}", f"{m / r:.3f}"])
    return rows


def main():
    # Every server directory (dump files of up to ~30 MB each) goes under one private directory,
    # removed at the end.
    tempfile.tempdir = tempfile.mkdtemp(prefix="bench-persistence-")
    try:
        run()
    finally:
        workdir, tempfile.tempdir = tempfile.tempdir, None
        shutil.rmtree(workdir, ignore_errors=True)


def run():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strings", type=int, default=1000000)
    ap.add_argument("--hashes", type=int, default=100000)
    ap.add_argument("--zsets", type=int, default=100000)
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--aof-requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--only-aof", action="store_true")
    ap.add_argument("--no-aof", action="store_true")
    args = ap.parse_args()
    if args.only_aof:
        table(aof_rows(args.aof_requests, args.clients), ["measure", "mnemo", "redis", "mnemo/redis"])
        return
    datasets = [
        (f"{args.strings} strings (12-byte key, 16-byte value)", load_strings, args.strings),
        (f"{args.hashes} hashes (10 fields, listpack)", load_hashes, args.hashes),
        (f"{args.zsets} zsets (10 members, listpack)", load_zsets, args.zsets),
    ]
    rows = []
    for title, loader, n in datasets:
        with Pair() as p:
            if not rows:
                print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
            figures = {}
            for s in p.both():
                loader(s, n)
                assert s.client.dbsize() == n
                save_s = timed_save(s)
                size = os.path.getsize(os.path.join(s.dir, "dump.rdb"))
                t, wall, logged = restart_and_time(s, args.restarts)
                assert t.client.dbsize() == n, f"{s.name} lost keys on reload"
                if s is p.mnemo:
                    p.mnemo = t
                else:
                    p.redis = t
                figures[s.name] = (save_s, size, wall, logged)
            p.redis, _, sanitized = restart_and_time(p.redis, args.restarts,
                                                     ["--sanitize-dump-payload", "yes"])
            assert p.redis.client.dbsize() == n
            m, r = figures["mnemo"], figures["redis"]
            rows.append([f"{title}: SAVE seconds", f"{m[0]:.3f}", f"{r[0]:.3f}",
                         f"{m[0] / r[0]:.3f}"])
            rows.append([f"{title}: dump.rdb bytes", m[1], r[1], f"{m[1] / r[1]:.3f}"])
            rows.append([f"{title}: start until PING, seconds", f"{m[2]:.3f}", f"{r[2]:.3f}",
                         f"{m[2] / r[2]:.3f}"])
            rows.append([f"{title}: logged load seconds", f"{m[3]:.3f}", f"{r[3]:.3f}",
                         f"{m[3] / r[3]:.3f}" if r[3] > 0 else "n/a"])
            rows.append([f"{title}: logged load seconds, Redis sanitize-dump-payload yes",
                         f"{m[3]:.3f}", f"{sanitized:.3f}",
                         f"{m[3] / sanitized:.3f}" if sanitized > 0 else "n/a"])
    if not args.no_aof:
        rows += aof_rows(args.aof_requests, args.clients)
    table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
