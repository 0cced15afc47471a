#!/usr/bin/python3
"""defrag.py: active defragmentation under load, Mnemo against Redis in one run (issue 13).

Both servers get the same dataset: 1,000,000 string keys `key:%012d` (the names
redis-benchmark's __rand_int__ produces) with values of 16..128 bytes (fixed seed, so several
jemalloc size classes are involved); then every second key is deleted, which leaves jemalloc's
slabs half used: allocator_frag_ratio near 2, and RSS stays at its peak. Then:

  1. a checksum of every remaining key (SHA-256 over key, DUMP and PTTL state) on both;
  2. redis-benchmark runs against each server for the whole measurement (GET of random keys,
     2 clients), as back-to-back short runs whose p99 (--csv) is one sample each;
  3. after a few seconds of "before", `CONFIG SET activedefrag yes` on both (Redis on Debian
     refuses it: its jemalloc lacks Redis's patch; the error is printed and Redis runs on as it
     is) with active-defrag-ignore-bytes lowered to 10mb (the default 100mb is more than this
     dataset's ~45 MB of holes); the other active-defrag-* settings keep Redis's defaults;
  4. every second: allocator_frag_ratio and RSS of both, for --seconds;
  5. the checksums again: they must be equal to the first ones.

Prints the series, the time Mnemo's allocator_frag_ratio took to reach 1.10, RSS before/after,
p99 before/during, and draws docs/img/defrag.png (Debian's python3-matplotlib; a bench-only
dependency: `apt-get install python3-matplotlib`).

Targets (issue 13): allocator_frag_ratio <= 1.10 within 60 s, RSS down >= 35%, p99 during
defragmentation <= 2x before; checksums equal.

Usage: bench/compare/defrag.py [--keys 1000000] [--seconds 75] [--png docs/img/defrag.png]
"""
import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import threading
import time

from servers import ROOT, Pair, resp, table

BATCH = 2000


def pipe_in(server, payload):
    """Feeds raw RESP to the server with redis-cli --pipe (much faster than a Python client)."""
    subprocess.run([shutil.which("redis-cli"), "-p", str(server.port), "--pipe"], input=payload,
                   check=True, stdout=subprocess.DEVNULL)


def dataset(n):
    rng = random.Random(13)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    text = "".join(rng.choice(alphabet) for _ in range(1 << 16))
    load = bytearray()
    for i in range(n):
        size = rng.randint(16, 128)
        off = rng.randrange(len(text) - size)
        load += resp("SET", f"key:{i:012d}", text[off:off + size])
    delete = bytearray()
    for i in range(0, n, 2):
        delete += resp("DEL", f"key:{i:012d}")
    return bytes(load), bytes(delete)


def checksum(server, n):
    """SHA-256 over every remaining key's name, DUMP payload and whether it has a TTL."""
    h = hashlib.sha256()
    c = server.raw
    for start in range(1, n, 2 * BATCH):
        names = [f"key:{i:012d}" for i in range(start, min(n, start + 2 * BATCH), 2)]
        pipe = c.pipeline(transaction=False)
        for k in names:
            pipe.dump(k)
            pipe.pttl(k)
        out = pipe.execute()
        for k, d, t in zip(names, out[0::2], out[1::2]):
            h.update(k.encode())
            h.update(d if d is not None else b"<missing>")
            h.update(b"ttl" if t >= 0 else b"persist")
    return h.hexdigest()


class Benchmark(threading.Thread):
    """Back-to-back short redis-benchmark runs (GET key:__rand_int__) against one server; each
    run's p99 is a sample stamped with the time it ended."""

    def __init__(self, server, keys, t0):
        super().__init__(daemon=True)
        self.server, self.keys, self.t0 = server, keys, t0
        self.samples = []  # (seconds since t0, p99 ms, requests per second)
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            out = subprocess.run(
                [shutil.which("redis-benchmark"), "-p", str(self.server.port), "-c", "2",
                 "-n", "20000", "-r", str(self.keys), "--csv", "GET", "key:__rand_int__"],
                capture_output=True, text=True).stdout
            lines = [ln for ln in out.splitlines() if ln.startswith('"GET')]
            if not lines:
                continue
            f = [x.strip('"') for x in lines[-1].split(",")]
            # "test","rps","avg","min","p50","p95","p99","max"
            self.samples.append((time.monotonic() - self.t0, float(f[6]), float(f[1])))


def memory(server):
    m = server.client.info("memory")
    return float(m["allocator_frag_ratio"]), int(m["used_memory_rss"]), int(m["used_memory"])


