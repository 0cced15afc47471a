#!/usr/bin/python3
"""throughput.py: redis-benchmark throughput and p99 latency, Mnemo against Redis (issue 16).

Runs `redis-benchmark -c 50 -n N --csv -t <tests> -P <p> -d <size> [-r 1000000]` against both
servers for every combination of pipeline (1, 16), value size (3, 1024) and key space (one key,
or -r 1000000 random keys): 7 tests x 8 configurations = 56 rows by default. Runs are
interleaved (each configuration runs on Mnemo and on Redis back to back, the order alternating
from run to run), both databases are flushed before each configuration, and the table shows for
every test the median of the per-run Mnemo/Redis ratios, their spread (min..max, the noise), the
median p99 latency of each server, and each server's CPU time per request (all its threads, from
/proc/<pid>/task/*/schedstat; one redis-benchmark per test so that it can be read around each)
with their ratio (Redis/Mnemo: above 1, Mnemo needs less CPU). The last lines are the geometric
means of the median ratios: throughput, then CPU.

On a machine with few cores the servers share CPU with the client: by default both servers are
pinned to CPU 0 and redis-benchmark to CPU 1 (`--server-cpus`, `--client-cpus`, empty to not
pin). Read the ratios, not the absolute numbers; a wide spread means a noisy machine.

Usage: bench/compare/throughput.py [--runs 3] [--requests 200000] [--tests set,get,...]
                                   [--pipelines 1,16] [--sizes 3,1024] [--random both|yes|no]
"""
import argparse
import csv
import io
import math
import os
import statistics
import subprocess

from servers import Pair, pin, table, taskset

DEFAULT_TESTS = "set,get,incr,lpush,sadd,hset,mset"


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in ns (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # a thread that ended
    return total


def bench(server, tests, requests, clients, pipeline, size, random_keys, client_cpus):
    cmd = taskset(client_cpus) + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                                  "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
                                  "-d", str(size), "-t", tests, "--csv"]
    if random_keys:
        cmd += ["-r", "1000000"]
    results = {}
    # One redis-benchmark per test, so that the server's CPU time can be read around each.
    for test in tests.split(","):
        cmd[cmd.index("-t") + 1] = test
        before = cpu_ns(server.proc.pid)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        cpu_us = (cpu_ns(server.proc.pid) - before) / 1000 / requests
        for row in csv.DictReader(io.StringIO(out)):
            name = row["test"].split(" ")[0]  # "MSET (10 keys)" -> MSET
            results[name] = (float(row["rps"]), float(row["p99_latency_ms"]), cpu_us)
    return results


def bench_command(server, argv, requests, clients, pipeline, keyspace, client_cpus):
    """One redis-benchmark of the command `argv` (`__rand_int__` drawn from `keyspace` values):
    (requests per second, the server's CPU time per request in us)."""
    cmd = taskset(client_cpus) + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                                  "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
                                  "-r", str(keyspace), "--csv"] + list(argv)
    before = cpu_ns(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu_us = (cpu_ns(server.proc.pid) - before) / 1000 / requests
    row = next(csv.DictReader(io.StringIO(out)))
    return float(row["rps"]), cpu_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--tests", default=DEFAULT_TESTS)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--sizes", default="3,1024")
    ap.add_argument("--random", choices=["both", "yes", "no"], default="both")
    ap.add_argument("--server-cpus", default="0" if os.cpu_count() >= 2 else "")
    ap.add_argument("--client-cpus", default="1" if os.cpu_count() >= 2 else "")
    args = ap.parse_args()

    randoms = {"both": [False, True], "yes": [True], "no": [False]}[args.random]
    configs = [(p, d, r) for p in map(int, args.pipelines.split(","))
               for d in map(int, args.sizes.split(",")) for r in randoms]
    # samples[(config, test)] = list of (mnemo rps, redis rps, mnemo p99, redis p99)
    samples = {}
    with Pair() as pair:
        for s in pair.both():
            pin(s.proc.pid, args.server_cpus)
        print(f"servers: {pair.mnemo.version()} vs {pair.redis.version()}; "
              f"redis-benchmark -c {args.clients} -n {args.requests} -t {args.tests}; "
              f"{args.runs} interleaved runs; servers on cpus '{args.server_cpus}', client on "
              f"'{args.client_cpus}'; load average before: {os.getloadavg()[0]:.2f}",
              flush=True)
        for run in range(args.runs):
            for config in configs:
                p, d, r = config
                order = pair.both() if (run + configs.index(config)) % 2 == 0 else \
                    list(reversed(pair.both()))
                got = {}
                for s in order:
                    s.client.flushall()
                    got[s.name] = bench(s, args.tests, args.requests, args.clients, p, d, r,
                                        args.client_cpus)
                for test, (m_rps, m_p99, m_cpu) in got["mnemo"].items():
                    r_rps, r_p99, r_cpu = got["redis"][test]
                    samples.setdefault((config, test), []).append(
                        (m_rps, r_rps, m_p99, r_p99, m_cpu, r_cpu))
            print(f"run {run + 1}/{args.runs} done, load average {os.getloadavg()[0]:.2f}",
                  flush=True)

    rows = []
    ratios = []
    cpu_ratios = []
    below_one = 0
    p99_worse = 0
    for (config, test), s in samples.items():
        p, d, r = config
        per_run = [x[0] / x[1] for x in s]
        # Redis CPU per request / Mnemo CPU per request: > 1 when Mnemo needs less CPU.
        cpu_ratio = statistics.median(x[5] / x[4] for x in s if x[4] > 0)
        cpu_ratios.append(cpu_ratio)
        ratio = statistics.median(per_run)
        ratios.append(ratio)
        below_one += ratio < 1.0
        m_p99 = statistics.median(x[2] for x in s)
        r_p99 = statistics.median(x[3] for x in s)
        p99_worse += m_p99 > r_p99
        rows.append([f"-P {p} -d {d}{' -r 1000000' if r else ''}", test,
                     f"{statistics.median(x[0] for x in s):.0f}",
                     f"{statistics.median(x[1] for x in s):.0f}", f"{ratio:.3f}",
                     f"{min(per_run):.2f}..{max(per_run):.2f}", f"{m_p99:.3f}", f"{r_p99:.3f}",
                     f"{statistics.median(x[4] for x in s):.2f}",
                     f"{statistics.median(x[5] for x in s):.2f}", f"{cpu_ratio:.3f}"])
    table(rows, ["config", "test", "mnemo rps", "redis rps", "ratio (median)", "spread",
                 "mnemo p99 ms", "redis p99 ms", "mnemo cpu us/req", "redis cpu us/req",
                 "cpu ratio"])
    geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    cpu_geo = math.exp(sum(math.log(x) for x in cpu_ratios) / len(cpu_ratios))
    print(f"geometric mean of {len(ratios)} ratios: {geo:.3f}; below 1.0: {below_one}; "
          f"p99 worse than Redis: {p99_worse}")
    print(f"geometric mean of the server-CPU ratios (Redis us/req / Mnemo us/req): {cpu_geo:.3f}")


if __name__ == "__main__":
    main()
