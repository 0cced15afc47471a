# resp.py: a minimal RESP2/RESP3 connection for tests that need what redis-py 4.3 (Debian 12)
# cannot give: RESP3 pushes, replies and pushes in the order they arrive, raw frames.
#
# Frames are decoded into plain Python values: simple strings and bulk strings as bytes, errors
# (simple and blob) as Error, integers as int, nulls as None, arrays and sets as lists, maps as
# dicts (keys decoded), pushes as Push (a list), doubles as float, booleans as bool; attributes
# are skipped (the value they annotate is returned).
import select
import socket


class Error(Exception):
    def __eq__(self, other):
        return isinstance(other, Error) and self.args == other.args

    def __hash__(self):
        return hash(self.args)


class Push(list):
    def __repr__(self):
        return "Push(" + list.__repr__(self) + ")"


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, (int, float)):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=10, source=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=source)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode(*args))

    def call(self, *args):
        """Sends one command and returns the next frame that is not a push (pushes that arrive
        first are kept in self.pushes)."""
        self.send(*args)
        return self.reply()

    def call_frame(self, *args):
        """Sends one command and returns the next frame as it comes, push or not (a RESP3
        SUBSCRIBE is answered by a push)."""
        self.send(*args)
        return self.read()

    def pending(self, wait=0.0):
        """True when bytes are ready to read within `wait` seconds."""
        if self.buf:
            return True
        r, _, _ = select.select([self.sock], [], [], wait)
        return bool(r)

    def reply(self):
        while True:
            frame = self.read()
            if isinstance(frame, Push):
                self.pushes.append(frame)
                continue
            return frame

    pushes = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        """The next frame, push or not."""
        if self.pushes is None:
            self.pushes = []
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            return Error(rest.decode(errors="replace"))
        if t == b"!":
            return Error(self._exact(int(rest)).decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"_":
            return None
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"(":
            return int(rest)
        if t == b"=":
            return self._exact(int(rest))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self.read() for _ in range(n)]
            return Push(items) if t == b">" else items
        if t == b"%":
            n = int(rest)
            out = {}
            for _ in range(n):
                k = self.read()
                out[k.decode() if isinstance(k, bytes) else k] = self.read()
            return out
        if t == b"|":
            for _ in range(2 * int(rest)):
                self.read()
            return self.read()
        raise ValueError(f"unexpected frame type {line!r}")

    def read_push(self, timeout=5):
        """The next push (kept or new), waiting up to `timeout` seconds; None if none came."""
        if self.pushes:
            return self.pushes.pop(0)
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            while True:
                frame = self.read()
                if isinstance(frame, Push):
                    return frame
                raise AssertionError(f"a reply where a push was expected: {frame!r}")
        except (socket.timeout, TimeoutError):
            return None
        finally:
            self.sock.settimeout(old)

    def read_message(self, timeout=5):
        """The next frame of a RESP2 subscriber (a list), or None after `timeout` seconds."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            return self.read()
        except (socket.timeout, TimeoutError):
            return None
        finally:
            self.sock.settimeout(old)
