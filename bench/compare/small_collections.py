#!/usr/bin/python3
"""small_collections.py: commands on small hashes and sorted sets, Mnemo against Redis (issue 16).

Small hashes and sorted sets are where Mnemo packs its listpacks into the key's slot
(docs/memory.md, "Listpacks in the slot"): reads unpack them, writes unpack and pack again. This
bench shows what that costs per command. Both servers get the same 1,000 hashes
`h:%012d` of 10 fields (`field0..9` -> `value0..9`) and 1,000 sorted sets `z:%012d` of 10
members (`member:0..9`, scores 0..9), the key names redis-benchmark's `-r 1000` makes of
`__rand_int__`. Then, for every command below, `redis-benchmark -c 50 -P 16 -r 1000 -n N` runs
on each server back to back (the order alternating from run to run), reading each server's CPU
time per request around it (/proc/<pid>/task/*/schedstat). The table shows the medians over the
runs and the ratio Redis/Mnemo of CPU per request (above 1: Mnemo needs less) and Mnemo/Redis
of throughput. The writes keep every key small (HSET of a same-size value, HINCRBY, ZINCRBY),
so the data stays in the listpack encoding throughout; the script checks that at the end.

Usage: bench/compare/small_collections.py [--runs 3] [--requests 200000]
"""
import argparse
import math
import os
import statistics

from servers import Pair, pin, table
from throughput import bench_command

KEYS = 1000
COMMANDS = [
    ("HGET", ["HGET", "h:__rand_int__", "field5"]),
    ("HGETALL", ["HGETALL", "h:__rand_int__"]),
    ("HSET same size", ["HSET", "h:__rand_int__", "field3", "__rand_int__"]),
    ("HINCRBY", ["HINCRBY", "h:__rand_int__", "counter", "1"]),
    ("ZSCORE", ["ZSCORE", "z:__rand_int__", "member:5"]),
    ("ZRANGE all", ["ZRANGE", "z:__rand_int__", "0", "-1", "WITHSCORES"]),
    ("ZREVRANGE 5", ["ZREVRANGE", "z:__rand_int__", "0", "4"]),
    ("ZINCRBY", ["ZINCRBY", "z:__rand_int__", "1", "member:3"]),
]


def load(server):
    pipe = server.client.pipeline(transaction=False)
    fields = {f"field{j}": f"value{j}" for j in range(10)}
    members = {f"member:{j}": j for j in range(10)}
    for i in range(KEYS):
        pipe.hset(f"h:{i:012d}", mapping=fields)
        pipe.zadd(f"z:{i:012d}", members)
    pipe.execute()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--server-cpus", default="0" if os.cpu_count() >= 2 else "")
    ap.add_argument("--client-cpus", default="1" if os.cpu_count() >= 2 else "")
    args = ap.parse_args()

    samples = {}  # name -> list of (mnemo rps, redis rps, mnemo cpu, redis cpu)
    with Pair() as pair:
        for s in pair.both():
            pin(s.proc.pid, args.server_cpus)
            load(s)
        print(f"servers: {pair.mnemo.version()} vs {pair.redis.version()}; redis-benchmark -c 50 "
              f"-P 16 -r {KEYS} -n {args.requests}; {args.runs} interleaved runs; load average "
              f"before: {os.getloadavg()[0]:.2f}", flush=True)
        for run in range(args.runs):
            for i, (name, argv) in enumerate(COMMANDS):
                order = pair.both() if (run + i) % 2 == 0 else list(reversed(pair.both()))
                got = {s.name: bench_command(s, argv, args.requests, 50, 16, KEYS,
                                             args.client_cpus) for s in order}
                samples.setdefault(name, []).append(
                    (got["mnemo"][0], got["redis"][0], got["mnemo"][1], got["redis"][1]))
            print(f"run {run + 1}/{args.runs} done, load average {os.getloadavg()[0]:.2f}",
                  flush=True)
        for s in pair.both():
            for prefix, encoding in (("h", "listpack"), ("z", "listpack")):
                got = s.client.object("encoding", f"{prefix}:{0:012d}")
                got = got.decode() if isinstance(got, bytes) else got
                assert got == encoding, (s.name, prefix, got)

    rows = []
    cpu_ratios = []
    for name, s in samples.items():
        cpu_ratio = statistics.median(x[3] / x[2] for x in s if x[2] > 0)
        cpu_ratios.append(cpu_ratio)
        rows.append([name, f"{statistics.median(x[0] for x in s):.0f}",
                     f"{statistics.median(x[1] for x in s):.0f}",
                     f"{statistics.median(x[0] / x[1] for x in s):.3f}",
                     f"{statistics.median(x[2] for x in s):.3f}",
                     f"{statistics.median(x[3] for x in s):.3f}", f"{cpu_ratio:.3f}"])
    table(rows, ["command", "mnemo rps", "redis rps", "rps ratio", "mnemo cpu us/req",
                 "redis cpu us/req", "cpu ratio (redis/mnemo)"])
    geo = math.exp(sum(math.log(x) for x in cpu_ratios) / len(cpu_ratios))
    print(f"geometric mean of the server-CPU ratios (Redis us/req / Mnemo us/req): {geo:.3f}")


if __name__ == "__main__":
    main()
