# test_scripting.py: Lua scripts and functions against the real mnemo-server, with real
# clients, and side by side with redis-server 7.0.15 (tests/integration/python).
#
#   - redis-py's Lock (acquire, extend, reacquire and release are Lua scripts run by EVALSHA
#     after SCRIPT LOAD) and register_script (EVALSHA, NOSCRIPT, then EVAL);
#   - python3-limits' moving-window limiter (a Lua script over a list);
#   - redis-cli --eval;
#   - a differential check of reply conversions and error texts against redis-server 7.0.15;
#   - busy scripts: other clients get -BUSY while the loop keeps answering, SCRIPT KILL,
#     UNKILLABLE after a write, SHUTDOWN NOSAVE;
#   - lua-memory-limit: a script that grows without end gets an error, the server goes on;
#   - functions: FUNCTION DUMP on one server, RESTORE on the other, both ways, and an RDB file
#     with a library loaded by both.
import os
import shutil
import subprocess
import threading
import time

import pytest
import redis

from conftest import REDIS_SERVER, Reference, Server


# ---- real clients ----------------------------------------------------------------------------

def test_redis_py_lock(r):
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    other = r.lock("resource", timeout=5)
    assert not other.acquire(blocking=False)
    assert lock.owned()
    assert lock.extend(10)
    assert 5000 < r.pttl("resource") <= 15000
    assert lock.reacquire()
    lock.release()
    assert not r.exists("resource")
    assert other.acquire(blocking=False)
    other.release()
    # A lock whose key someone else took: the release script refuses (LockNotOwnedError).
    stolen = r.lock("stolen", timeout=5)
    assert stolen.acquire(blocking=False)
    r.set("stolen", "someone else")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        stolen.release()
    with r.lock("ctx", timeout=2, blocking_timeout=1):
        assert r.exists("ctx")
    assert not r.exists("ctx")


def test_register_script_uses_evalsha_then_eval(r):
    incr_by = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    r.script_flush()
    # The script is gone: redis-py gets NOSCRIPT and falls back to EVAL.
    assert incr_by(keys=["n"], args=[2]) == 7
    assert r.script_exists(incr_by.sha) == [True]
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha("0" * 40, 0)


def test_python_limits_moving_window(server):
    from limits import parse
    from limits.storage import RedisStorage
    from limits.strategies import MovingWindowRateLimiter

    storage = RedisStorage(f"redis://127.0.0.1:{server.port}")
    limiter = MovingWindowRateLimiter(storage)
    rate = parse("5/second")
    results = [limiter.hit(rate, "user", "42") for _ in range(7)]
    assert results == [True] * 5 + [False, False]
    reset, remaining = limiter.get_window_stats(rate, "user", "42")
    assert remaining == 0
    time.sleep(1.1)
    assert limiter.hit(rate, "user", "42")
    assert limiter.test(rate, "user", "other")


