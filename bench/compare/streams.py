#!/usr/bin/python3
"""streams.py: stream memory per entry and XADD/XRANGE throughput, Mnemo against Redis in one run
(issue 15).

Memory: N XADDs ("*" IDs, 3 small fields: "f1".."f3" -> "v:<i>") into one stream, pipelined;
used_memory growth per entry in both servers, and the ratio. Both keep Redis's node format
(listpacks of up to stream-node-max-entries 100 / stream-node-max-bytes 4096, delta-encoded
IDs, field names shared with the node's master entry); Redis indexes the nodes with a radix tree,
Mnemo with a ChunkMap (24 bytes per node).

Throughput: redis-benchmark against each server (same client, same pipeline depth): XADD with
"*" IDs, then XRANGE - + COUNT 10 on the loaded stream, then XREADGROUP COUNT 1 of a new group
over the stream the XADD row filled (each request delivers one new entry and adds it to the
PEL, so every request does the same work). Prints requests per second and ratios.

Usage: bench/compare/streams.py [--entries 100000] [--requests 200000] [--pipeline 16]
"""
import argparse
import re
import shutil
import subprocess

from servers import Pair, table


def load(server, entries):
    pipe = server.client.pipeline(transaction=False)
    for i in range(entries):
        pipe.execute_command("XADD", "stream", "*", "f1", f"v:{i}", "f2", f"{i % 1000}", "f3",
                             "abc")
        if (i + 1) % 10000 == 0:
            pipe.execute()
    pipe.execute()


def per_entry(server, entries):
    server.client.flushall()
    before = server.used_memory()
    load(server, entries)
    assert server.client.xlen("stream") == entries
    return (server.used_memory() - before) / entries


def rps(server, requests, pipeline, *command):
    bench = shutil.which("redis-benchmark")
    out = subprocess.run(
        [bench, "-h", "127.0.0.1", "-p", str(server.port), "-n", str(requests), "-c", "10",
         "-P", str(pipeline), "-q", *command],
        check=True, capture_output=True, text=True).stdout
    found = re.findall(r"([0-9.]+) requests per second", out)
    if not found:
        raise RuntimeError(f"unexpected redis-benchmark output: {out!r}")
    return float(found[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100000)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--pipeline", type=int, default=16)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        m, r = (per_entry(s, args.entries) for s in p.both())
        rows.append([f"used_memory per entry ({args.entries} XADD, 3 small fields)",
                     f"{m:.2f}", f"{r:.2f}", f"{m / r:.3f}"])
        mem_m = p.mnemo.client.memory_usage("stream", samples=0)
        mem_r = p.redis.client.memory_usage("stream", samples=0)
        rows.append(["MEMORY USAGE stream SAMPLES 0, per entry", f"{mem_m / args.entries:.2f}",
                     f"{mem_r / args.entries:.2f}", f"{mem_m / mem_r:.3f}"])
        if shutil.which("redis-benchmark"):
            for label, cmd in [
                    ("XADD * (3 fields) req/s", ["XADD", "bench", "*", "f1", "v1", "f2", "v2",
                                                 "f3", "v3"]),
                    ("XRANGE - + COUNT 10 req/s", ["XRANGE", "stream", "-", "+", "COUNT", "10"])]:
                m, r = (rps(s, args.requests, args.pipeline, *cmd) for s in p.both())
                rows.append([label, f"{m:.0f}", f"{r:.0f}", f"{m / r:.3f}"])
            for s in p.both():
                assert s.client.xlen("bench") >= args.requests
                s.client.xgroup_create("bench", "g", id="0")
            m, r = (rps(s, args.requests, args.pipeline, "XREADGROUP", "GROUP", "g", "c",
                        "COUNT", "1", "STREAMS", "bench", ">") for s in p.both())
            for s in p.both():  # every request delivered one entry
                assert s.client.xpending("bench", "g")["pending"] >= args.requests
            rows.append(["XREADGROUP GROUP g c COUNT 1 > req/s", f"{m:.0f}", f"{r:.0f}",
                         f"{m / r:.3f}"])
        else:
            print("redis-benchmark is missing: throughput rows skipped")
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
