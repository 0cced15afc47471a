# test_replication.py: replication with Redis 7.0's protocol in both directions, proved against
# Debian's redis-server 7.0.15: a Redis replica of a Mnemo primary, a Mnemo replica of a Redis
# primary, and Mnemo of Mnemo each converge to the same dataset under a seeded write load (every
# type, expiries, MULTI/EXEC, a script, two databases), compared key by key; after a forced
# disconnect they continue with a partial resync; WAIT, read-only replicas, ROLE and INFO.
import os
import random
import signal
import socket
import time

import pytest
import redis

from conftest import Reference, Server, wait_until as wait_for


FAST = ("--repl-diskless-sync-delay", "0")


def info(c, section="replication"):
    return c.info(section)


def link_up(replica):
    return info(replica).get("master_link_status") == "up"


def caught_up(primary, replica):
    p = info(primary)["master_repl_offset"]
    r = info(replica)
    return r.get("master_link_status") == "up" and r["slave_repl_offset"] == p and p > 0


def wait_synced(primary, replica, timeout=30):
    # The primary's offset moves by itself (PING, GETACK): compare until both agree.
    wait_for(lambda: caught_up(primary, replica), timeout, "the replica to catch up")


def dataset(c, dbs=(0, 1)):
    """Every live key of the databases as (type, value, has-ttl) for comparison."""
    out = {}
    for db in dbs:
        c.execute_command("SELECT", db)
        for key in c.scan_iter(count=1000):
            t = c.type(key).decode()
            if t == "none":
                continue  # expired meanwhile (a replica hides it)
            if t == "string":
                v = c.get(key)
            elif t == "list":
                v = c.lrange(key, 0, -1)
            elif t == "set":
                v = sorted(c.smembers(key))
            elif t == "zset":
                v = c.zrange(key, 0, -1, withscores=True)
            elif t == "hash":
                v = sorted(c.hgetall(key).items())
            elif t == "stream":
                v = c.xrange(key)
            else:
                v = None
            ttl = c.pttl(key)
            if ttl == -2:
                continue  # expired while it was read
            out[(db, key)] = (t, v, ttl >= 0)
    c.execute_command("SELECT", 0)
    return out


def assert_same_dataset(primary, replica):
    # Keys near their expiry may be gone on one side already: compare those that are live on
    # both, and require that nothing else differs.
    a = dataset(primary)
    b = dataset(replica)
    only_a = set(a) - set(b)
    only_b = set(b) - set(a)
    for k in only_a | only_b:
        # Only keys with a TTL may be on one side (expired in between the two reads).
        assert (a.get(k) or b.get(k))[2], f"key {k} on one side only: {a.get(k)} / {b.get(k)}"
    common = set(a) & set(b)
    assert len(common) > 50, "the load wrote too little"
    for k in sorted(common):
        assert a[k] == b[k], f"key {k} differs: primary {a[k]} replica {b[k]}"


SCRIPT = """
redis.call('set', KEYS[1], ARGV[1])
redis.call('incrby', KEYS[2], 3)
redis.call('rpush', KEYS[3], ARGV[1], ARGV[1])
return 1
"""


def write_load(c, seed, n=600, prefix="k"):
    rnd = random.Random(seed)
    c1 = c  # db 0
    for i in range(n):
        k = f"{prefix}:{rnd.randrange(120)}"
        op = rnd.randrange(22)
        try:
            if op == 0:
                c1.set(f"{k}:s", rnd.randbytes(rnd.randrange(1, 40)))
            elif op == 1:
                c1.set(f"{k}:ex", "v", ex=1000)
            elif op == 2:
                c1.set(f"{k}:px", "short", px=rnd.randrange(1, 60))
            elif op == 3:
                c1.incrby(f"{k}:n", rnd.randrange(100))
            elif op == 4:
                c1.rpush(f"{k}:l", *[rnd.randrange(1000) for _ in range(rnd.randrange(1, 5))])
            elif op == 5:
                c1.lpop(f"{k}:l")
            elif op == 6:
                c1.sadd(f"{k}:set", *[rnd.randrange(50) for _ in range(3)])
            elif op == 7:
                c1.spop(f"{k}:set")
            elif op == 8:
                c1.zadd(f"{k}:z", {f"m{rnd.randrange(30)}": rnd.random() * 100})
            elif op == 9:
                c1.zincrby(f"{k}:z", 2.5, f"m{rnd.randrange(30)}")
            elif op == 10:
                c1.hset(f"{k}:h", f"f{rnd.randrange(20)}", rnd.randrange(10**6))
            elif op == 11:
                c1.hincrby(f"{k}:h", "count", 1)
            elif op == 12:
                c1.xadd(f"{k}:x", {"a": rnd.randrange(100)})
            elif op == 13:
                c1.pfadd(f"{k}:hll", *[rnd.randrange(10**6) for _ in range(5)])
            elif op == 14:
                c1.setbit(f"{k}:bits", rnd.randrange(500), 1)
            elif op == 15:
                c1.expire(f"{k}:s", 500)
            elif op == 16:
                c1.delete(f"{k}:l")
            elif op == 17:
                p = c1.pipeline(transaction=True)
                p.incr(f"{k}:tx")
                p.rpush(f"{k}:txl", i)
                p.hset(f"{k}:txh", "i", i)
                p.execute()
            elif op == 18:
                c1.eval(SCRIPT, 3, f"{k}:lua", f"{k}:luan", f"{k}:lual", str(i))
            elif op == 19:
                c1.execute_command("SELECT", 1)
                c1.set(f"{k}:db1", i)
                c1.rpush(f"{k}:db1l", i)
                c1.execute_command("SELECT", 0)
            elif op == 20:
                c1.set(f"{k}:pexat", "v", pxat=int(time.time() * 1000) + rnd.randrange(20, 400))
            else:
                if c1.exists(f"{k}:s"):
                    c1.rename(f"{k}:s", f"{k}:renamed")
        except redis.ResponseError as e:
            # A wrong type between families of keys is fine; nothing else is.
            assert "WRONGTYPE" in str(e), e


