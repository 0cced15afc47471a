# test_tracking.py: client-side caching (CLIENT TRACKING) against the real mnemo-server, each
# scenario run side by side on redis-server 7.0.15 and compared frame by frame.
import time

import pytest

from conftest import Reference, Server
from resp import Conn, Error, Push


@pytest.fixture(scope="module")
def pair():
    mnemo = Server()
    ref = Reference()
    yield mnemo, ref
    ref.stop()
    assert mnemo.stop() == 0, mnemo.log_text()


def both(pair, scenario):
    """Runs scenario(port) on Mnemo and on Redis after a FLUSHALL each; returns Mnemo's
    transcript after checking it equals Redis's."""
    out = []
    for s in pair:
        with Conn(s.port) as c:
            c.call("FLUSHALL")
            c.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
        out.append(scenario(s.port))
    assert out[0] == out[1], f"mnemo: {out[0]}\nredis: {out[1]}"
    return out[0]


def resp3(port):
    c = Conn(port)
    c.call("HELLO", "3")
    return c


def test_default_mode_invalidates_each_read_key_once(pair):
    def scenario(port):
        t = []
        with resp3(port) as a, Conn(port) as b:
            t.append(a.call("CLIENT", "TRACKING", "on"))
            b.call("SET", "k", "1")
            t.append(a.call("GET", "k"))
            t.append(a.call("MGET", "m1", "m2"))
            b.call("SET", "k", "2")
            t.append(a.read_push())
            # Forgotten once invalidated: a second change says nothing until it is read again.
            b.call("SET", "k", "3")
            b.call("DEL", "m2")  # m2 did not exist, DEL changed nothing: no message
            b.call("SET", "m1", "x")
            t.append(a.read_push())
            t.append(a.read_push(timeout=0.3))
            # A key read inside MULTI/EXEC is tracked too.
            t.append(a.call("MULTI"))
            t.append(a.call("GET", "k"))
            t.append(a.call("EXEC"))
            b.call("APPEND", "k", "z")
            t.append(a.read_push())
            t.append(a.call("CLIENT", "TRACKINGINFO"))
            t.append(a.call("CLIENT", "GETREDIR"))
        return t

    t = both(pair, scenario)
    assert t[3] == Push([b"invalidate", [b"k"]])
    assert t[4] == Push([b"invalidate", [b"m1"]])
    assert t[5] is None
    assert t[9] == Push([b"invalidate", [b"k"]])
    assert t[10] == {"flags": [b"on"], "redirect": 0, "prefixes": []}
    assert t[11] == 0


def test_own_writes_follow_the_reply_and_noloop_silences_them(pair):
    def scenario(port):
        t = []
        with resp3(port) as a:
            a.call("CLIENT", "TRACKING", "on")
            a.call("GET", "own")
            # The invalidation of a key changed by the client itself comes after the reply.
            a.send("SET", "own", "1")
            t.append(a.read())
            t.append(a.read())
            a.call("CLIENT", "TRACKING", "on", "NOLOOP")
            a.call("GET", "own")
            t.append(a.call("SET", "own", "2"))
            t.append(a.call("PING"))
            t.append(a.read_push(timeout=0.3))
        return t

    t = both(pair, scenario)
    assert t[0] == b"OK" and t[1] == Push([b"invalidate", [b"own"]])
    assert t[4] is None


def test_optin_and_optout(pair):
    def scenario(port):
        t = []
        with resp3(port) as a, resp3(port) as o, Conn(port) as b:
            t.append(a.call("CLIENT", "TRACKING", "on", "OPTIN"))
            a.call("GET", "a1")  # not cached
            t.append(a.call("CLIENT", "CACHING", "yes"))
            a.call("GET", "a2")  # cached
            a.call("GET", "a3")  # CACHING lasted one command
            t.append(o.call("CLIENT", "TRACKING", "on", "OPTOUT"))
            t.append(o.call("CLIENT", "CACHING", "no"))
            o.call("GET", "a1")  # not cached
            o.call("GET", "a3")  # cached
            for k in ("a1", "a2", "a3"):
                b.call("SET", k, "v")
            t.append(a.read_push())
            t.append(a.read_push(timeout=0.3))
            t.append(o.read_push())
            t.append(o.read_push(timeout=0.3))
            t.append(a.call("CLIENT", "CACHING", "no"))
            t.append(o.call("CLIENT", "CACHING", "yes"))
            t.append(a.call("CLIENT", "TRACKING", "on", "OPTOUT"))
            t.append(a.call("CLIENT", "CACHING", "yes"))
            t.append(a.call("CLIENT", "TRACKINGINFO"))
        return t

    t = both(pair, scenario)
    assert t[4] == Push([b"invalidate", [b"a2"]]) and t[5] is None
    assert t[6] == Push([b"invalidate", [b"a3"]]) and t[7] is None
    assert isinstance(t[8], Error) and isinstance(t[9], Error) and isinstance(t[10], Error)
    assert t[12]["flags"] == [b"on", b"optin", b"caching-yes"]


