#!/usr/bin/python3
"""replication.py: full sync and replication lag, Mnemo -> Mnemo against Redis -> Redis (issue 14).

One run, both kinds side by side (Mnemo first, then Redis, --rounds times in turn), each a primary
and one replica of the same kind with the same dataset and the same load:
  1. the dataset: N strings `key:<12 digits>` (value of --value-size bytes) and N hashes
     `hash:<12 digits>` (4 fields of 24 bytes), written to the primary through a raw pipelined
     socket (bench/compare/snapshot.py's loader); N is chosen so that used_memory is about --size
     MB (default 1024);
  2. full sync: a fresh replica of the same kind gets REPLICAOF; the time is from that reply until
     the replica's INFO says master_link_status:up, master_sync_in_progress:0 and loading:0 (it
     has the whole dataset and follows the stream). Replication settings are each server's
     defaults (printed: repl-diskless-sync yes on both, the primary streams the RDB to the socket;
     Redis from a forked child through a pipe, Mnemo from its fork-less snapshot; the replica
     stores the RDB in a file and loads it, repl-diskless-load disabled) except
     repl-diskless-sync-delay, --sync-delay seconds (default 0; both default to 5, a fixed wait
     for more replicas to join that would add 5 s to both sides);
  3. primary memory during the sync: a sampler reads, every --sample-ms (10), /proc/<pid>/status
     VmRSS of the primary and of its children (Redis's forked RDB child), and every fifth sample
     /proc/<pid>/smaps_rollup Pss. Reported: RSS before the sync, the peak of parent + children
     VmRSS (counts the pages parent and child still share twice: the memory a fork may come to
     need if every page is written), the peak of parent + children Pss (each physical page
     once), and their growth as a percentage of the dataset (the primary's used_memory);
  4. replication lag: redis-benchmark -t set (-r N -d --value-size, --clients connections,
     overwriting the dataset's keys) on the primary for --lag-seconds; meanwhile, every
     --sample-ms, the primary's master_repl_offset then the replica's (INFO replication) give a
     lag in bytes (the replica's own master_repl_offset, not the primary's slave0 line, which
     moves only with the replica's once-a-second REPLCONF ACK), also divided by the primary's
     stream rate in the window (bytes of master_repl_offset per second) to give it in time, which
     compares the two kinds at different SET rates; and a marker writer does SET marker:<i> on the primary and polls GET on the
     replica until it is there: the time from the SET's reply until the replica shows it. Median
     and p99 of both. After the load stops, the replica must reach the primary's offset and
     DBSIZE (checked).
Targets (issue 14): Mnemo's full sync time <= Redis's, Mnemo's primary RSS growth <= 10% of the
dataset, Mnemo's lag <= Redis's.

Usage: MNEMO_SERVER=build/bin/mnemo-server bench/compare/replication.py [--size 1024]
           [--value-size 800] [--clients 20] [--lag-seconds 10] [--sample-ms 10] [--sync-delay 0]
           [--rounds 1] [--only mnemo|redis]
--size 50 --lag-seconds 3 is a smoke run of about half a minute.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time

import redis

from servers import Server, table
from snapshot import HASH_FIELDS, HASH_VALUE, children_of, load, percentile, rollup, vm_rss


class SyncSampler(threading.Thread):
    """Peak memory of a server and its children, sampled until stopped."""

    def __init__(self, pid, period):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.stop_event = threading.Event()
        self.peak_rss_sum = self.peak_pss_sum = self.peak_parent_rss = 0
        self.peak_children = 0
        self.samples = 0

    def run(self):
        kids = []
        tick = 0
        while not self.stop_event.is_set():
            if tick % 5 == 0:
                kids = children_of(self.pid)
                self.peak_children = max(self.peak_children, len(kids))
            parent = vm_rss(self.pid)
            self.peak_parent_rss = max(self.peak_parent_rss, parent)
            self.peak_rss_sum = max(self.peak_rss_sum, parent + sum(vm_rss(k) for k in kids))
            if tick % 5 == 0:
                pss = rollup(self.pid)[0] + sum(rollup(k)[0] for k in kids)
                self.peak_pss_sum = max(self.peak_pss_sum, pss)
            tick += 1
            self.samples += 1
            time.sleep(self.period)


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def repl_offset(client):
    return int(client.info("replication")["master_repl_offset"])


def synced(replica):
    info = replica.info()
    return (info.get("master_link_status") == "up" and
            int(info.get("master_sync_in_progress", 1)) == 0 and int(info.get("loading", 1)) == 0)


class OffsetSampler(threading.Thread):
    """Primary's master_repl_offset minus the replica's, every `period` seconds."""

    def __init__(self, primary_port, replica_port, period):
        super().__init__(daemon=True)
        self.p = redis.Redis(host="127.0.0.1", port=primary_port, socket_timeout=30)
        self.r = redis.Redis(host="127.0.0.1", port=replica_port, socket_timeout=30)
        self.period = period
        self.stop_event = threading.Event()
        self.lags = []

    def run(self):
        while not self.stop_event.is_set():
            # The primary first: the replica's offset is read a round trip later, so the figure
            # leans low by what the replica applies meanwhile (the same for both kinds).
            primary = repl_offset(self.p)
            self.lags.append(primary - repl_offset(self.r))
            time.sleep(self.period)


class MarkerProbe(threading.Thread):
    """SET marker:<i> on the primary, then GET on the replica until the value shows."""

    def __init__(self, primary_port, replica_port, period):
        super().__init__(daemon=True)
        self.p = redis.Redis(host="127.0.0.1", port=primary_port, socket_timeout=30)
        self.r = redis.Redis(host="127.0.0.1", port=replica_port, socket_timeout=30)
        self.period = period
        self.stop_event = threading.Event()
        self.lags = []
        self.lost = 0

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            key, value = f"marker:{i}", str(i)
            self.p.set(key, value)
            written = time.perf_counter()
            while self.r.get(key) is None:
                if time.perf_counter() - written > 10:
                    self.lost += 1
                    break
            else:
                self.lags.append(time.perf_counter() - written)
            i += 1
            time.sleep(self.period)


def measure(name, args, n):
    primary = Server(name, ["--repl-diskless-sync-delay", str(args.sync_delay)])
    replica = None
    try:
        config = {k: primary.client.config_get(k).get(k, "?") for k in
                  ("repl-diskless-sync", "repl-diskless-sync-delay", "repl-diskless-load")}
        t0 = time.time()
        load(primary.port, n, args.value_size)
        load_s = time.time() - t0
        assert primary.client.dbsize() == 2 * n, f"{name}: dbsize {primary.client.dbsize()}"
        used = primary.used_memory()
        replica = Server(name)
        time.sleep(0.5)
        rss_before = vm_rss(primary.proc.pid)
        pss_before = rollup(primary.proc.pid)[0]
        sampler = SyncSampler(primary.proc.pid, args.sample_ms / 1000)
        sampler.start()
        time.sleep(0.1)

        # ---- full sync ----
        start = time.perf_counter()
        replica.client.replicaof("127.0.0.1", primary.port)
        deadline = time.time() + 1800
        transfer_s = None
        receiving = False
        while True:
            info = replica.client.info()
            in_progress = int(info.get("master_sync_in_progress", 0)) == 1
            receiving = receiving or in_progress
            if transfer_s is None and (int(info.get("loading", 0)) == 1 or
                                       (receiving and not in_progress)):
                transfer_s = time.perf_counter() - start  # the RDB is received; loading starts
            if synced(replica.client):
                break
            if time.time() > deadline or replica.proc.poll() is not None:
                raise RuntimeError(f"{name}: the replica did not sync; see {replica.dir}/log")
            time.sleep(args.sample_ms / 1000)
        sync_s = time.perf_counter() - start
        sampler.stop_event.set()
        sampler.join()
        assert replica.client.dbsize() == 2 * n, f"{name}: replica dbsize {replica.client.dbsize()}"

        # ---- lag under SET load ----
        time.sleep(1.0)
        bench = [shutil.which("redis-benchmark"), "-h", "127.0.0.1", "-p", str(primary.port),
                 "-t", "set", "-n", "1000000000", "-c", str(args.clients), "-r", str(n),
                 "-d", str(args.value_size), "-q"]
        writer = subprocess.Popen(bench, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let the load settle
        offsets = OffsetSampler(primary.port, replica.port, args.sample_ms / 1000)
        markers = MarkerProbe(primary.port, replica.port, args.sample_ms / 1000)
        stats0 = primary.client.info("stats")
        stream0 = repl_offset(primary.client)
        cpu0 = cpu_seconds(primary.proc.pid), cpu_seconds(replica.proc.pid)
        w0 = time.time()
        offsets.start()
        markers.start()
        time.sleep(args.lag_seconds)
        offsets.stop_event.set()
        markers.stop_event.set()
        offsets.join()
        markers.join()
        stats1 = primary.client.info("stats")
        stream1 = repl_offset(primary.client)
        cpu1 = cpu_seconds(primary.proc.pid), cpu_seconds(replica.proc.pid)
        w1 = time.time()
        writer.send_signal(signal.SIGTERM)
        writer.wait()
        writes = int(stats1["total_commands_processed"]) - int(stats0["total_commands_processed"])
        # The replica catches up and holds the same keys once the load stops.
        deadline = time.time() + 60
        while repl_offset(replica.client) != repl_offset(primary.client):
            if time.time() > deadline:
                raise RuntimeError(f"{name}: the replica did not catch up with the primary")
            time.sleep(0.05)
        assert replica.client.dbsize() == primary.client.dbsize(), f"{name}: dbsize differs"

        offsets_sorted = sorted(offsets.lags)
        stream_bps = (stream1 - stream0) / (w1 - w0)
        markers_sorted = sorted(markers.lags)
        return {
            "version": primary.version(), "config": config, "load_s": load_s, "used": used,
            "sync_s": sync_s, "rss_before": rss_before, "pss_before": pss_before,
            "peak_rss_sum": sampler.peak_rss_sum, "peak_pss_sum": sampler.peak_pss_sum,
            "children": sampler.peak_children, "samples": sampler.samples,
            "transfer_s": transfer_s, "writes_per_s": writes / (w1 - w0),
            "primary_cpu_us": 1e6 * (cpu1[0] - cpu0[0]) / max(1, writes),
            "replica_cpu_us": 1e6 * (cpu1[1] - cpu0[1]) / max(1, writes),
            "offset_p50": percentile(offsets_sorted, 50),
            "offset_p99": percentile(offsets_sorted, 99), "offset_samples": len(offsets_sorted),
            "stream_bps": stream_bps,
            "offset_p99_ms": 1000 * percentile(offsets_sorted, 99) / max(1.0, stream_bps),
            "marker_p50": percentile(markers_sorted, 50),
            "marker_p99": percentile(markers_sorted, 99),
            "markers": len(markers_sorted), "markers_lost": markers.lost,
        }
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()


def rss_growth(r):
    return r["peak_rss_sum"] - r["rss_before"]


def pss_growth(r):
    return r["peak_pss_sum"] - r["pss_before"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1024, help="dataset, MB of used_memory")
    ap.add_argument("--value-size", type=int, default=800)
    ap.add_argument("--clients", type=int, default=20, help="redis-benchmark connections")
    ap.add_argument("--lag-seconds", type=float, default=10)
    ap.add_argument("--sample-ms", type=float, default=10)
    ap.add_argument("--sync-delay", type=int, default=0, help="repl-diskless-sync-delay")
    ap.add_argument("--rounds", type=int, default=1, help="Mnemo then Redis, this many times")
    ap.add_argument("--only", choices=["mnemo", "redis"])
    args = ap.parse_args()
    # 1170 bytes of used_memory per string and hash pair with 800-byte values (snapshot.py).
    n = max(1, args.size * 1024 * 1024 // (args.value_size + 370))
    names = ["mnemo", "redis"] if not args.only else [args.only]
    runs = {name: [] for name in names}
    tempfile.tempdir = tempfile.mkdtemp(prefix="bench-replication-")
    try:
        for _ in range(args.rounds):
            for name in names:
                runs[name].append(measure(name, args, n))
    finally:
        workdir, tempfile.tempdir = tempfile.tempdir, None
        shutil.rmtree(workdir, ignore_errors=True)

    # The median of the rounds, figure by figure.
    results = {}
    for name in names:
        first = runs[name][0]
        merged = dict(first)
        for key, value in first.items():
            if isinstance(value, (int, float)):
                merged[key] = statistics.median(r[key] for r in runs[name])
        merged["rss_growth"] = statistics.median(rss_growth(r) for r in runs[name])
        merged["pss_growth"] = statistics.median(pss_growth(r) for r in runs[name])
        results[name] = merged

    print(f"dataset: {n} strings of {args.value_size} bytes + {n} hashes of {HASH_FIELDS} fields "
          f"x {HASH_VALUE} bytes; lag load: redis-benchmark -t set -c {args.clients} -r {n} "
          f"-d {args.value_size} for {args.lag_seconds:g} s; {args.rounds} round(s), medians")
    print("servers: " + " vs ".join(results[k]["version"] for k in names))
    for k in names:
        print(f"{k} settings: " + ", ".join(f"{c} {v}" for c, v in results[k]["config"].items()))
    mb = lambda b: f"{b / 1048576:.1f} MB"
    ms = lambda s: f"{s * 1000:.2f} ms"
    pct = lambda part, whole: f"{100 * part / whole:.1f}%"
    spec = [
        ("dataset (primary used_memory)", lambda r: mb(r["used"]), "used"),
        ("full sync (REPLICAOF -> link up, loaded)", lambda r: f"{r['sync_s']:.2f} s", "sync_s"),
        ("  of which RDB transfer (until loading starts)", lambda r: f"{r['transfer_s']:.2f} s",
         "transfer_s"),
        ("primary RSS before the sync", lambda r: mb(r["rss_before"]), "rss_before"),
        ("primary peak RSS, parent + children VmRSS", lambda r: mb(r["peak_rss_sum"]),
         "peak_rss_sum"),
        ("RSS growth (peak - before)", lambda r: mb(r["rss_growth"]), "rss_growth"),
        ("RSS growth, % of dataset", lambda r: pct(r["rss_growth"], r["used"]), None),
        ("primary peak Pss, parent + children", lambda r: mb(r["peak_pss_sum"]), "peak_pss_sum"),
        ("Pss growth, % of dataset", lambda r: pct(r["pss_growth"], r["used"]), None),
        ("forked children seen during the sync", lambda r: r["children"], None),
        ("SET/s on the primary during the lag window", lambda r: f"{r['writes_per_s']:.0f}",
         "writes_per_s"),
        ("primary CPU per write (us)", lambda r: f"{r['primary_cpu_us']:.1f}", "primary_cpu_us"),
        ("replica CPU per replicated write (us)", lambda r: f"{r['replica_cpu_us']:.1f}",
         "replica_cpu_us"),
        ("offset lag p50 (bytes)", lambda r: f"{r['offset_p50']:.0f}", "offset_p50"),
        ("offset lag p99 (bytes)", lambda r: f"{r['offset_p99']:.0f}", "offset_p99"),
        ("stream rate on the primary (MB/s)", lambda r: f"{r['stream_bps'] / 1e6:.2f}",
         "stream_bps"),
        ("offset lag p99 / stream rate (ms)", lambda r: f"{r['offset_p99_ms']:.2f}",
         "offset_p99_ms"),
        ("marker SET -> visible on replica p50", lambda r: ms(r["marker_p50"]), "marker_p50"),
        ("marker SET -> visible on replica p99", lambda r: ms(r["marker_p99"]), "marker_p99"),
        ("markers seen / lost", lambda r: f"{r['markers']:.0f} / {r['markers_lost']:.0f}", None),
    ]
    rows = []
    for title, fmt, key in spec:
        row = [title] + [fmt(results[k]) for k in names]
        if len(names) == 2:
            m = results["mnemo"].get(key) if key else None
            r = results["redis"].get(key) if key else None
            row.append(f"{m / r:.3f}" if key and r else "")
        rows.append(row)
    table(rows, ["measure"] + names + (["mnemo/redis"] if len(names) == 2 else []))
    if args.rounds > 1:
        # The lag's tails swing from round to round on a shared machine: show every round.
        for title, key, fmt in (("SET/s", "writes_per_s", ".0f"),
                                ("marker p50 (ms)", "marker_p50", ".2f"),
                                ("marker p99 (ms)", "marker_p99", ".2f"),
                                ("offset lag p99 (bytes)", "offset_p99", ".0f")):
            scale = 1000 if key.startswith("marker") else 1
            print(f"per round, {title}: " + "; ".join(
                f"{k} " + " ".join(f"{r[key] * scale:{fmt}}" for r in runs[k]) for k in names))
    if "mnemo" in results:
        m = results["mnemo"]
        growth = m["rss_growth"] / m["used"]
        print(f"target primary RSS growth <= 10% of the dataset: {100 * growth:.1f}% "
              f"({'met' if growth <= 0.10 else 'missed'})")
        if "redis" in results:
            r = results["redis"]
            for title, key, unit in (("full sync time", "sync_s", 1),
                                     ("lag p50", "marker_p50", 1000),
                                     ("lag p99", "marker_p99", 1000),
                                     ("offset lag p99", "offset_p99", None),
                                     ("offset lag p99 in time (ms)", "offset_p99_ms", 1)):
                fmt = (lambda v: f"{v * unit:.2f}") if unit else (lambda v: f"{v:.0f}")
                print(f"target {title} <= Redis's: {fmt(m[key])} vs {fmt(r[key])} "
                      f"({'met' if m[key] <= r[key] else 'missed'})")


if __name__ == "__main__":
    main()