def test_redis_cli_eval(server, tmp_path):
    script = tmp_path / "script.lua"
    script.write_text("redis.call('SET', KEYS[1], ARGV[1])\nreturn {KEYS[1], ARGV[1], "
                      "redis.call('GET', KEYS[1])}\n")
    out = subprocess.run(["redis-cli", "-p", str(server.port), "--eval", str(script), "k1",
                          ",", "hello"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["k1", "hello", "hello"]


# ---- side by side with redis-server 7.0.15 ---------------------------------------------------

DIFF_SCRIPTS = [
    ("return 1", []),
    ("return 3.99", []),
    # Numbers out of int64's range, and NaN: C's cast on x86-64 gives the minimum.
    ("return 333333333333333333333", []),
    ("return -333333333333333333333", []),
    ("return 0/0", []),
    ("return 1/0", []),
    ("return 2^63", []),
    ("return {2^64, -2^63, -3.9}", []),
    ("return redis.setresp(1e30)", []),
    ("return redis.log(1e30, 'x')", []),
    ("return redis.set_repl(-1e30)", []),
    ("return {1, 2, 3.7, 'x', true, false, nil, 4}", []),
    ("return {ok='fine'}", []),
    ("return {err='x'}", []),
    ("return {double=1.5}", []),
    ("return {map={a=1}}", []),
    ("return {set={b=true}}", []),
    ("return {big_number='123'}", []),
    ("return {verbatim_string={format='txt', string='hi'}}", []),
    ("return redis.call('incr', KEYS[1])", ["s"]),
    ("return redis.pcall('incr', KEYS[1])", ["s"]),
    ("return redis.call('hgetall', KEYS[1])", ["h"]),
    ("redis.setresp(3) return redis.call('hgetall', KEYS[1])", ["h"]),
    ("redis.setresp(3) return redis.call('zscore', KEYS[1], 'a')", ["z"]),
    ("redis.setresp(3) local r = redis.call('zscore', KEYS[1], 'a') return r.double", ["z"]),
    ("return redis.call('zscore', KEYS[1], 'a')", ["z"]),
    ("return redis.call('ping')", []),
    ("return redis.call('nosuch')", []),
    ("return redis.pcall('nosuch')", []),
    ("return redis.call('get')", []),
    ("return redis.call()", []),
    ("return redis.call('get', {})", []),
    ("return redis.call('blpop', 'x', 0)", []),
    ("return redis.error_reply('MY bad')", []),
    ("return redis.error_reply('bad')", []),
    ("return redis.status_reply('S')", []),
    ("return redis.sha1hex('abc')", []),
    ("return redis.setresp(4)", []),
    ("redis.set_repl(9)", []),
    ("redis.log(99, 'x')", []),
    ("redis.log(1)", []),
    ("error('boom')", []),
    ("return x", []),
    ("x = 1", []),
    ("string.x = 1", []),
    ("setmetatable(_G, nil)", []),
    ("return type(print)", []),
    ("return type(os)", []),
    ("retur 1", []),
    ("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", []),
    ("#!lua flags=bad\nreturn 1", []),
    ("#!lux\nreturn 1", []),
    ("return cjson.encode({a={1, 2}})", []),
    ("return bit.bxor(5, 3)", []),
    ("math.randomseed(7) return {math.random(100), math.random(1, 6)}", []),
]
# A table that holds itself: the reply nests to Lua's stack limit (too deep for redis-py).
DEEP_SCRIPT = ("local t = {} t[1] = t return t", [])


def _reply(client, *args):
    try:
        return ("ok", client.execute_command(*args))
    except redis.exceptions.ResponseError as e:
        return ("err", str(e))


def test_conversions_and_errors_match_redis(server):
    ref = Reference()
    try:
        clients = [server.client(), ref.client()]
        for c in clients:
            c.set("s", "abc")
            c.hset("h", "f", "v")
            c.zadd("z", {"a": 1.5})
        for body, keys in DIFF_SCRIPTS:
            got, want = (_reply(c, "EVAL", body, len(keys), *keys) for c in clients)
            assert got == want, body
        for args in (["EVAL", "return 1", "-1"], ["EVAL", "return 1", "3", "a"],
                     ["EVALSHA", "f" * 40, "0"], ["EVAL_RO", "#!lua\nreturn 1", "0"],
                     ["SCRIPT", "KILL"], ["FUNCTION", "KILL"], ["FCALL", "nosuch", "0"],
                     ["SCRIPT", "FLUSH", "bad"], ["SCRIPT", "HELP"], ["FUNCTION", "HELP"],
                     ["FUNCTION", "LOAD", "return 1"], ["FUNCTION", "DELETE", "x"]):
            got, want = (_reply(c, *args) for c in clients)
            assert got == want, args
    finally:
        ref.stop()


def test_resp3_conversions_match_redis(server):
    # redis-cli -3 speaks RESP3 and prints its types (redis-py 4.3 cannot).
    ref = Reference()
    try:
        def run(port, *args):
            out = subprocess.run(["redis-cli", "-3", "-p", str(port), *args],
                                 capture_output=True, text=True, timeout=30)
            return out.stdout + out.stderr
        for port in (server.port, ref.port):
            run(port, "SET", "s", "abc")
            run(port, "HSET", "h", "f", "v")
            run(port, "ZADD", "z", "1.5", "a")
        for body, keys in DIFF_SCRIPTS + [DEEP_SCRIPT]:
            args = ["EVAL", body, str(len(keys)), *keys]
            assert run(server.port, *args) == run(ref.port, *args), body
    finally:
        ref.stop()


def test_acl_errors_in_scripts_match_redis(server):
    ref = Reference()
    try:
        results = []
        for port in (server.port, ref.port):
            admin = redis.Redis(host="127.0.0.1", port=port)
            admin.execute_command("ACL", "SETUSER", "lim", "on", "nopass", "~a*", "+@all",
                                  "-flushall")
            c = redis.Redis(host="127.0.0.1", port=port, username="lim", password="x")
            results.append([_reply(c, "EVAL", body, 0) for body in (
                "return redis.call('flushall')", "return redis.call('get', 'b')",
                "return redis.pcall('get', 'b')", "return redis.acl_check_cmd('get', 'b')",
                "return redis.acl_check_cmd('get', 'a1')", "return redis.acl_check_cmd('nosuch')")])
        assert results[0] == results[1]
    finally:
        ref.stop()


def test_function_errors_match_redis(server):
    ref = Reference()
    try:
        clients = [server.client(), ref.client()]
        codes = [
            "#!lua name=lib\nredis.register_function('f', function(k, a) return a[1] end)",
            "#!lua name=lib\nredis.register_function('g', function() end)",
            "#!lua name=a-b\n",
            "#!foo name=x\n",
            "#!lua name=x foo=1\n",
            "#!lua name=x\nreturn 1",
            "#!lua name=x\nerror('boom')",
            "#!lua name=x\nlocal _ = string",
            "#!lua name=x\nredis.call('ping')",
            "#!lua name=x\nredis.register_function('a b', function() end)",
            "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, "
            "flags={'bad'}}",
            "#!lua name=x\nredis.register_function{function_name='a'}",
            "#!lua name=x\nlocal x = (",
            "#!lua name=ro\nredis.register_function{function_name='r', callback=function(k) "
            "return redis.call('get', k[1]) end, flags={'no-writes'}, description='d'}",
        ]
        for code in codes:
            got, want = (_reply(c, "FUNCTION", "LOAD", code) for c in clients)
            assert got == want, code
        for args in (["FCALL", "f", "0", "hi"], ["FCALL_RO", "f", "0"], ["FCALL_RO", "r", "1", "k"],
                     ["FCALL", "f", "x"], ["FUNCTION", "LIST", "LIBRARYNAME"],
                     ["FUNCTION", "LIST", "foo"], ["FUNCTION", "LIST", "WITHCODE"],
                     ["FUNCTION", "STATS"], ["FUNCTION", "RESTORE", "abc"]):
            got, want = (_reply(c, *args) for c in clients)
            if args[:2] == ["FUNCTION", "LIST"] and got[0] == "ok":
                got, want = sorted(map(str, got[1])), sorted(map(str, want[1]))
            assert got == want, args
    finally:
        ref.stop()


# ---- functions between servers ---------------------------------------------------------------

LIBRARY = ("#!lua name=crosslib\n"
           "redis.register_function('cross', function(keys, args)\n"
           "  return 'hello from ' .. (args[1] or 'nobody') .. string.rep('-', 40)\n"
           "end)\n")


def test_function_dump_restore_both_ways(server):
    ref = Reference()
    try:
        m, rd = server.client(), ref.client()
        rd.function_load(LIBRARY)
        assert m.function_restore(rd.function_dump())
        assert m.fcall("cross", 0, "redis").startswith(b"hello from redis")
        m.function_flush()
        m.function_load(LIBRARY.replace("crosslib", "lib2").replace("'cross'", "'cross2'"))
        payload = m.function_dump()
        assert rd.function_restore(payload)
        assert rd.fcall("cross2", 0, "mnemo").startswith(b"hello from mnemo")
        with pytest.raises(redis.exceptions.ResponseError, match="Library lib2 already exists"):
            rd.function_restore(payload, "APPEND")
        assert rd.function_restore(payload, "REPLACE")
        # Same libraries, same payload bytes (rdbcompression applies to both).
        m.function_load(LIBRARY)
        rd.function_flush()
        rd.function_load(LIBRARY.replace("crosslib", "lib2").replace("'cross'", "'cross2'"))
        rd.function_load(LIBRARY)
        assert sorted(rd.function_list(), key=str) and len(m.function_list()) == 2
    finally:
        ref.stop()


def test_rdb_with_a_library_loads_in_both(tmp_path):
    # Mnemo saves, redis-server loads.
    work = tmp_path / "m"
    work.mkdir()
    s = Server(workdir=str(work))
    c = s.client()
    c.function_load(LIBRARY)
    c.set("key", "value")
    c.save()
    assert s.stop() == 0
    ref = Reference(args=("--dir", str(work), "--dbfilename", "dump.rdb"))
    try:
        rc = ref.client()
        assert rc.fcall("cross", 0, "file").startswith(b"hello from file")
        assert rc.get("key") == b"value"
        rc.function_load(LIBRARY.replace("crosslib", "lib2").replace("'cross'", "'cross2'"))
        rc.save()
        rdb = os.path.join(ref.dir.name, "dump.rdb")
        if not os.path.exists(rdb):
            rdb = str(work / "dump.rdb")
        work2 = tmp_path / "r"
        work2.mkdir()
        shutil.copy(rdb, work2 / "dump.rdb")
    finally:
        ref.stop()
    # redis-server saves, Mnemo loads.
    s2 = Server(workdir=str(work2))
    try:
        c2 = s2.client()
        assert c2.fcall("cross2", 0, "redis").startswith(b"hello from redis")
        assert c2.fcall("cross", 0).startswith(b"hello from nobody")
        assert c2.get("key") == b"value"
    finally:
        assert s2.stop() == 0


# ---- busy scripts ----------------------------------------------------------------------------

def _run_in_thread(fn):
    result = {}

    def target():
        try:
            result["value"] = fn()
        except Exception as e:  # noqa: BLE001 (the error is the result)
            result["error"] = e

    t = threading.Thread(target=target)
    t.start()
    return t, result


def test_busy_script_can_be_killed_and_others_are_answered():
    s = Server(args=("--busy-reply-threshold", "100"))
    try:
        runner, other = s.client(), s.client()
        t, result = _run_in_thread(lambda: runner.eval("local i = 0 while true do i = i + 1 end", 0))
        time.sleep(0.5)
        start = time.monotonic()
        with pytest.raises(redis.exceptions.ResponseError, match="BUSY Redis is busy running a"):
            other.get("x")
        assert time.monotonic() - start < 1  # answered while the script runs
        # A new connection is accepted and answered too.
        fresh = s.client()
        with pytest.raises(redis.exceptions.ResponseError, match="SCRIPT KILL or SHUTDOWN NOSAVE"):
            fresh.ping()
        with pytest.raises(redis.exceptions.ResponseError, match="BUSY"):
            other.execute_command("SHUTDOWN")
        assert other.execute_command("SCRIPT", "KILL") == b"OK"
        t.join(10)
        assert "Script killed by user with SCRIPT KILL" in str(result.get("error"))
        assert other.ping()
    finally:
        assert s.stop() == 0


def test_busy_script_that_wrote_is_unkillable_and_shutdown_nosave_stops_the_server():
    s = Server(args=("--busy-reply-threshold", "100"))
    runner, other = s.client(), s.client()
    t, result = _run_in_thread(
        lambda: runner.eval("redis.call('set', 'w', '1') while true do end", 0))
    time.sleep(0.5)
    with pytest.raises(redis.exceptions.ResponseError, match="UNKILLABLE"):
        other.execute_command("SCRIPT", "KILL")
    with pytest.raises(redis.exceptions.ResponseError, match="UNKILLABLE"):
        other.execute_command("FUNCTION", "KILL")  # Redis checks the write first too
    try:
        other.execute_command("SHUTDOWN", "NOSAVE")
    except redis.exceptions.ConnectionError:
        pass
    assert s.proc.wait(timeout=10) == 0
    t.join(10)
    assert not t.is_alive()


def test_busy_function_is_killed_with_function_kill():
    s = Server(args=("--busy-reply-threshold", "100"))
    try:
        c = s.client()
        c.function_load("#!lua name=spin\nredis.register_function('spin', function() "
                        "while true do end end)")
        runner = s.client()
        t, result = _run_in_thread(lambda: runner.fcall("spin", 0))
        time.sleep(0.5)
        stats = c.function_stats()
        running = dict(zip(stats[1][::2], stats[1][1::2]))
        assert running[b"name"] == b"spin"
        with pytest.raises(redis.exceptions.ResponseError, match="FUNCTION KILL"):
            c.execute_command("SCRIPT", "KILL")
        assert c.execute_command("FUNCTION", "KILL") == b"OK"
        t.join(10)
        assert "Script killed" in str(result.get("error"))
    finally:
        assert s.stop() == 0


# ---- memory ----------------------------------------------------------------------------------

def _used(c):
    return c.info("memory")["used_memory"]


def test_lua_memory_limit_stops_a_runaway_script(server):
    c = server.client()
    c.config_set("lua-memory-limit", "16mb")
    c.set("data", "kept")
    before = _used(c)
    with pytest.raises(redis.exceptions.ResponseError, match="not enough memory"):
        c.eval("local t = {} local i = 0 while true do i = i + 1 "
               "t[i] = string.rep('x', 100) .. i end", 0)
    assert c.get("data") == b"kept"
    c.script_flush()
    assert _used(c) < before + 256 * 1024
    info = c.info("memory")
    for field in ("used_memory_lua", "used_memory_vm_eval", "used_memory_scripts_eval",
                  "number_of_cached_scripts", "used_memory_vm_functions",
                  "used_memory_vm_total", "used_memory_functions"):
        assert field in info
    assert info["number_of_cached_scripts"] == 0
    stats = c.memory_stats()
    assert "lua.caches" in stats and "functions.caches" in stats


def test_many_one_off_scripts_do_not_grow_memory_without_bound(server):
    c = server.client()
    for i in range(600):
        c.eval(f"return {i}", 0)
    first = _used(c)
    for i in range(600, 3000):
        c.eval(f"return {i}", 0)
    assert c.info("memory")["number_of_cached_scripts"] == 500
    assert _used(c) < first + 512 * 1024


# ---- gaps closed after the first version (issue 11) ------------------------------------------

PAUSE_LIBRARY = ("#!lua name=plib\n"
                 "redis.register_function{function_name='ro', callback=function() return 5 end, "
                 "flags={'no-writes'}}\n"
                 "redis.register_function('rw', function() return 6 end)\n")


def _paused_or_answered(port, *args):
    """'answered' if the command is answered within 0.5 s, else 'held'."""
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5)
    try:
        c.execute_command(*args)
        return "answered"
    except redis.exceptions.TimeoutError:
        return "held"
    except redis.exceptions.ResponseError:
        return "answered"
    finally:
        c.close()


def test_client_pause_write_holds_only_scripts_that_may_write_as_redis(server):
    ref = Reference()
    try:
        cases = [
            ("EVAL", "#!lua flags=no-writes\nreturn 1", "0"),
            ("EVAL_RO", "return 2", "0"),
            ("EVAL", "return 3", "0"),
            ("EVAL", "#!lua\nreturn 4", "0"),
            ("FCALL", "ro", "0"),
            ("FCALL_RO", "ro", "0"),
            ("FCALL", "rw", "0"),
            ("EVALSHA", "@ro", "0"),
            ("EVALSHA", "@rw", "0"),
            ("EVALSHA", "f" * 40, "0"),
        ]
        results = {}
        for name, port in (("mnemo", server.port), ("redis", ref.port)):
            admin = redis.Redis(host="127.0.0.1", port=port)
            admin.function_load(PAUSE_LIBRARY)
            shas = {"@ro": admin.script_load("#!lua flags=no-writes\nreturn 7"),
                    "@rw": admin.script_load("#!lua\nreturn 8")}
            admin.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
            got = []
            for case in cases:
                args = [shas.get(a, a) for a in case]
                got.append(_paused_or_answered(port, *args))
            admin.execute_command("CLIENT", "UNPAUSE")
            results[name] = got
            admin.close()
        assert results["mnemo"] == results["redis"]
        assert results["mnemo"][:4] == ["answered", "answered", "held", "held"]
    finally:
        ref.stop()


def test_client_pause_write_holds_exec_of_a_queued_writing_script(r):
    r.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
    c = redis.Redis(host="127.0.0.1", port=r.connection_pool.connection_kwargs["port"],
                    socket_timeout=0.5)
    p = c.pipeline(transaction=True)
    p.eval("#!lua flags=no-writes\nreturn 1", 0)
    assert p.execute() == [1]  # a read-only transaction goes on
    p = c.pipeline(transaction=True)
    p.eval("#!lua\nreturn redis.call('set', 'k', 'v')", 0)
    with pytest.raises(redis.exceptions.TimeoutError):
        p.execute()
    r.execute_command("CLIENT", "UNPAUSE")
    c.close()


def _incr_aof_commands(workdir):
    d = os.path.join(workdir, "appendonlydir")
    name = [n for n in os.listdir(d) if n.endswith(".incr.aof")][0]
    with open(os.path.join(d, name), "rb") as f:
        data = f.read()
    # Parse the RESP arrays of the file into lists of strings.
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:]
        j = data.index(b"\r\n", i)
        n = int(data[i + 1:j])
        i = j + 2
        cmd = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            ln = int(data[i + 1:j])
            cmd.append(data[j + 2:j + 2 + ln].decode())
            i = j + 2 + ln + 2
        out.append(cmd)
    return out


