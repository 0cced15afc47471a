#!/usr/bin/python3
"""sets.py: memory of sets and bitmaps, Mnemo against Redis in one run (issue 3).

1. Small sets (intset encoding in both): N keys "set:%06d", each with 10 random integers below
   10,000; prints used_memory growth per set.
2. One big set (hashtable in both): M members "member:%d"; prints growth per member.
3. Bitmaps of 1,000,000 bits, each made by a single SETBIT at bit 999,999 (measured first, on
   an empty server); prints the growth per bitmap.

Usage: bench/compare/sets.py [--sets 100000] [--members 100000]
"""
import argparse
import random

from servers import Pair, table


def load_small(server, n, batch=1000):
    rng = random.Random(1)
    pipe = server.client.pipeline(transaction=False)
    for i in range(n):
        pipe.sadd(f"set:{i:06d}", *[rng.randrange(10000) for _ in range(10)])
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def load_big(server, m, batch=1000):
    pipe = server.client.pipeline(transaction=False)
    for start in range(0, m, batch):
        pipe.sadd("big", *[f"member:{i}" for i in range(start, min(m, start + batch))])
        pipe.execute()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", type=int, default=100000)
    ap.add_argument("--members", type=int, default=100000)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        small, big, bitmap = {}, {}, {}
        for s in p.both():
            # Bitmaps first, and 50 of them: client buffers held by the connection (a few KB that
            # come and go) would blur the figure of a single key.
            before = s.used_memory()
            for i in range(50):
                s.client.setbit(f"bitmap:{i}", 999999, 1)
            assert s.client.strlen("bitmap:0") == 125000
            bitmap[s.name] = (s.used_memory() - before) / 50
            s.client.flushall()
            before = s.used_memory()
            load_small(s, args.sets)
            assert s.client.dbsize() == args.sets
            assert s.client.object("encoding", "set:000000") == "intset"
            small[s.name] = (s.used_memory() - before) / args.sets
            s.client.flushall()
            before = s.used_memory()
            load_big(s, args.members)
            assert s.client.scard("big") == args.members
            assert s.client.object("encoding", "big") == "hashtable"
            big[s.name] = (s.used_memory() - before) / args.members
            s.client.flushall()
        rows = [
            [f"used_memory per set ({args.sets} sets x 10 integers, intset)",
             f"{small['mnemo']:.1f}", f"{small['redis']:.1f}",
             f"{small['mnemo'] / small['redis']:.3f}"],
            [f"used_memory per member (1 set x {args.members} members, hashtable)",
             f"{big['mnemo']:.1f}", f"{big['redis']:.1f}", f"{big['mnemo'] / big['redis']:.3f}"],
            ["used_memory per 1,000,000-bit bitmap", f"{bitmap['mnemo']:.0f}", f"{bitmap['redis']:.0f}",
             f"{bitmap['mnemo'] / bitmap['redis']:.3f}"],
        ]
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
