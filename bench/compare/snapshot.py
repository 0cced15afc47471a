#!/usr/bin/python3
"""snapshot.py: BGSAVE under a write load, Mnemo (fork-less snapshot) against Redis (fork) (issue 12).

One run, both servers side by side, each with the same dataset and the same load:
  1. the dataset: N strings `key:<12 digits>` (value of --value-size bytes) and N hashes
     `hash:<12 digits>` (4 fields f0..f3 of 24 bytes), written through a raw pipelined socket; N is
     chosen so that used_memory is about --dataset-mb (default 1024);
  2. the write load: redis-benchmark `SET key:__rand_int__ <value>` and `HSET hash:__rand_int__ f0
     <24 bytes>` (-r N, so they overwrite existing keys at random: the case where Redis's fork copies
     pages), --clients connections each, started before BGSAVE and stopped (by PID) when it ends;
  3. latency probes: --probes Python processes, each one connection doing SET or HSET on random
     existing keys one at a time and timestamping every request; the p99 (and p99.9, max) of the
     requests that started while the save ran is the writers' latency during the save. (Killing
     redis-benchmark at the end of the save would lose its own percentiles, and a fixed request
     count would mix time outside the save into them; the probes write the same commands.)
  4. memory: a sampler reads, every --sample-ms, /proc/<pid>/status VmRSS of the server and of its
     children (Redis's forked saver), and every fifth sample /proc/<pid>/smaps_rollup (Pss,
     Private_Dirty). Reported: RSS before BGSAVE; the peak of parent + child VmRSS (counts the
     pages the two still share twice); the peak of parent + child Pss, which counts each physical
     page once: the honest memory in use; its growth over the RSS before, also as a percentage of
     the dataset (used_memory after the load); the peak of the child's Private_Dirty (the pages
     copy on write has unshared). Also each server's own figure (rdb_last_cow_size).
  5. save duration: BGSAVE's reply until INFO persistence says rdb_bgsave_in_progress:0.
Targets (issue 12): Mnemo's peak growth <= 10% of the dataset; Mnemo's writers' p99 <= Redis's.

Usage: MNEMO_SERVER=build/bin/mnemo-server bench/compare/snapshot.py [--small] [--dataset-mb 1024]
           [--value-size 800] [--clients 4] [--probes 2] [--sample-ms 10] [--only mnemo|redis]
--small is --dataset-mb 100. The default run takes about three minutes on two shared cores.
"""
import argparse
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from servers import Server, resp, table

HASH_FIELDS = 4
HASH_VALUE = 24


def read_replies(sock, n, buf=b""):
    """Reads n simple one-line replies (+OK / :1 / -ERR ...); returns the rest of the buffer.
    Raises on an error reply."""
    while n:
        while b"\r\n" not in buf:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        count = buf.count(b"\r\n")
        if count > n:
            lines = buf.split(b"\r\n", n)
            rest = lines[-1]
            lines = lines[:-1]
        else:
            lines = buf.split(b"\r\n")
            rest = lines[-1]
            lines = lines[:-1]
        for line in lines:
            if line.startswith(b"-"):
                raise RuntimeError(f"error reply: {line!r}")
        n -= len(lines)
        buf = rest
    return buf


def load(port, n, value_size, batch=2000):
    """Writes the dataset through one raw pipelined connection."""
    sock = socket.create_connection(("127.0.0.1", port))
    value = b"v" * value_size
    field_value = b"h" * HASH_VALUE
    buf = b""
    for start in range(0, n, batch):
        end = min(n, start + batch)
        out = []
        for i in range(start, end):
            out.append(resp(b"SET", b"key:%012d" % i, value))
            out.append(resp(b"HSET", b"hash:%012d" % i,
                            *[x for j in range(HASH_FIELDS) for x in (b"f%d" % j, field_value)]))
        sock.sendall(b"".join(out))
        buf = read_replies(sock, 2 * (end - start), buf)
    sock.close()


def probe(port, n, value_size, use_hash, seed, stop, queue):
    """One writer that timestamps each request: (start, seconds) pairs go to `queue` at the end."""
    rng = random.Random(seed)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    value = b"p" * value_size
    field_value = b"q" * HASH_VALUE
    samples = []
    buf = b""
    while not stop.is_set():
        i = rng.randrange(n)
        cmd = resp(b"HSET", b"hash:%012d" % i, b"f%d" % rng.randrange(HASH_FIELDS), field_value) \
            if use_hash else resp(b"SET", b"key:%012d" % i, value)
        t0 = time.time()
        sock.sendall(cmd)
        buf = read_replies(sock, 1, buf)
        samples.append((t0, time.time() - t0))
    sock.close()
    queue.put(samples)


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def vm_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rollup(pid):
    """(Pss, Private_Dirty) bytes of pid from smaps_rollup, or (0, 0) if it is gone."""
    pss = dirty = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Private_Dirty:"):
                    dirty = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, dirty


