#!/usr/bin/python3
"""memory_usage.py: does MEMORY USAGE add up? Mnemo against Redis in one run (issue 13).

For each dataset (one kind of key per run, the datasets of the other bench/compare scripts), the
sum of MEMORY USAGE key SAMPLES 0 over every key against the growth of used_memory that loading
them caused (client buffers taken off; the keyspace tables' rehashing waited out by reading
used_memory again until it is still). A ratio of 1.000 means an operator can plan capacity
from MEMORY USAGE. Mnemo counts each key's share of the keyspace's tables; Redis 7.0.15 leaves
the tables (and for some encodings more) out.

Usage: bench/compare/memory_usage.py [--scale 1.0]
"""
import argparse
import time

from servers import Pair, table


def members(head, key, n, scores, prefix, pairs):
    argv = [head, key]
    for j in range(n):
        if scores:
            argv.append(str(j))
        argv.append(f"{prefix}{j}")
        if pairs:
            argv.append(f"value:{j}")
    return argv


DATASETS = [
    ("16-byte strings", 1000000, lambda k, i: ["SET", k, "v" * 16]),
    ("integers 0..9999", 1000000, lambda k, i: ["SET", k, str(i % 10000)]),
    ("100-byte strings", 1000000, lambda k, i: ["SET", k, "v" * 100]),
    ("16-byte strings with a TTL", 1000000, lambda k, i: ["SET", k, "v" * 16, "EX", "100000"]),
    ("hashes x10 (listpack)", 100000, lambda k, i: members("HSET", k, 10, False, "f", True)),
    ("hashes x200 (hashtable)", 2000, lambda k, i: members("HSET", k, 200, False, "f", True)),
    ("lists x10 (listpack)", 100000, lambda k, i: members("RPUSH", k, 10, False, "e", False)),
    ("lists x2000 (quicklist)", 500,
     lambda k, i: members("RPUSH", k, 2000, False, "element:", False)),
    ("sets x10 ints (intset)", 100000, lambda k, i: members("SADD", k, 10, False, "", False)),
    ("sets x10 (listpack)", 100000, lambda k, i: members("SADD", k, 10, False, "m", False)),
    ("sets x200 (hashtable)", 2000, lambda k, i: members("SADD", k, 200, False, "m", False)),
    ("zsets x10 (listpack)", 100000, lambda k, i: members("ZADD", k, 10, True, "m", False)),
    ("zsets x200 (skiplist)", 2000, lambda k, i: members("ZADD", k, 200, True, "m", False)),
]


def data_memory(client):
    info = client.info("memory")
    return info["used_memory"] - info.get("mem_clients_normal", 0)


def settled(client):
    """used_memory once the tables have finished rehashing (two equal readings 0.3 s apart)."""
    last = data_memory(client)
    for _ in range(100):
        time.sleep(0.3)
        now = data_memory(client)
        if now == last:
            return now
        last = now
    return last


def measure(server, keys, make):
    c = server.client
    c.flushall()
    before = settled(c)
    pipe = c.pipeline(transaction=False)
    for i in range(keys):
        pipe.execute_command(*make(f"key:{i}", i))
        if (i + 1) % 5000 == 0:
            pipe.execute()
    pipe.execute()
    grew = settled(c) - before
    usage = 0
    for start in range(0, keys, 5000):
        for k in range(start, min(keys, start + 5000)):
            pipe.execute_command("MEMORY", "USAGE", f"key:{k}", "SAMPLES", "0")
        usage += sum(pipe.execute())
    return grew, usage


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every key count")
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        for name, keys, make in DATASETS:
            n = max(1, int(keys * args.scale))
            (mg, mu), (rg, ru) = (measure(s, n, make) for s in p.both())
            rows.append([f"{name} ({n} keys)", f"{mu / mg:.3f}", f"{ru / rg:.3f}",
                         f"{mg / n:.1f}", f"{rg / n:.1f}"])
        table(rows, ["dataset", "mnemo sum/growth", "redis sum/growth", "mnemo B/key",
                     "redis B/key"])


if __name__ == "__main__":
    main()
