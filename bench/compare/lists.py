#!/usr/bin/python3
"""lists.py: memory per list key, Mnemo against Redis in one run (issue 3).

Loads N keys "list:%08d", each an RPUSH of E elements "item:%02d" (short strings), into both
servers (pipelined) and prints used_memory per key for each and the ratio. Mnemo (as Redis 7.2)
keeps such small lists as one listpack; Redis 7.0.15 always uses a quicklist (a 48-byte header
block plus a 48-byte node block plus the node's listpack), besides its dictEntry, key sds and
robj. A second row does the same with 500 lists of 10,000 elements (quicklists in both).

Usage: bench/compare/lists.py [--keys 100000] [--elements 10]
"""
import argparse

from servers import Pair, table


def load(server, keys, elements):
    # About 10,000 elements per pipeline: a bigger batch would leave a big query buffer behind,
    # counted in used_memory.
    batch = max(1, 10000 // elements)
    values = [f"item:{j:02d}" for j in range(elements)]
    pipe = server.client.pipeline(transaction=False)
    for i in range(keys):
        pipe.rpush(f"list:{i:08d}", *values)
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def per_key(server, keys, elements):
    server.client.flushall()
    before = server.used_memory()
    load(server, keys, elements)
    assert server.client.dbsize() == keys
    assert server.client.llen("list:00000000") == elements
    return (server.used_memory() - before) / keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--elements", type=int, default=10)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        for keys, elements in [(args.keys, args.elements), (500, 10000)]:
            m, r = (per_key(s, keys, elements) for s in p.both())
            rows.append([f"used_memory per list ({keys} lists x {elements} short elements)",
                         f"{m:.1f}", f"{r:.1f}", f"{m / r:.3f}"])
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
