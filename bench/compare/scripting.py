#!/usr/bin/python3
"""scripting.py: EVALSHA throughput, Mnemo against Redis in one run (issue 11).

Loads a three-command script (GET, INCR, EXPIRE: a counter with a TTL, the shape of rate
limiters and locks) with SCRIPT LOAD into both servers, then runs
`redis-benchmark -q -n N -r 100000 [-P p] EVALSHA <sha> 1 key:__rand_int__` against each, for
a few pipeline depths, and prints requests per second and the ratio (target: Mnemo >= Redis).
Also EVAL of the same body (the cache lookup by SHA1 of the body) and FCALL of the same code
as a function. The machine is shared: read the ratio, not the absolute numbers.

Usage: bench/compare/scripting.py [--requests 300000]
"""
import argparse
import re
import subprocess

from servers import Pair, table

SCRIPT = ("local v = redis.call('GET', KEYS[1]) "
          "redis.call('INCR', KEYS[1]) "
          "redis.call('EXPIRE', KEYS[1], 100) "
          "return v")
LIBRARY = ("#!lua name=bench\n"
           "redis.register_function('counter', function(keys, args) " + SCRIPT.replace(
               "KEYS", "keys") + " end)\n")


def bench(server, requests, pipeline, *command):
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-q", "-n", str(requests),
                          "-r", "100000", "-P", str(pipeline), *command],
                         capture_output=True, text=True, check=True).stdout
    m = re.findall(r"([\d.]+) requests per second", out)
    assert m, out
    return float(m[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300000)
    args = ap.parse_args()
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        shas = {}
        for s in p.both():
            shas[s.name] = s.client.script_load(SCRIPT)
            s.client.function_load(LIBRARY, replace=True)
        assert shas["mnemo"] == shas["redis"]
        sha = shas["mnemo"]
        rows = []
        cases = [
            ("EVALSHA", 1, ["EVALSHA", sha, "1", "key:__rand_int__"]),
            ("EVALSHA", 16, ["EVALSHA", sha, "1", "key:__rand_int__"]),
            ("EVAL", 16, ["EVAL", SCRIPT, "1", "key:__rand_int__"]),
            ("FCALL", 16, ["FCALL", "counter", "1", "key:__rand_int__"]),
        ]
        for name, pipeline, command in cases:
            results = {}
            for s in p.both():
                s.client.flushall()
                results[s.name] = bench(s, args.requests, pipeline, *command)
            m, r = results["mnemo"], results["redis"]
            rows.append([f"{name} GET+INCR+EXPIRE -P {pipeline} (requests/s)", f"{m:.0f}",
                         f"{r:.0f}", f"{m / r:.3f}"])
        mem = {s.name: s.client.info("memory") for s in p.both()}
        rows.append(["used_memory_vm_eval (bytes)", mem["mnemo"]["used_memory_vm_eval"],
                     mem["redis"]["used_memory_vm_eval"], ""])
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