def test_bcast_prefixes(pair):
    def scenario(port):
        t = []
        with resp3(port) as a, resp3(port) as n, Conn(port) as b:
            t.append(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:",
                            "PREFIX", "job:"))
            t.append(n.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"))
            b.call("SET", "user:1", "x")
            got = a.read_push()
            t.append(got)
            b.call("SET", "other", "x")
            b.call("MSET", "job:1", "x", "job:2", "y")
            got = a.read_push()
            t.append(Push([got[0], sorted(got[1])]))
            # NOLOOP: its own changes are left out of what it hears.
            n.call("SET", "mine", "1")
            b.call("SET", "theirs", "1")
            heard = []
            while True:
                p = n.read_push(timeout=0.5)
                if p is None:
                    break
                heard.extend(p[1])
            t.append(sorted(set(heard)))
            t.append(a.call("CLIENT", "TRACKINGINFO"))
            t.append(a.call("CLIENT", "TRACKING", "on", "PREFIX", "x"))
            t.append(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "us"))
            t.append(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "abc"))
            t.append(a.call("CLIENT", "TRACKING", "on"))
            t.append(a.call("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"))
            t.append(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "new:"))
            t.append(sorted(a.call("CLIENT", "TRACKINGINFO")["prefixes"]))
            info = a.call("INFO", "stats").decode()
            t.append([l for l in info.split("\r\n") if l.startswith("tracking_total_prefixes")])
        return t

    t = both(pair, scenario)
    assert t[2] == Push([b"invalidate", [b"user:1"]])
    assert t[3] == Push([b"invalidate", [b"job:1", b"job:2"]])
    assert b"mine" not in t[4] and b"theirs" in t[4]
    assert isinstance(t[6], Error) and "requires BCAST" in t[6].args[0]
    assert isinstance(t[7], Error) and "overlaps" in t[7].args[0]
    assert t[12] == [b"job:", b"new:", b"user:"]


def test_resp2_redirect_to_a_subscriber_and_broken_redirect(pair):
    def scenario(port):
        t = []
        with Conn(port) as sub, resp3(port) as a, Conn(port) as b, Conn(port) as r2:
            sub_id = sub.call("CLIENT", "ID")
            t.append(sub.call("SUBSCRIBE", "__redis__:invalidate"))
            t.append(r2.call("CLIENT", "TRACKING", "on", "REDIRECT", str(sub_id)))
            t.append(r2.call("CLIENT", "GETREDIR") == sub_id)
            r2.call("GET", "rk")
            b.call("SET", "rk", "1")
            t.append(sub.read_message())
            # RESP2 without a redirect: tracking is accepted, messages have nowhere to go.
            t.append(b.call("CLIENT", "TRACKING", "on"))
            t.append(b.call("CLIENT", "TRACKING", "off"))
            # A flush invalidates everything with a null.
            r2.call("GET", "rk")
            b.call("FLUSHALL")
            t.append(sub.read_message())
            t.append(sub.read_message(timeout=0.3))
            # The redirect target goes away: a RESP3 client is told, and its flags say so.
            gone = Conn(port)
            gone_id = gone.call("CLIENT", "ID")
            t.append(a.call("CLIENT", "TRACKING", "on", "REDIRECT", str(gone_id)))
            a.call("GET", "bk")
            gone.close()
            time.sleep(0.2)
            b.call("SET", "bk", "1")
            p = a.read_push()
            t.append([p[0], p[1] == gone_id])
            info = a.call("CLIENT", "TRACKINGINFO")
            t.append([info["flags"], info["redirect"] == gone_id])
            line = a.call("CLIENT", "INFO").decode()
            t.append([f for f in line.split() if f.startswith("flags=")])
            t.append(a.call("CLIENT", "TRACKING", "on", "REDIRECT", "999999"))
            t.append(a.call("CLIENT", "TRACKING", "on", "REDIRECT", "1", "REDIRECT", "2"))
            t.append(a.call("CLIENT", "TRACKING", "maybe"))
            t.append(a.call("CLIENT", "TRACKING", "on", "BOGUS"))
            t.append(a.call("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"))
        return t

    t = both(pair, scenario)
    assert t[3] == [b"message", b"__redis__:invalidate", [b"rk"]]
    assert t[6] == [b"message", b"__redis__:invalidate", None]
    assert t[7] is None
    assert t[9] == [b"tracking-redir-broken", True]
    assert t[10] == [[b"on", b"broken_redirect"], True]
    assert t[11] == ["flags=tR"]
    assert isinstance(t[12], Error) and "does not exist" in t[12].args[0]


