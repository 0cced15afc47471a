#!/usr/bin/python3
"""strings.py: memory per key and throughput, Mnemo against Redis in one run (issue 2).

1. Loads N keys "key:%08d" into both servers (pipelined) and prints used_memory per key for
   each and the ratio. --values picks the dataset: 16 (default: 16-byte values; target Mnemo
   <= 62 bytes/key, Redis 7.0.15 with Debian's jemalloc uses 104), 100 (100-byte values), or
   int (the integers i % 10000, which Redis shares). --ttl loads the dataset a second time
   with a TTL of one day on every key (SET ... EX 86400) and prints that too, and the TTL's
   cost per key (the difference).
2. Runs `redis-benchmark -q -t set,get,incr,mset -P 16` against both and prints requests per
   second and the ratio (skipped with --memory-only). The machine is shared: read the ratio,
   not the absolute numbers.

Usage: bench/compare/strings.py [--keys 1000000] [--requests 1000000] [--values 16|100|int]
                                [--ttl] [--memory-only]
"""
import argparse
import re
import subprocess

from servers import Pair, table


def value_of(i, values):
    if values == "int":
        return str(i % 10000)
    return f"{i:0{int(values)}d}"


def load(server, n, values="16", batch=10000, ttl=None):
    pipe = server.client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"key:{i:08d}", value_of(i, values), ex=ttl)
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def bench(server, tests, requests, pipeline):
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-q", "-t", tests,
                          "-n", str(requests), "-P", str(pipeline)],
                         capture_output=True, text=True, check=True).stdout
    rps = {}
    for m in re.finditer(r"([A-Z]+)(?: \(10 keys\))?: ([\d.]+) requests per second", out):
        rps[m.group(1)] = float(m.group(2))
    return rps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=1000000)
    ap.add_argument("--values", choices=["16", "100", "int"], default="16")
    ap.add_argument("--ttl", action="store_true")
    ap.add_argument("--memory-only", action="store_true")
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        per_key = {}
        for s in p.both():
            before = s.used_memory()
            load(s, args.keys, args.values)
            assert s.client.dbsize() == args.keys
            per_key[s.name] = (s.used_memory() - before) / args.keys
        what = "integer 0..9999" if args.values == "int" else f"{args.values}-byte value"
        rows.append([f"used_memory per key ({args.keys} x 12-byte key, {what})",
                     f"{per_key['mnemo']:.1f}", f"{per_key['redis']:.1f}",
                     f"{per_key['mnemo'] / per_key['redis']:.3f}"])
        if args.ttl:
            with_ttl = {}
            for s in p.both():
                s.client.flushall()
                before = s.used_memory()
                load(s, args.keys, args.values, ttl=86400)
                assert s.client.dbsize() == args.keys
                with_ttl[s.name] = (s.used_memory() - before) / args.keys
            rows.append(["used_memory per key, the same with a TTL (EX 86400)",
                         f"{with_ttl['mnemo']:.1f}", f"{with_ttl['redis']:.1f}",
                         f"{with_ttl['mnemo'] / with_ttl['redis']:.3f}"])
            # (+ 0.0: a difference that rounds to zero prints as 0.0, not -0.0)
            cost = {n: round(with_ttl[n] - per_key[n], 1) + 0.0 for n in per_key}
            rows.append(["the TTL's cost per key", f"{cost['mnemo']:.1f}", f"{cost['redis']:.1f}",
                         f"{cost['mnemo'] / cost['redis']:.3f}" if cost["redis"] else "n/a"])
        if args.memory_only:
            table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])
            return
        for s in p.both():
            s.client.flushall()
        results = {s.name: bench(s, "set,get,incr,mset", args.requests, 16) for s in p.both()}
        for t in ["SET", "GET", "INCR", "MSET"]:
            m, r = results["mnemo"].get(t, 0), results["redis"].get(t, 0)
            rows.append([f"redis-benchmark -P 16 {t} (requests/s)", f"{m:.0f}", f"{r:.0f}",
                         f"{m / r:.3f}" if r else "n/a"])
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
