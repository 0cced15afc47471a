#!/usr/bin/python3
"""expiry.py: how soon expired keys nobody reads are reclaimed, Mnemo against Redis in one run.

For each scenario PLAIN/VOLATILE: flushes both servers, loads PLAIN keys without a TTL, then
VOLATILE keys with `SET ... PX <ttl>` (pipelined), and polls `INFO keyspace` every 20 ms until
the database shows no volatile key. Prints the seconds from the end of the load until then
and the server CPU (user + system, /proc/<pid>/stat) spent over that time, for each server,
and Mnemo's ratios. Then, with --idle, loads IDLE keys with a TTL of one hour beside the plain
keys and prints the CPU each server spends over 5 idle seconds (the expiry cycle's cost while
nothing can expire). Then, with --churn RATE, sends RATE `SET ... PX <ttl>` a second to new keys
beside the plain keys for 6 s (in ten paced batches a second) and prints the server CPU over
those seconds and the most volatile keys `INFO keyspace` showed (live and expired ones not yet
reclaimed: at a steady state about RATE x TTL).

Usage: bench/compare/expiry.py [--scenarios 100000/100000,1000000/10000,1000000/1000]
                               [--ttl-ms 1000] [--idle 1000] [--churn 1000]
"""
import argparse
import os
import time

from servers import Pair, table

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(server):
    with open(f"/proc/{server.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS  # utime + stime


def load(server, prefix, n, px=None, batch=10000):
    pipe = server.client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}:{i:08d}", "v" * 16, px=px)
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def volatile_keys(server):
    db0 = server.client.info("keyspace").get("db0")
    return int(db0["expires"]) if db0 else 0


def reclaim(server, plain, volatile, ttl_ms, timeout=120):
    server.client.flushall()
    load(server, "plain", plain)
    load(server, "vol", volatile, px=ttl_ms)
    start = time.monotonic()
    cpu = cpu_ms(server)
    while volatile_keys(server) > 0:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"{server.name}: volatile keys left after {timeout} s")
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    assert server.client.dbsize() == plain
    return elapsed, cpu_ms(server) - cpu


def idle_cpu(server, plain, idle, seconds=5.0):
    server.client.flushall()
    load(server, "plain", plain)
    load(server, "later", idle, px=3600000)
    time.sleep(1.0)
    cpu = cpu_ms(server)
    time.sleep(seconds)
    return cpu_ms(server) - cpu


def churn(server, plain, rate, ttl_ms, seconds=6.0):
    server.client.flushall()
    load(server, "plain", plain)
    batch = max(1, rate // 10)
    pipe = server.client.pipeline(transaction=False)
    start = time.monotonic()
    cpu = cpu_ms(server)
    most = 0
    i = 0
    for tick in range(int(seconds * 10)):
        for _ in range(batch):
            pipe.set(f"churn:{i:08d}", "v" * 16, px=ttl_ms)
            i += 1
        pipe.execute()
        most = max(most, volatile_keys(server))
        delay = start + (tick + 1) / 10 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return cpu_ms(server) - cpu, most


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="100000/100000,1000000/10000,1000000/1000")
    ap.add_argument("--ttl-ms", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--churn", type=int, default=1000)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        for scenario in args.scenarios.split(","):
            plain, volatile = (int(x) for x in scenario.split("/"))
            got = {s.name: reclaim(s, plain, volatile, args.ttl_ms) for s in p.both()}
            (m_s, m_cpu), (r_s, r_cpu) = got["mnemo"], got["redis"]
            rows.append([f"{plain} plain / {volatile} PX {args.ttl_ms}",
                         f"{m_s:.2f} s, {m_cpu:.0f} ms", f"{r_s:.2f} s, {r_cpu:.0f} ms",
                         f"{m_s / r_s:.2f}", f"{m_cpu / r_cpu:.2f}" if r_cpu else "-"])
        if args.idle:
            plain = max(int(s.split("/")[0]) for s in args.scenarios.split(","))
            got = {s.name: idle_cpu(s, plain, args.idle) for s in p.both()}
            rows.append([f"{plain} plain / {args.idle} PX 1 h, 5 s idle",
                         f"{got['mnemo']:.0f} ms", f"{got['redis']:.0f} ms", "-",
                         f"{got['mnemo'] / got['redis']:.2f}" if got["redis"] else "-"])
        if args.churn:
            plain = max(int(s.split("/")[0]) for s in args.scenarios.split(","))
            got = {s.name: churn(s, plain, args.churn, args.ttl_ms) for s in p.both()}
            (m_cpu, m_most), (r_cpu, r_most) = got["mnemo"], got["redis"]
            rows.append([f"{plain} plain, {args.churn} SET PX {args.ttl_ms}/s for 6 s",
                         f"{m_cpu:.0f} ms, expires <= {m_most}",
                         f"{r_cpu:.0f} ms, expires <= {r_most}", "-",
                         f"{m_cpu / r_cpu:.2f}" if r_cpu else "-"])
        table(rows, ["keys until expires=0 (time, server CPU)", "mnemo", "redis",
                     "time ratio", "CPU ratio"])


if __name__ == "__main__":
    main()