def draw(png, series, bench, start_at):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    for name, color in (("mnemo", "tab:blue"), ("redis", "tab:red")):
        t = [s[0] for s in series[name]]
        axes[0].plot(t, [s[1] for s in series[name]], color=color, label=name)
        axes[1].plot(t, [s[2] / 1e6 for s in series[name]], color=color, label=name)
        axes[2].plot([b[0] for b in bench[name].samples], [b[1] for b in bench[name].samples],
                     color=color, marker=".", linestyle="-", label=name)
    axes[0].axhline(1.10, color="gray", linestyle=":", label="target 1.10")
    axes[0].set_ylabel("allocator_frag_ratio")
    axes[1].set_ylabel("RSS (MB)")
    axes[2].set_ylabel("GET p99 (ms)")
    axes[2].set_xlabel("seconds")
    for ax in axes:
        ax.axvline(start_at, color="green", linestyle="--")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    axes[0].set_title("activedefrag yes at the dashed line (Redis on Debian refuses it)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    fig.savefig(png, dpi=90)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--seconds", type=int, default=75, help="measurement after the switch")
    ap.add_argument("--before", type=int, default=8, help="seconds of load before the switch")
    ap.add_argument("--png", default=os.path.join(ROOT, "docs", "img", "defrag.png"))
    args = ap.parse_args()

    load, delete = dataset(args.keys)
    with Pair() as pair:
        import redis
        for s in pair.both():
            s.raw = redis.Redis(host="127.0.0.1", port=s.port)
            pipe_in(s, load)
            pipe_in(s, delete)
            assert s.client.dbsize() == args.keys // 2, s.client.dbsize()
        # Let both settle (jemalloc's dirty pages of the deleted values age out: 10 s decay).
        time.sleep(12)
        sums_before = {s.name: checksum(s, args.keys) for s in pair.both()}
        peak = {s.name: memory(s) for s in pair.both()}

        t0 = time.monotonic()
        bench = {s.name: Benchmark(s, args.keys, t0) for s in pair.both()}
        for b in bench.values():
            b.start()
        series = {"mnemo": [], "redis": []}

        def sample():
            now = time.monotonic() - t0
            for s in pair.both():
                fr, rss, used = memory(s)
                series[s.name].append((now, fr, rss, used))

        while time.monotonic() - t0 < args.before:
            sample()
            time.sleep(1)
        start_at = time.monotonic() - t0
        refused = {}
        for s in pair.both():
            s.client.config_set("active-defrag-ignore-bytes", "10mb")
            try:
                s.client.config_set("activedefrag", "yes")
                refused[s.name] = "accepted"
            except Exception as e:  # Debian's redis: no defrag-capable jemalloc
                refused[s.name] = f"refused: {str(e)[:70]}..."
        reached = None
        while time.monotonic() - t0 < start_at + args.seconds:
            sample()
            if reached is None and series["mnemo"][-1][1] <= 1.10:
                reached = series["mnemo"][-1][0] - start_at
            time.sleep(1)
        for b in bench.values():
            b.stop_flag.set()
        for b in bench.values():
            b.join()
        defrag_info = pair.mnemo.client.info("stats")
        sums_after = {s.name: checksum(s, args.keys) for s in pair.both()}
        final = {s.name: memory(s) for s in pair.both()}

    print(f"{args.keys} keys loaded, every second one deleted; activedefrag yes at "
          f"t={start_at:.0f}s (mnemo: {refused['mnemo']}; redis: {refused['redis']})\n")
    rows = []
    for i, (m, r) in enumerate(zip(series["mnemo"], series["redis"])):
        if i % 5 == 0 or i == len(series["mnemo"]) - 1:
            rows.append([f"{m[0]:.0f}", f"{m[1]:.2f}", f"{m[2] / 1e6:.1f}", f"{r[1]:.2f}",
                         f"{r[2] / 1e6:.1f}"])
    table(rows, ["t (s)", "mnemo frag", "mnemo RSS MB", "redis frag", "redis RSS MB"])
    print()
    results = []
    for name in ("mnemo", "redis"):
        before_p99 = [s[1] for s in bench[name].samples if s[0] <= start_at]
        during_p99 = [s[1] for s in bench[name].samples
                      if start_at < s[0] <= start_at + (reached or args.seconds) + 5]
        rss_before = max(s[2] for s in series[name] if s[0] <= start_at)
        rss_after = final[name][1]
        results.append([
            name, f"{peak[name][0]:.2f}", f"{final[name][0]:.2f}",
            f"{rss_before / 1e6:.1f}", f"{rss_after / 1e6:.1f}",
            f"{100 * (1 - rss_after / rss_before):.0f}%",
            f"{statistics.median(before_p99):.3f}" if before_p99 else "-",
            f"{max(during_p99):.3f}/{statistics.median(during_p99):.3f}" if during_p99 else "-",
            "equal" if sums_before[name] == sums_after[name] else "DIFFERENT"])
    table(results, ["server", "frag before", "frag after", "RSS before MB", "RSS after MB",
                    "RSS down", "p99 before ms", "p99 during max/median ms", "checksum"])
    print(f"\nmnemo: allocator_frag_ratio <= 1.10 after "
          f"{'%.0f s' % reached if reached is not None else 'never (within the run)'}; "
          f"active_defrag_hits={defrag_info['active_defrag_hits']} "
          f"misses={defrag_info['active_defrag_misses']} "
          f"key_hits={defrag_info['active_defrag_key_hits']} "
          f"key_misses={defrag_info['active_defrag_key_misses']}")
    print(f"checksums: mnemo {sums_before['mnemo'][:16]}.. -> {sums_after['mnemo'][:16]}.., "
          f"redis {sums_before['redis'][:16]}.. -> {sums_after['redis'][:16]}..; "
          f"mnemo == redis: {sums_after['mnemo'] == sums_after['redis']}")
    draw(args.png, series, bench, start_at)
    print(f"plot: {os.path.relpath(args.png, ROOT)}")


if __name__ == "__main__":
    main()
