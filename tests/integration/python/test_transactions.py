# test_transactions.py: MULTI / EXEC / DISCARD / WATCH through redis-py, as applications use
# them (pipelines with transaction=True, optimistic locking), and their error replies, client
# memory and CLIENT LIST fields (tests/integration/python).
import time

import pytest
import redis

from conftest import Server


def test_pipeline_transaction(r):
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").get("a").lpush("a", "x")
        replies = p.execute(raise_on_error=False)
    assert replies[:3] == [True, 2, b"2"]
    assert isinstance(replies[3], redis.exceptions.ResponseError)  # WRONGTYPE, the rest ran
    assert r.get("a") == b"2"


def test_errors_while_queueing_abort_exec(r):
    conn = r.connection_pool.get_connection("t")
    try:
        def call(*argv):
            conn.send_command(*argv)
            try:
                return conn.read_response()
            except redis.exceptions.ResponseError as e:
                return "error: " + str(e)

        assert call("EXEC") == "error: EXEC without MULTI"
        assert call("DISCARD") == "error: DISCARD without MULTI"
        assert call("MULTI") == b"OK"
        assert call("MULTI") == "error: MULTI calls can not be nested"
        assert call("WATCH", "k") == "error: WATCH inside MULTI is not allowed"
        assert call("SET", "k", "v") == b"QUEUED"
        assert call("NOSUCH") == "error: unknown command 'NOSUCH', with args beginning with: "
        assert call("EXEC") == "error: Transaction discarded because of previous errors."
        assert call("GET", "k") is None  # nothing ran
        assert call("MULTI") == b"OK"
        assert call("SET", "k", "v") == b"QUEUED"
        assert call("DISCARD") == b"OK"
        assert call("GET", "k") is None
        assert call("MULTI") == b"OK"
        assert call("EXEC", "extra") == (
            "error: Transaction discarded because of: wrong number of arguments for 'exec' command")
        assert call("EXEC") == "error: EXEC without MULTI"
    finally:
        r.connection_pool.release(conn)


def test_watch_optimistic_locking(server, r):
    other = server.client()
    r.set("balance", 10)

    def withdraw(amount, interfere=None):
        with r.pipeline() as p:
            p.watch("balance")
            current = int(p.get("balance"))
            if interfere:
                interfere()
            p.multi()
            p.set("balance", current - amount)
            return p.execute()

    assert withdraw(3) == [True]
    assert r.get("balance") == b"7"
    with pytest.raises(redis.exceptions.WatchError):
        withdraw(3, interfere=lambda: other.incr("balance"))
    assert r.get("balance") == b"8"  # only the other client's write
    # A write that fails (WRONGTYPE) changes nothing and does not break the watch.
    with pytest.raises(redis.exceptions.ResponseError):
        withdraw(1, interfere=lambda: other.lpush("balance", "x"))
    assert withdraw(1, interfere=lambda: other.get("balance")) == [True]
    assert r.get("balance") == b"7"
    # FLUSHALL by another client breaks every watch.
    with pytest.raises(redis.exceptions.WatchError):
        withdraw(1, interfere=lambda: other.flushall())
    # UNWATCH (and EXEC, and DISCARD) forget the keys.
    r.set("balance", 5)
    with r.pipeline() as p:
        p.watch("balance")
        other.incr("balance")
        p.unwatch()
        p.multi()
        p.get("balance")
        assert p.execute() == [b"6"]
    other.close()


def test_watched_key_that_expires_or_is_evicted_fails_exec(r):
    r.set("lease", "x", px=100)
    with r.pipeline() as p:
        p.watch("lease")
        time.sleep(0.25)
        p.multi()
        p.set("lease", "renewed")
        with pytest.raises(redis.exceptions.WatchError):
            p.execute()
    # Evicted: every key goes under allkeys-random once the limit is far below the data.
    other_keys = {f"pad{i}": "v" * 100 for i in range(1000)}
    r.mset(other_keys)
    r.set("watched", "x")
    with r.pipeline() as p:
        p.watch("watched")
        r.config_set("maxmemory-policy", "allkeys-random")
        r.config_set("maxmemory", 1)
        assert r.ping()  # each command first evicts what it can
        assert r.exists("watched") == 0
        r.config_set("maxmemory", 0)
        p.multi()
        p.set("watched", "y")
        with pytest.raises(redis.exceptions.WatchError):
            p.execute()
    r.config_set("maxmemory-policy", "noeviction")
    # A key that did not exist at WATCH time and still does not: EXEC runs.
    with r.pipeline() as p:
        p.watch("never")
        p.multi()
        p.ping()
        assert p.execute() == [True]


def test_client_list_and_memory_of_a_transaction(server, r):
    conn = r.connection_pool.get_connection("t")
    try:
        def call(*argv):
            conn.send_command(*argv)
            return conn.read_response()

        my_id = str(call("CLIENT", "ID"))
        before = r.info("memory")["mem_clients_normal"]
        assert call("MULTI") == b"OK"
        value = "v" * 10000
        for i in range(50):
            assert call("SET", f"k{i}", value) == b"QUEUED"
        me = [c for c in r.client_list() if c["id"] == my_id]
        assert me, r.client_list()
        assert me[0]["flags"] == "x"
        assert me[0]["multi"] == "50"
        assert int(me[0]["multi-mem"]) > 50 * 10000
        queued = r.info("memory")["mem_clients_normal"] - before
        assert queued > 50 * 10000  # the queued arguments are client memory
        assert call("EXEC") == [b"OK"] * 50
        after = r.info("memory")["mem_clients_normal"] - before
        assert after < 64 * 1024, after  # given back after EXEC
        me = [c for c in r.client_list() if c["id"] == my_id]
        assert me[0]["flags"] == "N" and me[0]["multi"] == "-1" and me[0]["multi-mem"] == "0"
    finally:
        r.connection_pool.release(conn)


def test_exec_refused_over_maxmemory():
    s = Server(["--maxmemory-policy", "noeviction"])
    try:
        c = s.client()
        conn = c.connection_pool.get_connection("t")
        with c.pipeline(transaction=False) as p:
            for i in range(500):
                p.set(f"fill{i}", "v" * 1000)
            p.execute()
        # The data over the limit by 64 KB: noeviction refuses every denyoom command.
        c.config_set("maxmemory", c.info("memory")["used_memory"] - 65536)
        conn.send_command("MULTI")
        assert conn.read_response() == b"OK"
        conn.send_command("GET", "fill0")  # read-only: queued
        assert conn.read_response() == b"QUEUED"
        conn.send_command("SET", "x", "y")  # denyoom over the limit: refused, flags the EXEC
        with pytest.raises(redis.exceptions.ResponseError, match="^OOM command not allowed"):
            conn.read_response()
        conn.send_command("EXEC")
        with pytest.raises(redis.exceptions.ResponseError,
                           match="^Transaction discarded because of previous errors"):
            conn.read_response()
        # Queued under the limit, over it at EXEC: EXEC itself is refused, with the reason.
        c.config_set("maxmemory", 0)
        conn.send_command("MULTI")
        assert conn.read_response() == b"OK"
        conn.send_command("SET", "x", "y")
        assert conn.read_response() == b"QUEUED"
        c.config_set("maxmemory", c.info("memory")["used_memory"] - 65536)
        conn.send_command("EXEC")
        with pytest.raises(redis.exceptions.ResponseError,
                           match="^Transaction discarded because of: OOM command not allowed"):
            conn.read_response()
        assert c.get("x") is None
        c.connection_pool.release(conn)
        c.close()
    finally:
        assert s.stop() == 0
