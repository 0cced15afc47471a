#!/usr/bin/python3
"""pubsub.py: pub/sub fan-out and blocking-pop ping-pong, Mnemo against Redis in one run (issue 10).

1. One publisher and 50 subscribers on one channel: the publisher pipelines PUBLISH (a window of
   256 in flight, 16-byte payloads) for --seconds; the subscribers (one process, raw sockets,
   epoll) count the messages they receive. Prints messages delivered per second (counted on the
   subscriber side) for each server and the ratio (target: Mnemo >= Redis).
2. BLPOP/RPUSH ping-pong: A pushes to "ping" and blocks on "pong"; B, blocked on "ping", is
   woken, pushes to "pong" (waking A) and blocks on "ping" again. Prints round trips per second
   (target: Mnemo >= Redis). The client is build/bench/compare/blpop_pingpong (C++, one thread,
   epoll, hiredis's reader; bench/compare/blpop_pingpong.cc), run with 1 pair (latency-bound:
   every round trip is two wake-ups in a row) and with --pairs N pairs at once (server-bound).
   The ping-pong also runs against both servers at the same time (each with its own client):
   on a shared, busy machine both then see the same load, so their ratio is steadier than that
   of runs taken one after the other.
   --python-pingpong adds the former pure-Python client (two processes, 1 pair), which spends
   more CPU per round trip than either server and so mostly measures itself.

On a machine with few cores the servers and clients compete for CPU: by default both servers
are pinned to CPU 0 and the ping-pong client to CPU 1 (`--server-cpus`, `--client-cpus`, empty to
not pin), as bench/compare/throughput.py does. The fan-out's two Python processes are not pinned
(on one CPU they, not the server, would set the rate), and the at-once runs leave every process
free to run anywhere (two servers pinned to one CPU would share it).

For both it also prints the server process's CPU time (user + system, from /proc) per delivered
message and per round trip: on a busy machine the rates swing, the CPU cost much less.

Both servers run with client-output-buffer-limit pubsub 0 0 0, so slow subscribers are measured,
not disconnected. The clients are Python; each run uses the same clients for both servers and
the machine is shared: read the ratio, not the absolute numbers.

Each measure runs --repeat times, alternating the servers, and the median is printed (the
machine is shared and a single run swings by tens of percent).

Usage: bench/compare/pubsub.py [--subscribers 50] [--seconds 3] [--pairs 8] [--repeat 3]
                               [--python-pingpong [--rounds 20000]] [--no-fanout]
                               [--server-cpus 0] [--client-cpus 1]
"""
import statistics
import argparse
import multiprocessing as mp
import os
import select
import socket
import subprocess
import time

from servers import ROOT, Pair, pin, table, taskset

DRIVER = os.environ.get("MNEMO_PINGPONG",
                        os.path.join(ROOT, "build", "bench", "compare", "blpop_pingpong"))


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


MARK = b"$7\r\nmessage\r\n"


def subscribers(port, n, ready, stop, result):
    socks = [connect(port) for _ in range(n)]
    for s in socks:
        s.sendall(encode("SUBSCRIBE", "bench"))
    for s in socks:
        data = b""
        while not data.endswith(b":1\r\n"):
            data += s.recv(4096)
    ready.set()
    ep = select.epoll()
    by_fd = {}
    for s in socks:
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN)
        by_fd[s.fileno()] = [s, b""]
    count = 0
    first = last = None
    quiet_since = None
    while True:
        events = ep.poll(0.05)
        now = time.monotonic()
        if not events:
            if stop.is_set():
                quiet_since = quiet_since or now
                if now - quiet_since > 0.3:
                    break
            continue
        quiet_since = None
        for fd, _ in events:
            entry = by_fd[fd]
            try:
                data = entry[0].recv(1 << 18)
            except BlockingIOError:
                continue
            # A message's marker may be cut by a chunk boundary: keep the tail.
            buf = entry[1] + data
            c = buf.count(MARK)
            count += c
            if c:
                first = first or now
                last = now
            entry[1] = buf[-(len(MARK) - 1):]
    result.put((count, (last - first) if first and last and last > first else 0.0))
    for s in socks:
        s.close()


