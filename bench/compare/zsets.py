#!/usr/bin/python3
"""zsets.py: memory of sorted sets, Mnemo against Redis in one run (issue 3).

1. Small zsets (listpack encoding): N keys "zset:%07d", each with 10 members "member:0".."member:9"
   scored 0..9; prints used_memory growth per zset.
2. One big zset (skiplist encoding): M members "member:%07d" with random scores (doubles);
   prints used_memory growth per member.

Both servers run with default thresholds (zset-max-listpack-entries 128,
zset-max-listpack-value 64); the script checks the encodings it expects with OBJECT ENCODING on
Redis and ZCARD on both.

Usage: bench/compare/zsets.py [--zsets 100000] [--members 1000000]
"""
import argparse
import random

from servers import Pair, table


def load_small(server, n, batch=1000):
    pipe = server.client.pipeline(transaction=False)
    mapping = {f"member:{j}": j for j in range(10)}
    for i in range(n):
        pipe.zadd(f"zset:{i:07d}", mapping)
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def load_big(server, m, batch=1000):
    rng = random.Random(42)
    pipe = server.client.pipeline(transaction=False)
    mapping = {}
    for i in range(m):
        mapping[f"member:{i:07d}"] = rng.random() * 1e6
        if len(mapping) == batch:
            pipe.zadd("big", mapping)
            mapping = {}
            pipe.execute()
    if mapping:
        pipe.zadd("big", mapping)
    pipe.execute()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zsets", type=int, default=100000)
    ap.add_argument("--members", type=int, default=1000000)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        small, big = {}, {}
        for s in p.both():
            before = s.used_memory()
            load_small(s, args.zsets)
            assert s.client.dbsize() == args.zsets
            assert s.client.zcard("zset:0000000") == 10
            small[s.name] = (s.used_memory() - before) / args.zsets
            s.client.flushall()
            before = s.used_memory()
            load_big(s, args.members)
            assert s.client.zcard("big") == args.members
            big[s.name] = (s.used_memory() - before) / args.members
        assert p.redis.client.object("encoding", "big") == "skiplist"
        rows = [
            [f"used_memory per zset ({args.zsets} zsets x 10 members, listpack)",
             f"{small['mnemo']:.1f}", f"{small['redis']:.1f}",
             f"{small['mnemo'] / small['redis']:.3f}"],
            [f"used_memory per member (1 zset x {args.members} members, skiplist)",
             f"{big['mnemo']:.1f}", f"{big['redis']:.1f}", f"{big['mnemo'] / big['redis']:.3f}"],
        ]
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