SET_REPL_SCRIPTS = [
    'redis.set_repl(redis.REPL_AOF) redis.call("set","a","1") return 1',
    'redis.set_repl(redis.REPL_REPLICA) redis.call("set","b","1") return 1',
    'redis.set_repl(redis.REPL_NONE) redis.call("set","c","1") return 1',
    'redis.set_repl(redis.REPL_REPLICA) redis.call("set","d","1") redis.call("set","e","1") '
    'return 1',
    'redis.call("set","f","1") redis.set_repl(redis.REPL_REPLICA) redis.call("set","g","1") '
    'redis.set_repl(redis.REPL_AOF) redis.call("set","h","1") redis.set_repl(redis.REPL_ALL) '
    'redis.call("set","i","1") return 1',
    'redis.set_repl(redis.REPL_NONE) redis.call("set","j","1") redis.call("set","k","1") '
    'return 1',
    'redis.set_repl(redis.REPL_SLAVE) redis.call("set","l","1") return 1',
]


def test_set_repl_targets_reach_the_aof_as_in_redis(tmp_path):
    files = {}
    for name in ("mnemo", "redis"):
        work = tmp_path / name
        work.mkdir()
        args = ("--appendonly", "yes", "--appendfsync", "always", "--save", "")
        if name == "mnemo":
            s = Server(args=args, workdir=str(work))
        else:
            s = Reference(args=args + ("--dir", str(work)))
        try:
            c = s.client()
            for body in SET_REPL_SCRIPTS:
                assert c.eval(body, 0) == 1
            # Every key is set in memory, whatever reaches the AOF.
            assert c.exists(*"abcdefghijkl") == 12
            files[name] = _incr_aof_commands(str(work))
        finally:
            s.stop()
    assert files["mnemo"] == files["redis"]
    assert files["mnemo"] == [["SELECT", "0"], ["set", "a", "1"], ["MULTI"], ["set", "f", "1"],
                              ["set", "h", "1"], ["set", "i", "1"], ["EXEC"]]