def publisher(port, seconds, result):
    s = connect(port)
    frame = encode("PUBLISH", "bench", "0123456789abcdef")
    window = 256
    batch = frame * window
    sent = replies = 0
    end = time.monotonic() + seconds
    s.sendall(batch)
    sent += window
    while time.monotonic() < end:
        data = s.recv(1 << 16)
        got = data.count(b"\n")
        replies += got
        # Keep about two windows in flight.
        while sent - replies < 2 * window:
            s.sendall(batch)
            sent += window
    while replies < sent:
        replies += s.recv(1 << 16).count(b"\n")
    s.close()
    result.put(sent)


def fanout(port, n, seconds):
    ctx = mp.get_context("fork")
    ready, stop, res_sub, res_pub = ctx.Event(), ctx.Event(), ctx.Queue(), ctx.Queue()
    sub = ctx.Process(target=subscribers, args=(port, n, ready, stop, res_sub))
    sub.start()
    assert ready.wait(30), "subscribers did not start"
    pub = ctx.Process(target=publisher, args=(port, seconds, res_pub))
    pub.start()
    published = res_pub.get(timeout=seconds + 120)
    stop.set()
    count, elapsed = res_sub.get(timeout=120)
    pub.join()
    sub.join()
    assert count == published * n, f"delivered {count}, expected {published} x {n}"
    return count / elapsed, published


def pong_side(port, rounds, ready):
    s = connect(port)
    ping = encode("BLPOP", "ping", "0")
    pong = encode("RPUSH", "pong", "x")
    ready.set()
    buf = b""
    for _ in range(rounds):
        s.sendall(ping)
        # BLPOP answer: *2\r\n$4\r\nping\r\n$1\r\nx\r\n (5 lines).
        while buf.count(b"\n") < 5:
            buf += s.recv(4096)
        buf = buf.split(b"\n", 5)[5]
        s.sendall(pong)
        while buf.count(b"\n") < 1:
            buf += s.recv(4096)
        buf = buf.split(b"\n", 1)[1]
    s.close()


def ping_pong(port, rounds):
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    other = ctx.Process(target=pong_side, args=(port, rounds, ready))
    other.start()
    ready.wait(10)
    s = connect(port)
    ping = encode("RPUSH", "ping", "x")
    wait = encode("BLPOP", "pong", "0")
    buf = b""
    start = time.monotonic()
    for _ in range(rounds):
        s.sendall(ping + wait)
        # RPUSH reply (1 line) then BLPOP reply (5 lines).
        while buf.count(b"\n") < 6:
            buf += s.recv(4096)
        buf = buf.split(b"\n", 6)[6]
    elapsed = time.monotonic() - start
    other.join()
    s.close()
    return rounds / elapsed


def ping_pong_driver(port, pairs, seconds, client_cpus):
    """Round trips per second with the C++ client, all pairs together."""
    out = subprocess.run(taskset(client_cpus) + [DRIVER, str(port), "--pairs", str(pairs), "--seconds", str(seconds),
                          "--warmup", "0.3"], capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"{DRIVER}: {out.stderr.strip()}")
    fields = out.stdout.split()
    return float(fields[fields.index("rate") + 1]), int(fields[fields.index("round_trips") + 1])


