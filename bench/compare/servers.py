"""servers.py: start mnemo-server and redis-server side by side on free loopback ports.

Both are started by this process and stopped by PID when the `with` block ends. Used by every
comparison script in bench/compare.
"""
import os
import socket
import subprocess
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNEMO = os.environ.get("MNEMO_SERVER", os.path.join(ROOT, "build", "bin", "mnemo-server"))
REDIS = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")


def taskset(cpus):
    """The command prefix that runs a program on `cpus` ("" : anywhere)."""
    return ["taskset", "-c", cpus] if cpus else []


def pin(pid, cpus):
    """Moves every thread of process `pid` to `cpus` ("": left as it is)."""
    if cpus:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=True,
                       capture_output=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process. `name` is "mnemo" or "redis"; extra args as on the command line."""

    def __init__(self, name, extra_args=()):
        self.name = name
        self.port = free_port()
        binary = MNEMO if name == "mnemo" else REDIS
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "no"]
        args += list(extra_args)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)
        deadline = time.time() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{name} did not start; see {self.dir}/log")
                time.sleep(0.05)

    def used_memory(self):
        return int(self.client.info("memory")["used_memory"])

    def version(self):
        info = self.client.info("server")
        return info.get("mnemo_version") and f"mnemo {info['mnemo_version']}" or \
            f"redis {info['redis_version']}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Pair:
    """Mnemo and Redis with the same extra arguments, as a context manager."""

    def __init__(self, extra_args=(), mnemo_args=(), redis_args=()):
        self.extra = list(extra_args)
        self.mnemo_args = list(mnemo_args)
        self.redis_args = list(redis_args)

    def __enter__(self):
        self.mnemo = Server("mnemo", self.extra + self.mnemo_args)
        try:
            self.redis = Server("redis", self.extra + self.redis_args)
        except Exception:
            self.mnemo.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.mnemo.stop()
        self.redis.stop()

    def both(self):
        return [self.mnemo, self.redis]


def resp(*args):
    """One request in RESP, for scripts that write pipelines to a socket themselves."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def table(rows, headers):
    """Prints rows as an aligned text table."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