ERROR_STAT_CASES = [
    ("return redis.call('incr', KEYS[1])", ["s"]),
    ("return redis.pcall('incr', KEYS[1])", ["s"]),
    ("local r = redis.pcall('incr', KEYS[1]) return 'x'", ["s"]),
    ("return redis.error_reply('MY thing')", []),
    ("return {err='OTHER thing'}", []),
    ("error('boom')", []),
    ("return redis.call('nosuch')", []),
    ("return redis.pcall('nosuch')", []),
    ("return redis.call('get')", []),
    ("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", []),
    ("#!lua flags=no-writes\nreturn redis.pcall('set', 'k', 'v')", []),
    ("local t = redis.pcall('incr', KEYS[1]) return {t}", ["s"]),
    ("return redis.call('set', KEYS[1], 'v', 'bad')", ["s"]),
]


def _error_stats(c):
    stats = c.info("stats")
    errors = {k: v for k, v in c.info("errorstats").items()}
    cmds = {k: (v["calls"], v.get("failed_calls"), v.get("rejected_calls"))
            for k, v in c.info("commandstats").items()}
    return stats["total_error_replies"], errors, cmds


def test_error_stats_of_scripts_match_redis(server):
    ref = Reference()
    try:
        clients = [server.client(), ref.client()]
        for body, keys in ERROR_STAT_CASES:
            got = []
            for c in clients:
                c.set("s", "abc")
                c.config_resetstat()
                try:
                    c.eval(body, len(keys), *keys)
                except redis.exceptions.ResponseError:
                    pass
                got.append(_error_stats(c))
            assert got[0] == got[1], body
    finally:
        ref.stop()