def ping_pong_both(servers, pairs, seconds):
    """The C++ client against every server at once: {name: (rate, server CPU us per round
    trip)}."""
    procs, before = {}, {}
    for s in servers:
        before[s.name] = cpu_seconds(s.proc.pid)
        procs[s.name] = subprocess.Popen(
            [DRIVER, str(s.port), "--pairs", str(pairs), "--seconds", str(seconds), "--warmup",
             "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for s in servers:
        stdout, stderr = procs[s.name].communicate(timeout=seconds + 60)
        if procs[s.name].returncode != 0:
            raise RuntimeError(f"{DRIVER}: {stderr.strip()}")
        fields = stdout.split()
        rate = float(fields[fields.index("rate") + 1])
        trips = int(fields[fields.index("round_trips") + 1])
        out[s.name] = (rate, (cpu_seconds(s.proc.pid) - before[s.name]) * 1e6 / trips)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--rounds", type=int, default=20000)
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python-pingpong", action="store_true")
    ap.add_argument("--no-fanout", action="store_true")
    ap.add_argument("--server-cpus", default="0" if os.cpu_count() >= 2 else "")
    ap.add_argument("--client-cpus", default="1" if os.cpu_count() >= 2 else "")
    args = ap.parse_args()
    everywhere = f"0-{os.cpu_count() - 1}"
    if not os.access(DRIVER, os.X_OK):
        raise SystemExit(f"{DRIVER} is missing: build it (make -C build blpop_pingpong)")
    limit = ["--client-output-buffer-limit", "pubsub 0 0 0"]
    measures = []  # (label, fmt, {"mnemo": [...], "redis": [...]})

    def measure(label, fmt):
        for m in measures:
            if m[0] == label:
                return m[2]
        m = (label, fmt, {"mnemo": [], "redis": []})
        measures.append(m)
        return m[2]

    with Pair(limit) as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}; servers on cpus "
              f"'{args.server_cpus}', ping-pong client on '{args.client_cpus}' (at once: anywhere); "
              f"load average before: {os.getloadavg()[0]:.2f}")
        for i in range(args.repeat):
            for s in p.both():
                pin(s.proc.pid, args.server_cpus)
            # Alternate which server goes first.
            order = p.both() if i % 2 == 0 else list(reversed(p.both()))
            if not args.no_fanout:
                for s in order:
                    before = cpu_seconds(s.proc.pid)
                    r, published = fanout(s.port, args.subscribers, args.seconds)
                    measure(f"1 publisher, {args.subscribers} subscribers: messages delivered/s",
                            ".0f")[s.name].append(r)
                    # The server's own CPU time per unit of work: less sensitive to a busy
                    # machine than rates.
                    measure("  server CPU per delivered message (ns)", ".0f")[s.name].append(
                        (cpu_seconds(s.proc.pid) - before) * 1e9 /
                        (published * args.subscribers))
            for pairs in sorted({1, args.pairs}):
                for s in order:
                    before = cpu_seconds(s.proc.pid)
                    rate, trips = ping_pong_driver(s.port, pairs, args.seconds,
                                                   args.client_cpus)
                    # The warm-up's round trips are not counted in `trips`: a small overcount
                    # of CPU per round trip, the same for both servers.
                    measure(f"BLPOP/RPUSH ping-pong, C++ client, {pairs} pair(s): round trips/s",
                            ".0f")[s.name].append(rate)
                    measure(f"  server CPU per round trip (us), {pairs} pair(s)", ".2f")[
                        s.name].append((cpu_seconds(s.proc.pid) - before) * 1e6 / trips)
            if args.server_cpus:
                for s in p.both():
                    pin(s.proc.pid, everywhere)
            for pairs in sorted({1, args.pairs}):
                both = ping_pong_both(order, pairs, args.seconds)
                for name, (rate, cpu) in both.items():
                    measure(f"BLPOP/RPUSH ping-pong, both servers at once, {pairs} pair(s): "
                            "round trips/s", ".0f")[name].append(rate)
                    measure(f"  server CPU per round trip (us), at once, {pairs} pair(s)",
                            ".2f")[name].append(cpu)
            if args.python_pingpong:
                for s in order:
                    before = cpu_seconds(s.proc.pid)
                    measure(f"BLPOP/RPUSH ping-pong, Python client: round trips/s "
                            f"({args.rounds} per run)", ".0f")[s.name].append(
                                ping_pong(s.port, args.rounds))
                    measure("  server CPU per round trip (us), Python client", ".2f")[
                        s.name].append((cpu_seconds(s.proc.pid) - before) * 1e6 / args.rounds)
        rows = []
        for label, fmt, runs in measures:
            m, r = statistics.median(runs["mnemo"]), statistics.median(runs["redis"])
            rows.append([label, f"{m:{fmt}}", f"{r:{fmt}}", f"{m / r:.3f}"])
            rows.append([f"    runs (median of {args.repeat})",
                         " ".join(f"{x:{fmt}}" for x in runs["mnemo"]),
                         " ".join(f"{x:{fmt}}" for x in runs["redis"]), ""])
        table(rows, ["measure", "mnemo", "redis", "mnemo/redis"])


if __name__ == "__main__":
    main()