def test_flush_swapdb_expiry_and_reset(pair):
    def scenario(port):
        t = []
        with resp3(port) as a, Conn(port) as b:
            a.call("CLIENT", "TRACKING", "on")
            a.call("GET", "f1")
            b.call("FLUSHDB")
            t.append(a.read_push())
            a.call("GET", "f1")
            b.call("FLUSHALL")
            t.append(a.read_push())  # once, though every database is flushed
            t.append(a.read_push(timeout=0.3))
            # Expiry is a change: the key's readers hear of it.
            b.call("SET", "ex", "1", "PX", "50")
            a.call("GET", "ex")
            time.sleep(0.2)
            b.call("GET", "ex")  # deleted here at the latest
            t.append(a.read_push())
            a.call("GET", "r1")
            t.append(a.call("RESET"))
            b.call("SET", "r1", "x")
            t.append(a.call("CLIENT", "TRACKINGINFO"))
            t.append(a.read_push(timeout=0.3))
        return t

    t = both(pair, scenario)
    assert t[0] == Push([b"invalidate", None])
    assert t[1] == Push([b"invalidate", None]) and t[2] is None
    assert t[3] == Push([b"invalidate", [b"ex"]])
    # RESET went back to RESP2: a flat array.
    assert t[5] == [b"flags", [b"off"], b"redirect", -1, b"prefixes", []]
    assert t[6] is None


def test_swapdb_invalidates_everything(server):
    # Redis 7.0 sends nothing on SWAPDB, leaving caches of both databases stale; Mnemo treats
    # it as a flush.
    with resp3(server.port) as a, Conn(server.port) as b:
        a.call("CLIENT", "TRACKING", "on")
        b.call("SET", "s", "db0")
        assert a.call("GET", "s") == b"db0"
        b.call("SWAPDB", "0", "1")
        assert a.read_push() == Push([b"invalidate", None])


def test_tracking_table_max_keys_drops_keys_and_tells_their_readers(pair):
    def scenario(port):
        t = []
        with resp3(port) as a, Conn(port) as b:
            b.call("CONFIG", "SET", "tracking-table-max-keys", "10")
            a.call("CLIENT", "TRACKING", "on")
            for i in range(50):
                a.call("GET", f"t{i}")
            a.call("PING")
            info = b.call("INFO", "stats").decode()
            keys = int(next(l for l in info.split("\r\n")
                            if l.startswith("tracking_total_keys:")).split(":")[1])
            t.append(keys <= 11)
            told = set()
            for p in a.pushes:
                told.update(p[1])
            while True:
                p = a.read_push(timeout=0.3)
                if p is None:
                    break
                told.update(p[1])
            t.append(len(told) + keys == 50)
            b.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
        return t

    assert both(pair, scenario) == [True, True]


def test_info_and_memory_return_after_tracking(server):
    with Conn(server.port) as b:
        clients = [resp3(server.port) for _ in range(3)]
        for c in clients:
            c.call("CLIENT", "TRACKING", "on")
        info = b.call("INFO", "clients").decode()
        assert "tracking_clients:3" in info
        used0 = int(b.call("INFO", "memory").decode().split("used_memory:")[1].split("\r")[0])
        for c in clients:
            c.send(*(["MGET"] + [f"key:{i}" for i in range(20000)]))
        for c in clients:
            c.reply()
        info = b.call("INFO", "stats").decode()
        assert "tracking_total_keys:20000" in info
        assert "tracking_total_items:60000" in info
        used1 = int(b.call("INFO", "memory").decode().split("used_memory:")[1].split("\r")[0])
        assert used1 - used0 > 20000 * 40, (used0, used1)
        for c in clients:
            c.call("CLIENT", "TRACKING", "off")
        b.call("FLUSHALL")  # empties the table
        info = b.call("INFO", "stats").decode()
        assert "tracking_total_keys:0" in info
        for c in clients:
            c.close()
        time.sleep(0.2)
        used2 = int(b.call("INFO", "memory").decode().split("used_memory:")[1].split("\r")[0])
        assert used2 < used0 + 64 * 1024, (used0, used2)
        assert "tracking_clients:0" in b.call("INFO", "clients").decode()