GLOBALS_SCRIPTS = [
    "local n = 0 for k, v in pairs(redis) do n = n + 1 end return n",
    "local t = {} for k, v in pairs(redis) do t[#t + 1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(string) do t[#t + 1] = k end table.sort(t) return t",
    "local n = 0 for k in pairs(math) do n = n + 1 end return n",
    "local n = 0 for k in pairs(table) do n = n + 1 end return n",
    "local n = 0 for k in pairs(cjson) do n = n + 1 end return n > 0",
    "return next(redis) ~= nil",
    "return rawget(string, 'len') ~= nil",
    "return rawget(_G, 'redis') ~= nil",
    "return tostring(rawget(_G, 'nosuch'))",
    "local k, v = next(string, nil) return type(k)",
    "local seen = {} for k, v in pairs(_G) do seen[k] = type(v) end "
    "return {seen.redis, seen.string, seen.KEYS, seen.pairs, seen._G, seen.os, seen.print}",
    "for k, v in pairs(_G) do if k == 'redis' then return v.call('ping') end end",
    "local f, t = pairs(_G) t.x = 1",
    "local f, t = pairs(string) t.x = 1",
    "return type(getmetatable(_G))",
    "local s = '' for i, v in ipairs(KEYS) do s = s .. v end return s",
    "return _G.redis == redis",
    "return rawequal(_G, _G._G)",
]


