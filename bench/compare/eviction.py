#!/usr/bin/python3
"""eviction.py: eviction quality and the memory limit, Mnemo against Redis in one run (issue 5).

Workload: a Zipf trace (alpha 1.0, fixed seed) over 1,000,000 keys "key:%08d"; each op is a GET,
and a miss is followed by a SET of a 16-byte value (a cache filled on demand). Ops are sent in
pipelined batches: the GETs of a batch, then the SETs for its misses. Both servers run with the
same maxmemory, chosen so that Redis holds roughly a quarter of the keys, under allkeys-lru and
allkeys-lfu with maxmemory-samples 5 and 10. A fresh pair of servers is started per setting and
the servers are driven one after the other, never at the same time (2 shared cores).

Printed per server and setting:
  hit%      hits / GETs counted by the client after the warm-up ops
  lru%      the hit ratio of an exact LRU on the same trace, with the same batch semantics, and a
            capacity in keys equal to that server's mean DBSIZE during the measured phase; it
            isolates the eviction algorithm from memory per key (Mnemo holds more keys in the
            same memory, which alone raises its hit ratio)
  gap       lru% - hit%
  keys      mean DBSIZE during the measured phase
  over      the largest used_memory above maxmemory: from INFO sampled every 10 ms by a second
            connection ("sampled"), and used_memory_peak at the end (both servers record the peak
            after every command, so this catches what a command allocates before the eviction
            that precedes the next one); in bytes and as % of maxmemory
  ops/s     trace ops per second as this client sees them (a GET, plus a SET on a miss)

Usage: bench/compare/eviction.py [--keys 1000000] [--ops 8000000] [--warmup 4000000]
       [--maxmemory 28000000] [--policies allkeys-lru,allkeys-lfu] [--samples 5,10]
       [--servers mnemo,redis] [--batch 200] [--alpha 1.0] [--seed 1] [--rate 0]

ops/s is the client's (a Python process) and is noisy on a shared machine: runs of the same
binary vary by 2x. It also changes what LRU sees: at a higher rate the cache's contents span
fewer seconds, and a clock that ticks once a second tells fewer of them apart. --rate fixes it.
"""
import argparse
import bisect
import itertools
import random
import socket
import threading
import time
from array import array
from collections import OrderedDict

from servers import Server, table


def zipf_trace(n_keys, n_ops, alpha, seed):
    """n_ops key ids drawn from Zipf(alpha) over n_keys (inverse CDF), ranks shuffled to ids."""
    rng = random.Random(seed)
    cdf = list(itertools.accumulate(1.0 / (r ** alpha) for r in range(1, n_keys + 1)))
    total = cdf[-1]
    ids = list(range(n_keys))
    rng.shuffle(ids)  # the hottest key is not key 0
    trace = array("i", bytes(4 * n_ops))
    rand = rng.random
    search = bisect.bisect_left
    last = n_keys - 1
    for i in range(n_ops):
        r = search(cdf, rand() * total)
        trace[i] = ids[r if r <= last else last]
    return trace


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Commands:
    """Pre-encoded GET and SET commands for every key id (the client must not be the bottleneck
    more than it has to)."""

    def __init__(self, n_keys):
        self.get = [encode(b"GET", b"key:%08d" % i) for i in range(n_keys)]
        self.set = [encode(b"SET", b"key:%08d" % i, b"v%015d" % i) for i in range(n_keys)]


class Sampler(threading.Thread):
    """Samples used_memory and DBSIZE on its own connection every `period` seconds."""

    def __init__(self, server, period=0.01):
        super().__init__(daemon=True)
        self.server = server
        self.period = period
        self.stop = threading.Event()
        self.max_used = 0
        self.measuring = False
        self.dbsizes = []

    def run(self):
        from redis import Redis
        c = Redis(host="127.0.0.1", port=self.server.port)
        while not self.stop.is_set():
            used = int(c.info("memory")["used_memory"])
            self.max_used = max(self.max_used, used)
            if self.measuring:
                self.dbsizes.append(c.dbsize())
            time.sleep(self.period)
        c.close()


def recv_exact(sock, buf, need):
    while len(buf) < need:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buf += chunk
    return buf


def run_trace(server, trace, cmds, batch, warmup, sampler, rate=0):
    """Drives the trace; returns (hits, gets counted, ops/s over the measured phase). With
    `rate` > 0 the client paces itself to at most that many ops per second."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    get, set_ = cmds.get, cmds.set
    hits = counted = 0
    n = len(trace)
    t_start = None
    t_pace = time.perf_counter()
    for start in range(0, n, batch):
        if rate > 0:
            ahead = t_pace + start / rate - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
        if start >= warmup and t_start is None:
            sampler.measuring = True
            t_start = time.perf_counter()
        keys = trace[start:start + batch]
        sock.sendall(b"".join([get[k] for k in keys]))
        buf = b""
        pos = 0
        misses = []
        for k in keys:
            buf = recv_exact(sock, buf, pos + 5)
            if buf[pos + 1] == 45:  # "$-1\r\n"
                misses.append(k)
                pos += 5
            elif buf[pos] == 36:  # "$16\r\n" + 16 bytes + "\r\n"
                pos += 23
            else:
                raise RuntimeError(f"unexpected reply {buf[pos:pos + 80]!r}")
        if start >= warmup:
            counted += len(keys)
            hits += len(keys) - len(misses)
        if misses:
            sock.sendall(b"".join([set_[k] for k in misses]))
            buf = recv_exact(sock, b"", 5 * len(misses))
            if buf.count(b"+OK\r\n") != len(misses):
                raise RuntimeError(f"SET failed: {buf[:200]!r}")
    elapsed = time.perf_counter() - t_start
    sampler.measuring = False
    sock.close()
    return hits, counted, (n - warmup) / elapsed


def exact_lru(trace, capacity, batch, warmup):
    """Hit ratio of an exact LRU of `capacity` keys with the client's batch semantics: a batch's
    GETs see the cache as it was before the batch's SETs."""
    cache = OrderedDict()
    move = cache.move_to_end
    pop = cache.popitem
    hits = counted = 0
    n = len(trace)
    for start in range(0, n, batch):
        keys = trace[start:start + batch]
        misses = []
        for k in keys:
            if k in cache:
                move(k)
            else:
                misses.append(k)
        if start >= warmup:
            counted += len(keys)
            hits += len(keys) - len(misses)
        for k in misses:
            if k in cache:
                move(k)
            else:
                cache[k] = None
                if len(cache) > capacity:
                    pop(last=False)
    return hits / counted