def kill_type(c, t):
    return c.execute_command("CLIENT", "KILL", "TYPE", t)


def single_client(srv):
    # SELECT must stay on the same connection.
    return srv.client(single_connection_client=True)


@pytest.fixture
def mnemo_primary():
    s = Server(FAST)
    yield s
    s.stop()


@pytest.fixture
def redis_primary():
    s = Reference(FAST)
    yield s
    s.stop()


# ---- a Redis replica of a Mnemo primary ----------------------------------------------------------


def test_redis_replica_of_mnemo_converges_and_resumes_partially(mnemo_primary):
    p = single_client(mnemo_primary)
    write_load(p, seed=1, n=300, prefix="pre")  # data before the replica: the RDB carries it
    rep = Reference(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the Redis replica's link")
        write_load(p, seed=2, n=800)
        wait_synced(p, r)
        assert_same_dataset(p, r)
        pi = info(p)
        assert pi["connected_slaves"] == 1
        assert pi["slave0"]["state"] == "online"
        assert pi["slave0"]["port"] == rep.port
        assert pi["repl_backlog_active"] == 1
        assert info(p, "stats")["sync_full"] == 1

        # WAIT: the Redis replica acknowledges (REPLCONF GETACK / ACK).
        p.set("wait-key", "1")
        assert p.execute_command("WAIT", 1, 5000) == 1
        assert p.execute_command("WAIT", 2, 200) == 1

        # A forced disconnect, writes meanwhile, then +CONTINUE from the backlog.
        assert kill_type(p, "replica") == 1
        write_load(p, seed=3, n=200)
        wait_synced(p, r)
        assert info(p, "stats")["sync_partial_ok"] == 1
        assert info(p, "stats")["sync_full"] == 1
        assert_same_dataset(p, r)
        # And from the replica's side (CLIENT KILL TYPE master).
        assert kill_type(r, "master") == 1
        write_load(p, seed=4, n=200)
        wait_synced(p, r)
        assert info(p, "stats")["sync_partial_ok"] == 2
        assert_same_dataset(p, r)
    finally:
        rep.stop()


def test_redis_replica_of_mnemo_with_disk_sync(mnemo_primary):
    p = single_client(mnemo_primary)
    p.config_set("repl-diskless-sync", "no")
    write_load(p, seed=5, n=400)
    rep = Reference(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the Redis replica's link")
        write_load(p, seed=6, n=200)
        wait_synced(p, r)
        assert_same_dataset(p, r)
    finally:
        rep.stop()


# ---- a Mnemo replica of a Redis primary --------------------------------------------------------


def test_mnemo_replica_of_redis_converges_and_resumes_partially(redis_primary):
    p = single_client(redis_primary)
    write_load(p, seed=11, n=300, prefix="pre")
    rep = Server(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the Mnemo replica's link")
        write_load(p, seed=12, n=800)
        wait_synced(p, r)
        assert_same_dataset(p, r)
        ri = info(r)
        assert ri["role"] == "slave"
        assert ri["master_port"] == redis_primary.port
        assert ri["master_replid"] == info(p)["master_replid"]
        assert ri["slave_read_only"] == 1
        # Replicas don't take writes.
        with pytest.raises(redis.ResponseError) as e:
            r.set("x", "1")
        assert str(e.value) == "You can't write against a read only replica."
        # Redis acknowledges our ACKs in WAIT.
        p.set("wait", "1")
        assert p.execute_command("WAIT", 1, 5000) == 1

        # Forced disconnects from both sides: +CONTINUE each time.
        assert kill_type(r, "master") == 1
        write_load(p, seed=13, n=200)
        wait_synced(p, r)
        assert info(p, "stats")["sync_partial_ok"] == 1
        assert kill_type(p, "replica") == 1
        write_load(p, seed=14, n=200)
        wait_synced(p, r)
        assert info(p, "stats")["sync_partial_ok"] == 2
        assert info(p, "stats")["sync_full"] == 1
        assert_same_dataset(p, r)
        client_types = [c for c in r.client_list() if "M" in c["flags"]]
        assert len(client_types) == 1
        assert len(r.execute_command("CLIENT", "LIST", "TYPE", "master").splitlines()) == 1
    finally:
        assert rep.stop() == 0, rep.log_text()


def test_mnemo_replica_keeps_expired_keys_until_the_primary_deletes_them():
    redis_primary = Reference((*FAST, "--enable-debug-command", "yes"))
    p = single_client(redis_primary)
    rep = Server(("--replicaof", "127.0.0.1", str(redis_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the link")
        # No active expiry on the primary: only its lazy expiry deletes.
        p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        # The replica is stopped while the primary's SET ... PXAT reaches it and expires: applied
        # late, it still stores the key (Redis checkAlreadyExpired on a replica).
        os.kill(rep.proc.pid, signal.SIGSTOP)
        try:
            p.set("soon", "v", px=100)
            time.sleep(0.3)
        finally:
            os.kill(rep.proc.pid, signal.SIGCONT)
        wait_synced(p, r)
        # Expired: the replica hides it but keeps it (DBSIZE counts it) until the primary's DEL.
        assert r.get("soon") is None
        assert r.dbsize() == 1
        assert p.get("soon") is None  # the primary's lazy expiry propagates a DEL
        wait_synced(p, r)
        assert r.dbsize() == 0
    finally:
        assert rep.stop() == 0, rep.log_text()
        redis_primary.stop()


# ---- Mnemo to Mnemo, promotion -----------------------------------------------------------------


def test_mnemo_replica_of_mnemo_and_promotion(mnemo_primary):
    p = single_client(mnemo_primary)
    write_load(p, seed=21, n=300, prefix="pre")
    rep = Server(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the link")
        write_load(p, seed=22, n=600)
        wait_synced(p, r)
        assert_same_dataset(p, r)
        assert p.execute_command("WAIT", 1, 5000) == 1
        # Partial resync after a disconnect.
        kill_type(r, "master")
        write_load(p, seed=23, n=100)
        wait_synced(p, r)
        assert info(p, "stats")["sync_partial_ok"] == 1
        assert_same_dataset(p, r)
        # Promotion keeps the history (psync2): the old primary, now its replica, continues.
        old_id = info(r)["master_replid"]
        offset = info(r)["master_repl_offset"]
        assert r.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        ri = info(r)
        assert ri["role"] == "master"
        assert ri["master_replid2"] == old_id
        assert ri["second_repl_offset"] == offset + 1
        r.set("after-promotion", "1")
        assert p.execute_command("REPLICAOF", "127.0.0.1", rep.port) == b"OK"
        wait_for(lambda: link_up(p), what="the old primary's link")
        wait_synced(r, p)
        assert p.get("after-promotion") == b"1"
        assert info(r, "stats")["sync_partial_ok"] == 1
        assert info(r, "stats")["sync_full"] == 0
        assert_same_dataset(r, p)
        # The log's role letter, as Redis's: S while a replica, M once promoted.
        lines = rep.log_text().splitlines()
        pid = rep.proc.pid
        synced = next(n for n, line in enumerate(lines) if "Finished with success" in line)
        promoted = next(n for n, line in enumerate(lines) if "MASTER MODE enabled" in line)
        assert lines[synced].startswith(f"{pid}:S "), lines[synced]
        assert lines[promoted].startswith(f"{pid}:M "), lines[promoted]
    finally:
        assert rep.stop() == 0, rep.log_text()


# ---- shapes compared with Redis ----------------------------------------------------------------


def role_shape(reply):
    def shape(x):
        if isinstance(x, list):
            return [shape(e) for e in x]
        return type(x).__name__
    return shape(reply)


def test_role_and_info_shapes_match_redis(mnemo_primary):
    ref = Reference(FAST)
    ref_rep = Reference(("--replicaof", "127.0.0.1", str(ref.port)))
    rep = Server(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        m, mr = mnemo_primary.client(), rep.client()
        rr, rrr = ref.client(), ref_rep.client()
        wait_for(lambda: link_up(mr) and link_up(rrr), what="both links")
        wait_for(lambda: len(m.execute_command("ROLE")[2]) == 1 and
                 len(rr.execute_command("ROLE")[2]) == 1, what="both replicas online")
        assert role_shape(m.execute_command("ROLE")) == role_shape(rr.execute_command("ROLE"))
        assert role_shape(mr.execute_command("ROLE")) == role_shape(rrr.execute_command("ROLE"))
        assert mr.execute_command("ROLE")[3] == b"connected"
        # INFO replication: the same fields in the same order.
        keys = lambda c: list(c.info("replication").keys())
        assert keys(m) == keys(rr)
        assert keys(mr) == keys(rrr)
        # HELLO's role, CLIENT LIST flags.
        hello = mr.execute_command("HELLO", "2")
        assert dict(zip(hello[::2], hello[1::2]))[b"role"] == b"replica"
        assert any(c["flags"] == "S" for c in m.client_list())
        assert any(c["flags"] == "M" for c in mr.client_list())
        # Writes on a read-only replica, directly, queued and from a script: Redis's errors.
        def error_of(c, *cmd):
            with pytest.raises(redis.ResponseError) as e:
                c.execute_command(*cmd)
            return str(e.value).split(" script:")[0]
        for cmd in (("SET", "k", "v"), ("EVAL", "return redis.call('set','k','v')", "0"),
                    ("EVAL", "#!lua\nreturn redis.call('set','k','v')", "0")):
            assert error_of(mr, *cmd) == error_of(rrr, *cmd), cmd
        # REPLICAOF to the same primary, bad ports, REPLCONF errors: Redis's texts.
        same = ["REPLICAOF", "127.0.0.1", mnemo_primary.port]
        assert mr.execute_command(*same) == b"OK Already connected to specified master"
        for c in (m, rr):
            with pytest.raises(redis.ResponseError) as e:
                c.execute_command("REPLCONF", "nope", "1")
            assert str(e.value) == "Unrecognized REPLCONF option: nope"
            with pytest.raises(redis.ResponseError) as e:
                c.execute_command("REPLICAOF", "127.0.0.1", "notaport")
            assert "Invalid master port" in str(e.value) or "not an integer" in str(e.value)
    finally:
        rep.stop()
        ref_rep.stop()
        ref.stop()


def test_min_replicas_to_write_and_stale_data(mnemo_primary):
    p = mnemo_primary.client()
    p.config_set("min-replicas-to-write", "1")
    with pytest.raises(redis.ResponseError) as e:
        p.set("a", "1")
    assert str(e.value) == "NOREPLICAS Not enough good replicas to write."
    assert p.get("a") is None  # reads are fine
    rep = Server(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        r = rep.client()
        wait_for(lambda: link_up(r), what="the link")
        wait_for(lambda: info(p).get("min_slaves_good_slaves") == 1, what="a good replica")
        assert p.set("a", "1")
        # A replica whose primary is gone, with replica-serve-stale-data no: -MASTERDOWN.
        r.config_set("replica-serve-stale-data", "no")
        assert r.execute_command("REPLICAOF", "127.0.0.1", "1") == b"OK"
        with pytest.raises(redis.ResponseError) as e:
            r.get("a")
        assert str(e.value) == ("MASTERDOWN Link with MASTER is down and "
                                "replica-serve-stale-data is set to 'no'.")
        assert info(r)["master_link_status"] == "down"  # stale-flagged commands still run
    finally:
        assert rep.stop() == 0, rep.log_text()


def test_backlog_overrun_falls_back_to_full_sync(mnemo_primary):
    p = single_client(mnemo_primary)
    p.config_set("repl-backlog-size", "16384")
    rep = Reference(("--replicaof", "127.0.0.1", str(mnemo_primary.port)))
    try:
        r = single_client(rep)
        wait_for(lambda: link_up(r), what="the link")
        p.set("a", "1")
        wait_synced(p, r)
        assert info(p)["repl_backlog_size"] == 16384
        # The writes go on while the replica is away: more than the backlog holds, in one
        # pipeline sent right after the kill (the replica reconnects within a second).
        pipe = p.pipeline(transaction=False)
        pipe.execute_command("CLIENT", "KILL", "TYPE", "replica")
        for i in range(40):
            pipe.set(f"big{i}", "x" * 1000)
        pipe.execute()
        wait_synced(p, r)
        # The replica asked for bytes the backlog no longer holds: a full sync again.
        st = info(p, "stats")
        assert (st["sync_partial_ok"], st["sync_partial_err"], st["sync_full"]) == (0, 1, 2)
        assert info(p)["repl_backlog_histlen"] <= 16384
        assert_same_dataset_small(p, r)
    finally:
        rep.stop()


def assert_same_dataset_small(primary, replica):
    assert dataset(primary) == dataset(replica)


def test_stream_waits_for_the_replicas_first_ack_after_a_diskless_sync():
    # Nothing may follow the $EOF mark until the replica has loaded the data (its first ACK):
    # a replica that reads stream bytes in the same read as the mark misses the mark and waits
    # for repl-timeout. A PING every second and writes during the sync make that likely.
    primary = Server((*FAST, "--repl-ping-replica-period", "1"))
    try:
        p = single_client(primary)
        pipe = p.pipeline(transaction=False)
        for i in range(60000):
            pipe.set(f"key:{i}", "v" * 200)
        pipe.execute()
        rep = Reference(("--replicaof", "127.0.0.1", str(primary.port)))
        try:
            r = single_client(rep)
            deadline = time.monotonic() + 30
            i = 0
            while not link_up(r):
                assert time.monotonic() < deadline, "the replica never finished its sync"
                p.set(f"during:{i}", i)
                i += 1
                time.sleep(0.01)
            wait_synced(p, r)
            assert r.dbsize() == p.dbsize()
            assert info(p, "stats")["sync_full"] == 1
        finally:
            rep.stop()
    finally:
        assert primary.stop() == 0, primary.log_text()


def resp_command(*args):
    out = f"*{len(args)}\r\n"
    for a in args:
        a = str(a)
        out += f"${len(a)}\r\n{a}\r\n"
    return out.encode()


def read_line(sock, buf):
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        buf += chunk
    line, _, rest = buf.partition(b"\r\n")
    return line, rest


@pytest.mark.parametrize("kind", [Server, Reference], ids=["mnemo", "redis"])
def test_replies_leave_after_the_stream_of_the_writes_they_acknowledge(kind):
    # As Redis, which writes a loop iteration's replica output before its clients' replies: when
    # a write's reply arrives, the stream that carries it has already been written to the
    # replica's socket. A CLIENT PAUSE makes the SET and a DEBUG SLEEP of another client run
    # in the same loop turn, the SET first: a reply sent at once would arrive 0.3 s before the
    # stream, which is only written at the end of the turn.
    primary = kind((*FAST, "--enable-debug-command", "yes"))
    try:
        # A hand-made replica (no "capa eof": the snapshot comes as "$<len>", and the stream
        # starts right after it).
        rep = socket.create_connection(("127.0.0.1", primary.port), timeout=10)
        rep.sendall(resp_command("PSYNC", "?", "-1"))
        line, buf = read_line(rep, b"")
        assert line.startswith(b"+FULLRESYNC"), line
        line, buf = read_line(rep, buf)
        while line == b"":  # newlines keep the link alive before the snapshot
            line, buf = read_line(rep, buf)
        assert line.startswith(b"$"), line
        size = int(line[1:])
        while len(buf) < size:
            chunk = rep.recv(65536)
            assert chunk
            buf += chunk
        stream = buf[size:]
        p = primary.client()
        wait_for(lambda: info(p)["connected_slaves"] == 1, 10)
        writer = socket.create_connection(("127.0.0.1", primary.port), timeout=10)
        sleeper = socket.create_connection(("127.0.0.1", primary.port), timeout=10)
        for i in range(3):
            p.execute_command("CLIENT", "PAUSE", "300", "ALL")
            writer.sendall(resp_command("SET", f"acknowledged:{i}", "v"))
            time.sleep(0.05)  # the SET is postponed first, then the sleep
            sleeper.sendall(resp_command("DEBUG", "SLEEP", "0.3"))
            line, _ = read_line(writer, b"")
            assert line == b"+OK"
            # Whatever the replica's socket holds now, without waiting.
            rep.setblocking(False)
            try:
                while True:
                    chunk = rep.recv(65536)
                    assert chunk
                    stream += chunk
            except BlockingIOError:
                pass
            rep.settimeout(10)
            assert f"acknowledged:{i}".encode() in stream, stream[-200:]
            line, _ = read_line(sleeper, b"")
            assert line == b"+OK"
        writer.close()
        sleeper.close()
        rep.close()
    finally:
        code = primary.stop()
        if kind is Server:
            assert code == 0, primary.log_text()