def test_iterating_globals_and_library_tables_matches_redis(server):
    ref = Reference()
    try:
        clients = [server.client(), ref.client()]
        for body in GLOBALS_SCRIPTS:
            got, want = (_reply(c, "EVAL", body, 2, "a", "b") for c in clients)
            if isinstance(want[1], str):
                # Error texts carry the script's SHA1 and line: the same in both.
                pass
            assert got == want, body
        # Every global Redis has is seen by pairs, but cmsgpack and struct (not packaged by
        # Debian) and Redis's own error handler.
        body = "local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t"
        ours, theirs = (set(c.eval(body, 0)) for c in clients)
        assert theirs - ours == {b"cmsgpack", b"struct", b"__redis__err__handler"}
        assert ours - theirs == set()
    finally:
        ref.stop()


def _read_resp(sock_file):
    """One RESP3 value from a socket file, as Python values (pushes as ('push', [...]))."""
    line = sock_file.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-"):
        return rest.decode()
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = sock_file.read(n + 2)
        return data[:-2].decode()
    if t == b"_":
        return None
    if t in (b"*", b">", b"%"):
        n = int(rest) * (2 if t == b"%" else 1)
        items = [_read_resp(sock_file) for _ in range(n)]
        return ("push", items) if t == b">" else items
    raise AssertionError(line)


def _send(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)


def test_tracking_invalidation_follows_the_reply_of_a_busy_script():
    import socket
    s = Server(args=("--busy-reply-threshold", "100"))
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        f = sock.makefile("rb")
        _send(sock, "HELLO", "3")
        _read_resp(f)
        _send(sock, "CLIENT", "TRACKING", "ON")
        assert _read_resp(f) == "OK"
        _send(sock, "GET", "k")
        assert _read_resp(f) is None
        # The script runs past the threshold, another client is answered (-BUSY) from inside
        # it, then it writes the key this client tracks.
        body = ("local t0 = redis.call('TIME') "
                "while true do local t = redis.call('TIME') "
                "if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 600000 then break end end "
                "redis.call('SET', KEYS[1], 'v') return 'done'")
        _send(sock, "EVAL", body, "1", "k")
        time.sleep(0.3)
        other = s.client()
        with pytest.raises(redis.exceptions.ResponseError, match="BUSY"):
            other.ping()
        # The reply first, then the invalidation (Redis sends a client's invalidations for
        # keys its own command changed after the reply).
        assert _read_resp(f) == "done"
        assert _read_resp(f) == ("push", ["invalidate", ["k"]])
        other.close()
        sock.close()
    finally:
        assert s.stop() == 0