def measure(name, args, trace, cmds, policy, samples):
    extra = ["--maxmemory", str(args.maxmemory), "--maxmemory-policy", policy,
             "--maxmemory-samples", str(samples)]
    server = Server(name, extra)
    try:
        version = server.version()
        sampler = Sampler(server)
        sampler.start()
        hits, counted, ops = run_trace(server, trace, cmds, args.batch, args.warmup, sampler,
                                       args.rate)
        sampler.stop.set()
        sampler.join()
        info = server.client.info("memory")
        peak = int(info["used_memory_peak"])
        evicted = int(server.client.info("stats")["evicted_keys"])
        keys = sum(sampler.dbsizes) / max(1, len(sampler.dbsizes))
    finally:
        server.stop()
    return {"version": version, "hit": hits / counted, "keys": keys, "ops": ops,
            "sampled_over": sampler.max_used - args.maxmemory, "peak_over": peak - args.maxmemory,
            "evicted": evicted}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--ops", type=int, default=8000000)
    ap.add_argument("--warmup", type=int, default=4000000)
    ap.add_argument("--maxmemory", type=int, default=28000000)
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu")
    ap.add_argument("--samples", default="5,10")
    ap.add_argument("--servers", default="mnemo,redis")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=int, default=0,
                    help="pace the client to at most this many ops/s (0: as fast as it can); "
                         "recency in seconds depends on it, so compare LRU clocks at one rate")
    args = ap.parse_args()

    t0 = time.time()
    trace = zipf_trace(args.keys, args.ops, args.alpha, args.seed)
    cmds = Commands(args.keys)
    print(f"trace: {args.ops} ops, Zipf alpha {args.alpha} over {args.keys} keys, seed "
          f"{args.seed}, {len(set(trace))} distinct keys; warm-up {args.warmup} ops; batches of "
          f"{args.batch}; maxmemory {args.maxmemory} ({time.time() - t0:.0f} s to prepare)")
    rows = []
    lru_cache = {}
    results = {}
    for policy in args.policies.split(","):
        for samples in [int(s) for s in args.samples.split(",")]:
            for name in args.servers.split(","):
                r = measure(name, args, trace, cmds, policy, samples)
                cap = int(round(r["keys"]))
                if cap not in lru_cache:
                    lru_cache[cap] = exact_lru(trace, cap, args.batch, args.warmup)
                r["lru"] = lru_cache[cap]
                results[(name, policy, samples)] = r
                mm = args.maxmemory
                rows.append([r["version"], policy, samples, f"{100 * r['hit']:.2f}",
                             f"{100 * r['lru']:.2f}", f"{100 * (r['lru'] - r['hit']):+.2f}",
                             f"{r['keys']:.0f}", f"{100 * r['keys'] / args.keys:.1f}",
                             f"{r['sampled_over']} ({100 * r['sampled_over'] / mm:.3f}%)",
                             f"{r['peak_over']} ({100 * r['peak_over'] / mm:.3f}%)",
                             f"{r['ops']:.0f}", r["evicted"]])
                print(f"  done {name} {policy} samples {samples} ({time.time() - t0:.0f} s)",
                      flush=True)
    table(rows, ["server", "policy", "samples", "hit%", "lru%", "gap", "keys", "keys%",
                 "over (sampled)", "over (peak)", "ops/s", "evicted"])
    names = args.servers.split(",")
    if "mnemo" in names and "redis" in names:
        print()
        checks = []
        for policy in args.policies.split(","):
            for samples in [int(s) for s in args.samples.split(",")]:
                m = results[("mnemo", policy, samples)]
                r = results[("redis", policy, samples)]
                checks.append([policy, samples, f"{100 * (m['hit'] - r['hit']):+.2f}",
                               "yes" if m["hit"] >= r["hit"] else "NO",
                               f"{100 * (m['lru'] - m['hit']):.2f}",
                               "yes" if max(m["peak_over"], 0) <= max(r["peak_over"], 0)
                               else "NO"])
        table(checks, ["policy", "samples", "mnemo-redis hit%", "mnemo >= redis",
                       "mnemo gap to exact LRU", "mnemo overshoot <= redis"])
    print(f"\ntotal {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