class Sampler(threading.Thread):
    """Samples the memory of a server and its children until stopped."""

    def __init__(self, pid, period):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.stop_event = threading.Event()
        self.peak_rss_sum = self.peak_pss_sum = self.peak_child_dirty = self.peak_parent_rss = 0
        self.peak_parent_dirty = 0
        self.samples = 0

    def run(self):
        kids = []
        tick = 0
        while not self.stop_event.is_set():
            if tick % 5 == 0:
                kids = children_of(self.pid)
            parent = vm_rss(self.pid)
            rss = parent + sum(vm_rss(k) for k in kids)
            self.peak_parent_rss = max(self.peak_parent_rss, parent)
            self.peak_rss_sum = max(self.peak_rss_sum, rss)
            if tick % 5 == 0:
                pss, pdirty = rollup(self.pid)
                child = [rollup(k) for k in kids]
                self.peak_pss_sum = max(self.peak_pss_sum, pss + sum(c[0] for c in child))
                self.peak_parent_dirty = max(self.peak_parent_dirty, pdirty)
                self.peak_child_dirty = max(self.peak_child_dirty,
                                            sum(c[1] for c in child))
            tick += 1
            self.samples += 1
            time.sleep(self.period)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def growth(r):
    """What the save cost: the peak of the physical memory of the server and its child (Pss,
    shared pages counted once) over the server's Pss before the save."""
    return r["peak_pss_sum"] - r["pss_before"]


