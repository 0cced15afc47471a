# test_loading.py: clients connected while the dataset loads at start (tests/integration/python).
#
# The server answers them between chunks of the file (every 2 MB, as Redis's
# loading_process_events_interval_bytes): commands flagged `loading` (INFO, SHUTDOWN, ...) run,
# the others get Redis's -LOADING error; INFO persistence shows Redis 7.0's loading* fields.
import os
import socket
import subprocess
import time

import redis

from conftest import free_port

KEYS = 4_000_000


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


USED_MEM = 123456789  # the "used-mem" AUX field of the file


def big_rdb(path):
    """An RDB 10 file of KEYS small strings, written by hand (a zero checksum: not verified)."""
    used_mem = str(USED_MEM).encode()
    parts = [b"REDIS0010", b"\xfa\x08used-mem" + bytes([len(used_mem)]) + used_mem,
             b"\xfe\x00", b"\xfb", rdb_len(KEYS), rdb_len(0)]
    value = b"\x05value"
    for i in range(KEYS):
        k = b"key:%d" % i
        parts.append(b"\x00" + bytes([len(k)]) + k + value)
    parts.append(b"\xff" + b"\x00" * 8)
    with open(path, "wb") as f:
        f.write(b"".join(parts))


def send(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


def read_reply(f):
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:-2] if n >= 0 else None
    return line.rstrip(b"\r\n")


def start_on(path, save):
    """Starts mnemo-server on the dump in `path` and connects as soon as the port is open (the
    load has begun). Returns the process, the socket and a reader of it."""
    port = free_port()
    proc = subprocess.Popen(
        [os.environ["MNEMO_SERVER"], "--port", str(port), "--bind", "127.0.0.1", "--dir",
         str(path), "--save", save], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            return proc, port, sock, sock.makefile("rb")
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.002)


def test_clients_are_answered_while_the_rdb_loads(tmp_path):
    big_rdb(tmp_path / "dump.rdb")
    size = os.path.getsize(tmp_path / "dump.rdb")
    proc, port, sock, f = start_on(tmp_path, "")
    try:
        # While loading: GET and PING refused with Redis's text, INFO answered.
        send(sock, "GET", "key:1")
        assert read_reply(f) == b"-LOADING Redis is loading the dataset in memory"
        send(sock, "INFO", "persistence")
        text = read_reply(f).decode()
        assert "# Persistence" in text, text
        info = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
        assert info["loading"] == "1", text
        assert info["async_loading"] == "0"
        assert int(info["loading_total_bytes"]) == size
        assert 0 < int(info["loading_loaded_bytes"]) < size
        assert 0 < float(info["loading_loaded_perc"]) < 100
        assert abs(int(info["loading_start_time"]) - time.time()) < 60
        assert int(info["loading_eta_seconds"]) >= 0
        assert int(info["loading_rdb_used_mem"]) == USED_MEM  # the file's "used-mem" AUX field
        send(sock, "PING")
        assert read_reply(f) in (b"-LOADING Redis is loading the dataset in memory", b"+PONG")
        # Once loaded: every key is there and the loading fields are gone.
        c = redis.Redis(port=port, socket_timeout=60)
        deadline = time.monotonic() + 120
        while True:
            try:
                c.ping()
                break
            except redis.exceptions.BusyLoadingError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert c.dbsize() == KEYS
        assert c.get("key:3999999") == b"value"
        persistence = c.info("persistence")
        assert persistence["loading"] == 0 and "loading_total_bytes" not in persistence
        assert persistence["rdb_last_load_keys_loaded"] == KEYS
        sock.close()
        c.shutdown(nosave=True)
    finally:
        if proc.poll() is None:
            proc.kill()
        log = proc.communicate(timeout=30)[0].decode()
    assert "Done loading RDB, keys loaded: %d" % KEYS in log, log


def test_shutdown_while_loading_keeps_the_file(tmp_path):
    """SIGTERM during the load stops the server at once, without saving the half-loaded
    dataset over the file (save points are on)."""
    big_rdb(tmp_path / "dump.rdb")
    before = (tmp_path / "dump.rdb").read_bytes()
    proc, _, sock, f = start_on(tmp_path, "3600 1")
    send(sock, "GET", "x")
    assert read_reply(f) == b"-LOADING Redis is loading the dataset in memory"
    proc.terminate()
    assert proc.wait(timeout=60) == 0
    log = proc.communicate(timeout=30)[0].decode()
    assert "Shutdown during loading: exiting without saving." in log, log
    assert "DB saved on disk" not in log
    assert (tmp_path / "dump.rdb").read_bytes() == before
    sock.close()