def measure(name, args, n):
    s = Server(name, ["--save", "", "--appendonly", "no", "--rdbcompression", "yes"])
    try:
        t0 = time.time()
        load(s.port, n, args.value_size)
        load_s = time.time() - t0
        assert s.client.dbsize() == 2 * n, f"{name}: dbsize {s.client.dbsize()}"
        mem = s.client.info("memory")
        used = int(mem["used_memory"])
        time.sleep(0.5)
        rss_before = vm_rss(s.proc.pid)
        pss_before = rollup(s.proc.pid)[0]

        bench = shutil.which("redis-benchmark")
        common = [bench, "-h", "127.0.0.1", "-p", str(s.port), "-c", str(args.clients),
                  "-n", "1000000000", "-r", str(n), "-q"]
        writers = [
            subprocess.Popen(common + ["SET", "key:__rand_int__", "w" * args.value_size],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen(common + ["HSET", "hash:__rand_int__", "f1", "x" * HASH_VALUE],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        stop = multiprocessing.Event()
        queue = multiprocessing.Queue()
        probes = [multiprocessing.Process(target=probe, args=(s.port, n, args.value_size, i % 2 == 1,
                                                              i, stop, queue))
                  for i in range(args.probes)]
        for proc in probes:
            proc.start()
        time.sleep(1.0)  # let the load settle before the save starts
        sampler = Sampler(s.proc.pid, args.sample_ms / 1000)
        sampler.start()
        time.sleep(0.2)
        stats0 = s.client.info("stats")
        save_start = time.time()
        reply = s.client.bgsave()
        assert reply, f"{name}: BGSAVE replied {reply!r}"
        while True:
            pinfo = s.client.info("persistence")
            if int(pinfo["rdb_bgsave_in_progress"]) == 0:
                break
            time.sleep(0.01)
        save_end = time.time()
        stats1 = s.client.info("stats")
        sampler.stop_event.set()
        sampler.join()
        stop.set()
        samples = []
        for _ in probes:
            samples += queue.get()
        for proc in probes:
            proc.join()
        for w in writers:
            w.send_signal(signal.SIGTERM)
        for w in writers:
            w.wait()
        assert pinfo["rdb_last_bgsave_status"] == "ok", f"{name}: bgsave status {pinfo}"
        cow = int(pinfo.get("rdb_last_cow_size", 0))
        during = sorted(lat for start, lat in samples if save_start <= start <= save_end)
        ops = int(stats1["total_commands_processed"]) - int(stats0["total_commands_processed"])
        ops_per_s = ops / (save_end - save_start)
        size = os.path.getsize(os.path.join(s.dir, "dump.rdb"))
        return {
            "version": s.version(), "load_s": load_s, "used": used, "rss_before": rss_before,
            "pss_before": pss_before, "peak_rss_sum": sampler.peak_rss_sum,
            "peak_pss_sum": sampler.peak_pss_sum, "peak_child_dirty": sampler.peak_child_dirty,
            "peak_parent_rss": sampler.peak_parent_rss, "cow": cow,
            "save_s": save_end - save_start, "p50": percentile(during, 50),
            "p99": percentile(during, 99), "p999": percentile(during, 99.9),
            "max": during[-1] if during else float("nan"), "probe_requests": len(during),
            "ops_per_s": ops_per_s, "rdb_bytes": size, "samples": sampler.samples,
        }
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="a 100 MB dataset")
    ap.add_argument("--dataset-mb", type=int, default=1024)
    ap.add_argument("--value-size", type=int, default=800)
    ap.add_argument("--clients", type=int, default=4, help="connections per redis-benchmark")
    ap.add_argument("--probes", type=int, default=2)
    ap.add_argument("--sample-ms", type=float, default=10)
    ap.add_argument("--only", choices=["mnemo", "redis"])
    args = ap.parse_args()
    if args.small:
        args.dataset_mb = 100
    # 1170 bytes of used_memory per string and hash pair with 800-byte values (measured on
    # redis-server 7.0.15 and Mnemo): the overhead of two keys, a hash and their tables.
    n = args.dataset_mb * 1024 * 1024 // (args.value_size + 370)
    tempfile.tempdir = tempfile.mkdtemp(prefix="bench-snapshot-")
    try:
        results = {}
        for name in (["mnemo", "redis"] if not args.only else [args.only]):
            results[name] = measure(name, args, n)
    finally:
        workdir, tempfile.tempdir = tempfile.tempdir, None
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"dataset: {n} strings of {args.value_size} bytes + {n} hashes of {HASH_FIELDS} fields "
          f"x {HASH_VALUE} bytes; load: 2 x redis-benchmark -c {args.clients} -r {n} (SET, HSET) "
          f"+ {args.probes} probes")
    names = list(results)
    print("servers: " + " vs ".join(results[k]["version"] for k in names))
    mb = lambda b: f"{b / 1048576:.1f} MB"
    ms = lambda s: f"{s * 1000:.2f} ms"
    rows_spec = [
        ("dataset (used_memory after load)", lambda r: mb(r["used"]), "used"),
        ("RSS before BGSAVE", lambda r: mb(r["rss_before"]), "rss_before"),
        ("peak RSS, parent + child VmRSS", lambda r: mb(r["peak_rss_sum"]), "peak_rss_sum"),
        ("Pss before BGSAVE", lambda r: mb(r["pss_before"]), "pss_before"),
        ("peak Pss, parent + child", lambda r: mb(r["peak_pss_sum"]), "peak_pss_sum"),
        ("peak growth (peak Pss - Pss before)", lambda r: mb(growth(r)), "growth"),
        ("peak growth, % of dataset", lambda r: f"{100 * growth(r) / r['used']:.1f}%",
         "growth_pct"),
        ("peak child Private_Dirty (copied pages)", lambda r: mb(r["peak_child_dirty"]), None),
        ("rdb_last_cow_size (server's own)", lambda r: mb(r["cow"]), None),
        ("save duration", lambda r: f"{r['save_s']:.2f} s", "save_s"),
        ("writes/s during the save (all clients)", lambda r: f"{r['ops_per_s']:.0f}", "ops_per_s"),
        ("probe requests during the save", lambda r: r["probe_requests"], None),
        ("writers' p50 during the save", lambda r: ms(r["p50"]), "p50"),
        ("writers' p99 during the save", lambda r: ms(r["p99"]), "p99"),
        ("writers' p99.9 during the save", lambda r: ms(r["p999"]), "p999"),
        ("writers' max during the save", lambda r: ms(r["max"]), "max"),
        ("dump.rdb bytes", lambda r: r["rdb_bytes"], "rdb_bytes"),
    ]
    rows = []
    for title, fmt, key in rows_spec:
        row = [title] + [fmt(results[k]) for k in names]
        if len(names) == 2:
            if key is None:
                row.append("")
            else:
                def value(r):
                    if key == "growth":
                        return growth(r)
                    if key == "growth_pct":
                        return growth(r) / r["used"]
                    return r[key]
                m, r = value(results["mnemo"]), value(results["redis"])
                row.append(f"{m / r:.3f}" if r else "n/a")
        rows.append(row)
    headers = ["measure"] + names + (["mnemo/redis"] if len(names) == 2 else [])
    table(rows, headers)
    if "mnemo" in results:
        m = results["mnemo"]
        pct = growth(m) / m["used"]
        print(f"target peak growth <= 10% of the dataset: {100 * pct:.1f}% "
              f"({'met' if pct <= 0.10 else 'missed'})")
        if "redis" in results:
            r = results["redis"]
            print(f"target writers' p99 <= Redis's: {m['p99'] * 1000:.2f} vs "
                  f"{r['p99'] * 1000:.2f} ms ({'met' if m['p99'] <= r['p99'] else 'missed'})")


if __name__ == "__main__":
    main()
