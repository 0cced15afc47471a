# test_acl.py: users and permissions (ACL) over real sockets with redis-py and redis-cli, side
# by side with redis-server 7.0.15 where Redis compatibility is claimed
# (tests/integration/python).
#
# What may rightly differ from Redis, and how the comparisons allow for it:
# - Redis prints the single-command rules of ACL LIST / GETUSER in the order of its command hash
#   table, which changes at every start; they are compared as sets.
# - Mnemo has fewer commands than Redis: rules and category members naming commands Mnemo does
#   not have are left out of the comparison.
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import Reference, Server, free_port

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


@pytest.fixture
def reference():
    ref = Reference()
    yield ref
    ref.stop()


def raw(port, password=None, username=None):
    """A plain connection whose replies are not reshaped by redis-py's callbacks."""
    c = redis.Connection(host="127.0.0.1", port=port, socket_timeout=30, username=username,
                         password=password)
    c.connect()
    return c


def call(conn, *argv):
    conn.send_command(*argv)
    try:
        return conn.read_response()
    except (redis.ResponseError, redis.AuthenticationError) as e:
        return "ERR:" + str(e)


def both(mnemo_port, ref_port):
    return raw(mnemo_port), raw(ref_port)


def command_names(conn):
    """Every command and subcommand name the server has."""
    names = set()
    for entry in call(conn, "COMMAND"):
        names.add(entry[0].decode())
        for sub in entry[9]:
            names.add(sub[0].decode())
    return names


def test_command_info_categories_match_redis(server, reference):
    m, r = both(server.port, reference.port)
    ref_cats = {}
    for entry in call(r, "COMMAND"):
        for e in [entry, *entry[9]]:
            ref_cats[e[0].decode()] = [c.decode() for c in e[6]]
    compared = 0
    for entry in call(m, "COMMAND"):
        for e in [entry, *entry[9]]:
            name = e[0].decode()
            if name not in ref_cats:
                continue
            assert [c.decode() for c in e[6]] == ref_cats[name], name
            compared += 1
    assert compared >= 200


def test_acl_cat_matches_redis(server, reference):
    m, r = both(server.port, reference.port)
    categories = call(m, "ACL", "CAT")
    assert categories == call(r, "ACL", "CAT")
    ours = command_names(m)
    for cat in categories:
        mine = {c.decode() for c in call(m, "ACL", "CAT", cat)}
        theirs = {c.decode() for c in call(r, "ACL", "CAT", cat)} & ours
        # client|setinfo and client|no-touch are Redis 7.2 commands (@slow @connection there).
        assert mine - {"client|setinfo", "client|no-touch", "memory|advisor",
                       "object|compression"} == theirs, cat
    for args in (["CAT", "nope"], ["CAT", "a", "b"]):
        assert call(m, "ACL", *args) == call(r, "ACL", *args)


# Users whose descriptions only involve commands both servers have, and categories whose
# members are the same on both (so Redis's greedy choice of categories is the same).
SETUSERS = [
    ["u1", "on", ">p1", "~k*", "+get", "+set"],
    ["u2", "on", "nopass", "allkeys", "allchannels", "+@all", "-@dangerous"],
    ["u3", "on", ">a", ">b", "<a", "%R~r*", "%W~w*", "%RW~rw*", "~x", "+@read", "-keys"],
    ["u4", "off", "#" + "a" * 64, "resetchannels", "&news.*", "&chat", "+@hash", "+@list",
     "-lpush"],
    # Not "-@write": Redis's @write and @blocking also hold stream commands Mnemo lacks, which
    # changes the categories Redis's greedy description picks.
    ["u5", "on", "+@all", "-@set", "+sadd", "-config|set", "+config|get"],
    ["u6", "on", "-@all", "+config|get", "+client|id", "+select|0", "+select|1"],
    ["u7", "on", "~a", "(~b +get)", "(%R~c* +@read -@slow)", "( ~d &e +@string )"],
    ["u8", "reset", "on", ">x", "+@all", "nocommands", "+acl", "-acl|setuser"],
    ["u9", "on", "allcommands", "-@admin", "-@dangerous", "+@admin", "-info"],
    ["u10", "on", "+@sortedset", "+@set", "-@write", "+@fast"],
    ["u11", "on", "skip-sanitize-payload", "+@keyspace", "-del", "+unlink", "~*", "&*"],
    ["u12", "on", "+@string", "+@bitmap", "-@write", "+@connection", "-ping", "+@transaction"],
    ["u13", "on", "(", "~x", "+get", ")", "clearselectors", "(~y", "+set)", "%W~w", "%R~w"],
    ["default", "resetpass", ">dpw", "-@dangerous", "+acl"],
]

SINGLE = re.compile(r"^[+-][a-z_]")


def normal_rules(text, known):
    """A selector's command rules: categories in order, single commands as a set (minus those
    of commands the other server lacks)."""
    tokens = text.split(" ")
    singles = frozenset(t for t in tokens if SINGLE.match(t) and t[1:].split("|")[0] in known)
    return tuple(t for t in tokens if not SINGLE.match(t)), singles


def normal_line(line, known):
    return [normal_rules(part, known) for part in re.split(r" \(|\)", line) if part]


def normal_getuser(reply, known):
    out = []
    for i in range(0, len(reply), 2):
        key, value = reply[i].decode(), reply[i + 1]
        if key == "commands":
            value = normal_rules(value.decode(), known)
        elif key == "selectors":
            value = [normal_getuser(s, known) for s in value]
        elif key == "flags":
            value = sorted(value)
        out.append((key, value))
    return out


def test_acl_list_and_getuser_match_redis(server, reference):
    known = command_names(raw(server.port))
    results = []
    for port in (server.port, reference.port):
        c = raw(port)
        for rules in SETUSERS:
            assert call(c, "ACL", "SETUSER", *rules) == b"OK", rules
        assert call(c, "AUTH", "dpw") == b"OK"
        listed = [normal_line(l.decode(), known) for l in call(c, "ACL", "LIST")]
        users = {rules[0]: normal_getuser(call(c, "ACL", "GETUSER", rules[0]), known)
                 for rules in SETUSERS}
        results.append((listed, users, call(c, "ACL", "USERS")))
    assert results[0][0] == results[1][0]
    for name in results[0][1]:
        assert results[0][1][name] == results[1][1][name], name
    assert results[0][2] == results[1][2]


DRYRUN_CASES = """set k1 v
set k1 v get
bitfield k1 get u8 0
bitfield k1 get u8 0 overflow sat
bitfield k1 set u8 0 1
bitfield k1 get u8
bitop and k1 k2 k3
copy k1 k2
lmove k1 k2 left right
rpoplpush k1 k2
smove k1 k2 m
rename k1 k2
renamenx k1 k2
sdiffstore k1 k2 k3
sinterstore k2 k1
zrangestore k2 k1 0 -1
zunionstore k1 2 k2 k1
zinterstore k2 1 k1
zdiffstore k1 2 k1 k2
zunionstore k1 0 k2
zunionstore k1 2abc k2 k1
zunionstore k1 5 k2
zunion 2 k1 k2
zdiff 2 k1 k2 withscores
zintercard 2 k1 k2 limit 1
sintercard 2 k1 k2
lmpop 2 k1 k2 left
zmpop 1 k2 min
lmpop 0 k1 left
blmpop 0 2 k1 k2 left
bzmpop 0 1 k2 min
blmpop 0 0 k1 left
georadius k1 0 0 1 km store k2
georadius k1 0 0 1 km storedist k2 store k1
georadius k1 0 0 1 km withdist
georadiusbymember k1 m 1 km store k2
georadiusbymember k1 m 1 km storedist k2
sort k1
sort k1 store k2
sort k1 limit 0 1 store k2 get store
sort_ro k1 by k2
pfmerge k1 k2
pfmerge k2
spublish k1 m
ssubscribe k1 k2
sunsubscribe k1
config get x
config set x y
select 0
select 1
get
nosuch k
config nosuch"""


def test_dryrun_key_and_command_permissions_match_redis(server, reference):
    """Every command with static keys (built from COMMAND) and the commands whose keys depend
    on their arguments, for users allowed to read, write, both, or only some keys."""
    users = {"ro": ["%R~*"], "wo": ["%W~*"], "rw": ["~*"], "k1": ["~k1"],
             "mixed": ["%R~k1", "%W~k2"], "cmds": ["~*", "-@all", "+@read", "+select|0",
                                                   "+config|get"]}
    m, r = both(server.port, reference.port)
    for c in (m, r):
        for u, rules in users.items():
            assert call(c, "ACL", "SETUSER", u, "reset", "on", "+@all", *rules) == b"OK"
    cases = [line.split() for line in DRYRUN_CASES.split("\n")]
    for entry in call(m, "COMMAND"):
        for e in [entry, *entry[9]]:
            name, arity, flags, first = e[0].decode(), e[1], e[2], e[3]
            if first <= 0 or b"movablekeys" in flags:
                continue
            if name == "object|compression":  # Mnemo's own: Redis has nothing to compare
                continue
            n = arity - 1 if arity > 0 else max(-arity - 1, 2)
            parts = name.split("|")
            cases.append(parts + [f"k{i}" for i in range(len(parts), n + 1)])
    assert len(cases) > 150
    for args in cases:
        for u in [*users, "nouser"]:
            assert call(m, "ACL", "DRYRUN", u, *args) == call(r, "ACL", "DRYRUN", u, *args), \
                (u, args)


SETUSER_ERRORS = [
    ["x", "%"], ["x", "%~k"], ["x", "%RR~k"], ["x", "%Rx~k"], ["x", "+"], ["x", "-"],
    ["x", "+@"], ["x", "+@nope"], ["x", "+config|get|x"], ["x", "+config|nosuch"],
    ["x", "-select|0"], ["x", "+nosuch"], ["x", "(~a"], ["x", "on", "(~a", "+get"],
    ["x", "#abc"], ["x", "!abc"], ["x", "#" + "A" * 64], ["x", "<nopass"], ["x", "allkeys", "~a"],
    ["x", "&*", "&a"], ["x", "&a b"], ["x", "~a b"], ["x", "on", "bogus"], ["x", "(+nosuch)"],
    ["x", "(bogus)"], ["x", "+config|"], ["a b"], ["x\x00y"], ["x", "(m1", "100", "(1", "2"],
    ["x", "(", "CH", "(2", "l"],
]


def test_setuser_errors_match_redis(server, reference):
    m, r = both(server.port, reference.port)
    for args in SETUSER_ERRORS:
        mine = call(m, "ACL", "SETUSER", *args)
        assert mine == call(r, "ACL", "SETUSER", *args), args
        assert isinstance(mine, str) and mine.startswith("ERR:"), args
    # Nothing of a refused SETUSER was applied: "x" never came to exist.
    assert call(m, "ACL", "USERS") == [b"default"]
    assert call(m, "ACL", "SETUSER", "x", "on", ">p", "~a") == b"OK"
    before = call(m, "ACL", "LIST")
    assert call(m, "ACL", "SETUSER", "x", "off", "resetpass", "~b", "+nosuch").startswith("ERR:")
    assert call(m, "ACL", "LIST") == before


SUBCOMMAND_CASES = [
    ["DRYRUN", "nouser", "get", "k"], ["DRYRUN", "default", "nocmd"], ["DRYRUN", "default", "get"],
    ["GENPASS", "0"], ["GENPASS", "x"], ["GENPASS", "4097"], ["GENPASS", "1", "2"],
    ["DELUSER", "default", "x"], ["DELUSER", "nope"], ["GETUSER", "nope"], ["LOAD"], ["SAVE"],
    ["LOG", "x"], ["LOG", "-1"], ["LOG", "1", "2"], ["FOO"], ["WHOAMI", "x"], ["USERS", "x"],
    ["WHOAMI"], ["HELP"], ["LIST", "x"], ["SETUSER"], ["LOAD", "x"],
]


def test_subcommand_replies_and_errors_match_redis(server, reference):
    m, r = both(server.port, reference.port)
    for args in SUBCOMMAND_CASES:
        assert call(m, "ACL", *args) == call(r, "ACL", *args), args
    assert len(call(m, "ACL", "GENPASS")) == 64
    assert len(call(m, "ACL", "GENPASS", "5")) == 2
    assert call(m, "ACL", "GENPASS") != call(m, "ACL", "GENPASS")


def test_limited_user_with_redis_py(server, reference):
    for port in (server.port, reference.port):
        admin = redis.Redis(port=port)
        assert admin.acl_setuser("app", enabled=True, passwords=["+secret"], keys=["app:*"],
                                 commands=["+get", "+set", "+ping", "+acl|whoami"])
        user = redis.Redis(port=port, username="app", password="secret")
        assert user.acl_whoami() in ("app", b"app")
        assert user.set("app:1", "v")
        assert user.get("app:1") == b"v"
        with pytest.raises(redis.exceptions.NoPermissionError,
                           match="no permissions to access one of the keys used as arguments"):
            user.get("other")
        with pytest.raises(redis.exceptions.NoPermissionError,
                           match="no permissions to run the 'del' command"):
            user.delete("app:1")
        with pytest.raises(redis.exceptions.NoPermissionError,
                           match=re.escape("no permissions to run the 'config|get' command")):
            user.config_get("maxmemory")
        with pytest.raises(redis.ResponseError, match="WRONGPASS|invalid username-password"):
            redis.Redis(port=port, username="app", password="wrong").ping()
        # The default user was not touched.
        assert admin.get("other") is None


def log_fields(entries):
    out = []
    for e in entries:
        d = {e[i].decode(): e[i + 1] for i in range(0, len(e), 2)}
        info = d["client-info"].decode()
        assert re.search(r"\bid=\d+ addr=127\.0\.0\.1:\d+ ", info), info
        assert float(d["age-seconds"]) >= 0
        out.append((d["count"], d["reason"], d["context"], d["object"], d["username"],
                    re.search(r" cmd=(\S+) ", info).group(1),
                    re.search(r" user=(\S+) ", info).group(1)))
    return out


def test_acl_log_entries_match_redis(server, reference):
    logs = []
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "ACL", "SETUSER", "lim", "on", ">pw", "~k*", "+get", "+set", "+multi",
             "+exec", "+ping", "+discard")
        c = raw(port, username="lim", password="pw")
        for argv in (["GET", "x"], ["DEL", "k1"], ["GET", "x"], ["CONFIG", "GET", "a"],
                     ["GET", "k1", "x"]):
            call(c, *argv)
        call(c, "MULTI")
        call(c, "GET", "x")  # refused while queueing: logged in the "multi" context
        call(c, "DISCARD")
        call(c, "MULTI")
        call(c, "GET", "k1")
        call(c, "SET", "k2", "v")
        call(admin, "ACL", "SETUSER", "lim", "-set")
        c.send_command("EXEC")
        assert c.read_response(disable_decoding=True)[1].args[0].startswith(
            "ACLs rules changed between the moment the transaction was accumulated")
        call(c, "AUTH", "lim", "wrong")
        call(c, "AUTH", "nobody", "x")
        logs.append((log_fields(call(admin, "ACL", "LOG")), call(admin, "ACL", "LOG", "2"),
                     call(admin, "ACL", "LOG", "RESET"), call(admin, "ACL", "LOG"),
                     call(admin, "INFO", "errorstats")))
    mine, theirs = logs
    assert mine[0] == theirs[0]
    assert len(mine[1]) == 2
    assert mine[2] == theirs[2] == b"OK"
    assert mine[3] == theirs[3] == []


def test_exec_checks_permissions_again(server, reference):
    replies = []
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "ACL", "SETUSER", "t", "on", ">pw", "~*", "+get", "+set", "+multi", "+exec")
        c = raw(port, username="t", password="pw")
        assert call(c, "MULTI") == b"OK"
        assert call(c, "GET", "k") == b"QUEUED"
        assert call(c, "SET", "k", "v") == b"QUEUED"
        call(admin, "ACL", "SETUSER", "t", "-set")
        c.send_command("EXEC")
        replies.append(c.read_response(disable_decoding=True))
        # A command refused while queueing aborts the transaction.
        call(c, "MULTI")
        replies.append(call(c, "SET", "k", "v"))
        replies.append(call(c, "EXEC"))
    assert [str(x) for x in replies[:3]] == [str(x) for x in replies[3:]]


CHANNEL_CASES = [
    ["PUBLISH", "news.1", "m"], ["PUBLISH", "sport", "m"], ["SPUBLISH", "chat", "m"],
    ["SPUBLISH", "news", "m"], ["SUBSCRIBE", "chat", "sport"], ["SSUBSCRIBE", "zz"],
    ["PSUBSCRIBE", "news.x*"], ["PSUBSCRIBE", "news.*", "chat?"], ["UNSUBSCRIBE", "sport"],
    ["PUNSUBSCRIBE", "x*"], ["SUNSUBSCRIBE", "zz"], ["PUBSUB", "NUMSUB", "sport"],
    ["PUBSUB", "CHANNELS", "s*"], ["PUBSUB", "NUMPAT"],
]


def test_channel_permissions_match_redis(server, reference):
    """&pattern rules for PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE (glob match) and PSUBSCRIBE
    (literal match): replies, NOPERM texts, ACL DRYRUN texts and ACL LOG entries."""
    results = []
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "ACL", "SETUSER", "ps", "on", ">pw", "~*", "+@all", "resetchannels",
             "&news.*", "&chat")
        call(admin, "ACL", "SETUSER", "sel", "on", ">pw", "~*", "+@all", "resetchannels",
             "(&s* +publish)")
        replies = []
        for argv in CHANNEL_CASES:
            # A fresh connection each time: RESP2 subscribed mode would refuse the next case.
            c = raw(port, username="ps", password="pw")
            replies.append(call(c, *argv))
            c.disconnect()
        for user in ("ps", "sel", "nouser"):
            for argv in CHANNEL_CASES:
                replies.append(call(admin, "ACL", "DRYRUN", user, *argv))
        c = raw(port, username="sel", password="pw")
        replies.append(call(c, "PUBLISH", "s1", "m"))  # the selector allows it
        replies.append(call(c, "SUBSCRIBE", "s1"))  # the selector does not allow SUBSCRIBE
        results.append((replies, log_fields(call(admin, "ACL", "LOG"))))
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]
    assert any(e[1] == b"channel" for e in results[0][1])


def test_acl_pubsub_default_matches_redis(server, reference):
    replies = []
    for port in (server.port, reference.port):
        admin = raw(port)
        replies.append(call(admin, "CONFIG", "GET", "acl-pubsub-default"))
        call(admin, "ACL", "SETUSER", "a", "on")
        replies.append(call(admin, "ACL", "GETUSER", "a")[9])  # channels
        replies.append(call(admin, "CONFIG", "SET", "acl-pubsub-default", "allchannels"))
        call(admin, "ACL", "SETUSER", "b", "on")
        replies.append(call(admin, "ACL", "GETUSER", "b")[9])
        replies.append(call(admin, "ACL", "SETUSER", "b", "&x"))
        replies.append(call(admin, "ACL", "DRYRUN", "b", "psubscribe", "any*"))
        replies.append(call(admin, "CONFIG", "SET", "acl-pubsub-default", "bogus"))
    assert replies[:7] == replies[7:]


def pubsub_client(port, user, *subscriptions):
    """A RESP2 subscriber of user `user` (password pw); each subscription is (command, name)."""
    c = raw(port, username=user, password="pw")
    for command, name in subscriptions:
        assert call(c, command, name)[0] == command.lower().encode()
    return c


def still_connected(c):
    """True iff the subscriber still answers PING (it replies ["pong", ""] in subscribed mode)."""
    try:
        return call(c, "PING") == [b"pong", b""]
    except redis.ConnectionError:
        return False


def test_subscribers_lose_connection_with_their_channels_as_redis(server, reference, tmp_path):
    """ACL SETUSER that takes away a channel pattern closes the user's subscribers that now
    subscribe beyond its channels (patterns compared literally), and only those; the default
    user's too. DELUSER closes every client of the user."""
    outcomes = []
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "ACL", "SETUSER", "s", "on", ">pw", "~*", "+@all", "resetchannels", "&ch*",
             "&pat.*", "&shard")
        call(admin, "ACL", "SETUSER", "o", "on", ">pw", "~*", "+@all", "resetchannels", "&ch*")
        by_pattern = pubsub_client(port, "s", ("SUBSCRIBE", "ch1"), ("PSUBSCRIBE", "pat.*"))
        by_channel = pubsub_client(port, "s", ("SUBSCRIBE", "ch2"))
        by_shard = pubsub_client(port, "s", ("SSUBSCRIBE", "shard"))
        other_user = pubsub_client(port, "o", ("SUBSCRIBE", "ch3"))
        plain = raw(port, username="s", password="pw")
        out = [call(admin, "ACL", "SETUSER", "s", "&more")]  # adds: nothing closes
        out += [still_connected(c) for c in (by_pattern, by_channel, by_shard)]
        out.append(call(admin, "ACL", "SETUSER", "s", "resetchannels", "&ch*", "&shard"))
        time.sleep(0.2)
        out += [still_connected(c) for c in (by_pattern, by_channel, by_shard, other_user)]
        out.append(call(plain, "PING"))
        out.append(call(admin, "ACL", "SETUSER", "s", "resetchannels", "&ch2"))
        time.sleep(0.2)
        out += [still_connected(c) for c in (by_channel, by_shard)]
        # The default user's subscribers too.
        d = pubsub_client(port, "default", ("SUBSCRIBE", "x"))
        out.append(call(admin, "ACL", "SETUSER", "default", "resetchannels", "&y"))
        time.sleep(0.2)
        out.append(still_connected(d))
        call(admin, "ACL", "SETUSER", "default", "allchannels")
        # DELUSER: every client of the user, subscribed or not.
        sub = pubsub_client(port, "o", ("SUBSCRIBE", "ch9"))
        out.append(call(admin, "ACL", "DELUSER", "o"))
        time.sleep(0.2)
        out += [still_connected(sub), still_connected(other_user)]
        outcomes.append(out)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == [b"OK", True, True, True, b"OK", False, True, True, True, b"PONG",
                           b"OK", True, False, b"OK", False, 1, False, False]


REVOCATION_CASES = [
    (["resetchannels", "&q", "(&* +subscribe +ping)"], ["clearselectors"]),
    (["resetchannels", "&x", "(&* +subscribe +ping)"], ["clearselectors"]),
    (["allchannels"], ["resetchannels", "&x"]),
    (["allchannels"], ["resetchannels", "&x*"]),
    (["allchannels"], ["resetchannels", "&y"]),
    (["allchannels"], ["resetchannels"]),
    (["allchannels"], ["resetchannels", "(&* +ping)"]),
    (["resetchannels", "&x*"], ["resetchannels", "&x"]),
    (["resetchannels", "&x*"], ["resetchannels", "&x?"]),
]


def test_channel_revocation_cases_match_redis(server, reference):
    """Which rule changes close a subscriber of channel "x" (Redis 7.0.15 decides first from
    the rules: a selector with every channel keeps everyone; losing every-channel or a pattern
    makes it check each subscriber)."""
    outcomes = []
    for port in (server.port, reference.port):
        admin = raw(port)
        out = []
        for before, after in REVOCATION_CASES:
            call(admin, "ACL", "DELUSER", "k")
            call(admin, "ACL", "SETUSER", "k", "on", ">pw", "+@all", *before)
            c = pubsub_client(port, "k", ("SUBSCRIBE", "x"))
            out.append(call(admin, "ACL", "SETUSER", "k", *after))
            time.sleep(0.1)
            out.append(still_connected(c))
        outcomes.append(out)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1::2] == [False, True, True, True, False, False, True, True, False]


def test_acl_load_and_subscribers_as_redis(tmp_path):
    """ACL LOAD replaces every user but the default one: their clients are closed; the default
    user's subscribers stay even when the file takes their channels away (Redis 7.0.15)."""
    outcomes = []
    for start in (Server, Reference):
        path = tmp_path / f"{start.__name__}.acl"
        path.write_text("user default on nopass ~* &* +@all\nuser s on >pw ~* &* +@all\n")
        srv = start(["--aclfile", str(path)])
        try:
            admin = raw(srv.port)
            d = pubsub_client(srv.port, "default", ("SUBSCRIBE", "x"))
            s = pubsub_client(srv.port, "s", ("SUBSCRIBE", "x"))
            path.write_text("user default on nopass ~* resetchannels &y +@all\n"
                            "user s on >pw ~* &* +@all\n")
            out = [call(admin, "ACL", "LOAD")]
            time.sleep(0.2)
            out += [still_connected(d), still_connected(s), call(admin, "PUBLISH", "x", "m")]
            outcomes.append(out)
        finally:
            srv.stop()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == [b"OK", True, False, "ERR:this user has no permissions to access one "
                           "of the channels used as arguments"]


def test_sort_by_and_get_need_every_key_as_redis(server, reference):
    replies = []
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "RPUSH", "mylist", "2", "1")
        call(admin, "SET", "v1", "1")
        for user, keys in (("a", ["~mylist"]), ("b", ["~mylist", "~v*"]),
                           ("c", ["~mylist", "%W~*"]), ("d", ["%R~*", "%W~mylist"]),
                           ("e", ["allkeys"]), ("f", ["~mylist", "(~* +get)"])):
            call(admin, "ACL", "SETUSER", user, "on", ">pw", "+@all", *keys)
            c = raw(port, username=user, password="pw")
            for argv in (["SORT", "mylist", "BY", "v*"], ["SORT", "mylist", "GET", "#"],
                         ["SORT", "mylist", "BY", "nosort"], ["SORT_RO", "mylist", "GET", "v*"],
                         ["SORT", "mylist", "BY", "v*", "STORE", "out"]):
                replies.append(call(c, *argv))
    half = len(replies) // 2
    assert replies[:half] == replies[half:]
    assert "BY option of SORT denied" in str(replies[0])


def test_save_and_load_round_trip(tmp_path):
    acl_file = tmp_path / "users.acl"
    acl_file.write_text("user default on nopass ~* &* +@all\n"
                        "user alice on >a ~a* +get\n")
    s = Server(["--aclfile", str(acl_file)])
    try:
        c = raw(s.port)
        assert call(c, "ACL", "USERS") == [b"alice", b"default"]
        assert call(c, "ACL", "SETUSER", "bob", "on", ">b", "(~x +set)") == b"OK"
        assert call(c, "ACL", "SAVE") == b"OK"
        saved = acl_file.read_text()
        assert saved == "\n".join(l.decode() for l in call(c, "ACL", "LIST")) + "\n"
        assert "user bob on #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d " \
               "resetchannels -@all (~x resetchannels -@all +set)" in saved
        assert "b" not in [w for line in saved.split("\n") for w in line.split(" ")[2:3]]
        # A client of a user that the file replaces is disconnected; default clients stay.
        alice = raw(s.port, username="alice", password="a")
        acl_file.write_text(saved.replace("user alice on", "user alice on >a2"))
        assert call(c, "ACL", "LOAD") == b"OK"
        with pytest.raises(redis.ConnectionError):
            call(alice, "GET", "a1")
        assert call(c, "PING") == b"PONG"
        assert raw(s.port, username="alice", password="a2")
        # A bad file changes nothing and says where it is bad.
        before = call(c, "ACL", "LIST")
        acl_file.write_text("user default on nopass ~* &* +@all\nuser carol on\nbogus\n"
                            "user carol off\nuser dave on +nocmd >x\n")
        err = call(c, "ACL", "LOAD")
        assert err == (f"ERR:{acl_file}:3 should start with user keyword followed by the "
                       f"username. WARNING: Duplicate user 'carol' found on line 4. {acl_file}:5: "
                       "Error in applying operation '+nocmd': Unknown command or category name "
                       "in ACL. WARNING: ACL errors detected, no change to the previously active "
                       "ACL rules was performed")
        assert call(c, "ACL", "LIST") == before
    finally:
        assert s.stop() == 0


def test_load_errors_match_redis(tmp_path):
    text = ("user default on nopass ~* &* +@all\nuser alice on >a ~a* +get\nbogus line\n"
            "user bob on +nocmd\nuser bob on\n# comment\nuser c (~x\nuser d\t on\n"
            "user e \"x\" >secret\nuser f on #zz #yy\n\n  user g on  ~x  \n")
    errors = []
    for start in (Server, Reference):
        path = tmp_path / f"{start.__name__}.acl"
        path.write_text("user default on nopass ~* &* +@all\n")
        s = start(["--aclfile", str(path)])
        try:
            c = raw(s.port)
            path.write_text(text)
            errors.append(call(c, "ACL", "LOAD").replace(str(path), "FILE"))
            path.write_text(text.split("bogus")[0] + "user g on  ~x   +set\n")
            errors.append(call(c, "ACL", "LOAD"))
            errors.append(call(c, "ACL", "LIST"))
        finally:
            s.stop()
    assert errors[:3] == errors[3:]
    assert "secret" not in errors[0]


def test_deleted_user_is_disconnected_changed_user_is_not(server, reference):
    for port in (server.port, reference.port):
        admin = raw(port)
        call(admin, "ACL", "SETUSER", "u", "on", ">pw", "~*", "+@all")
        c = raw(port, username="u", password="pw")
        # As Redis: turning a user off or changing its passwords keeps its connections.
        call(admin, "ACL", "SETUSER", "u", "off", "resetpass")
        assert call(c, "PING") == b"PONG"
        call(admin, "ACL", "SETUSER", "u", "-ping")
        assert "no permissions to run the 'ping' command" in call(c, "PING")
        assert call(admin, "ACL", "DELUSER", "u") == 1
        with pytest.raises(redis.ConnectionError):
            call(c, "GET", "k")
        # Deleting itself: the reply arrives, then the connection closes.
        call(admin, "ACL", "SETUSER", "v", "on", ">pw", "~*", "+@all")
        v = raw(port, username="v", password="pw")
        assert call(v, "ACL", "DELUSER", "v") == 1
        with pytest.raises(redis.ConnectionError):
            call(v, "PING")
        assert call(admin, "PING") == b"PONG"


def test_client_list_shows_user_and_kill_by_user(server):
    admin = raw(server.port)
    call(admin, "ACL", "SETUSER", "w", "on", ">pw", "~*", "+@all")
    w = raw(server.port, username="w", password="pw")
    lines = call(admin, "CLIENT", "LIST").decode().strip().split("\n")
    assert sorted(re.search(r" user=(\S+) ", l).group(1) for l in lines) == ["default", "w"]
    assert " user=w " in call(w, "CLIENT", "INFO").decode()
    assert call(admin, "CLIENT", "KILL", "USER", "nope") == "ERR:No such user 'nope'"
    # MAXAGE came with Redis 7.4; 7.0.15 refuses it.
    assert call(admin, "CLIENT", "KILL", "USER", "w", "MAXAGE", "0") == "ERR:syntax error"
    assert b"MAXAGE" not in b"".join(call(admin, "CLIENT", "HELP"))
    assert call(admin, "CLIENT", "KILL", "USER", "w") == 1
    with pytest.raises(redis.ConnectionError):
        call(w, "PING")


def test_redis_cli_as_a_limited_user(server):
    c = raw(server.port)
    call(c, "ACL", "SETUSER", "cli", "on", ">pw", "~cli:*", "+@read", "+@write", "-@dangerous")

    def cli(*args):
        out = subprocess.run([REDIS_CLI, "-p", str(server.port), "--user", "cli", "--pass", "pw",
                              "--no-auth-warning", *args], capture_output=True, text=True,
                             timeout=30)
        return out.stdout.strip()

    assert cli("SET", "cli:1", "x") == "OK"
    assert cli("GET", "cli:1") == "x"
    # redis-cli prints errors without "(error)" when its output is not a terminal.
    assert cli("GET", "other") == ("NOPERM this user has no permissions to access one of "
                                   "the keys used as arguments")
    assert cli("FLUSHALL") == ("NOPERM this user has no permissions to run the "
                               "'flushall' command")
    assert cli("ACL", "WHOAMI") == ("NOPERM this user has no permissions to run the "
                                    "'acl|whoami' command")
    out = subprocess.run([REDIS_CLI, "-p", str(server.port), "--user", "cli", "--pass", "bad",
                          "--no-auth-warning", "PING"], capture_output=True, text=True,
                         timeout=30)
    assert "WRONGPASS" in out.stdout + out.stderr


def test_hello_auth_and_requirepass(tmp_path):
    s = Server(["--requirepass", "pw"])
    try:
        c = raw(s.port)
        assert call(c, "GET", "k") == "ERR:Authentication required."
        assert call(c, "ACL", "LIST") == "ERR:Authentication required."
        hc = raw(s.port, password="pw")
        assert call(hc, "ACL", "WHOAMI") == b"default"
        line = call(hc, "ACL", "LIST")[0].decode()
        assert line == ("user default on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46"
                        "e26170c4 ~* &* +@all")
        # CONFIG SET requirepass changes the default user's password.
        assert call(hc, "CONFIG", "SET", "requirepass", "new") == b"OK"
        assert call(raw(s.port), "AUTH", "pw").startswith("ERR:")
        assert call(raw(s.port), "AUTH", "default", "new") == b"OK"
        assert call(hc, "CONFIG", "SET", "requirepass", "") == b"OK"
        assert call(raw(s.port), "GET", "k") is None
        call(hc, "ACL", "SETUSER", "hu", "on", ">hp", "~*", "+@all")
        plain = raw(s.port)
        reply = call(plain, "HELLO", "2", "AUTH", "hu", "hp")
        assert reply[reply.index(b"proto") + 1] == 2
        assert call(plain, "ACL", "WHOAMI") == b"hu"
        assert "invalid username-password pair" in call(plain, "HELLO", "2", "AUTH", "hu", "bad")
    finally:
        assert s.stop() == 0


def test_noauth_and_wrongpass_texts_match_redis():
    """A default user with a password: what an unauthenticated client is told."""
    s = Server(["--requirepass", "pw"])
    ref = Reference(["--requirepass", "pw"])
    try:
        cases = [["GET", "k"], ["HELLO", "3"], ["HELLO", "2", "SETNAME", "n"],
                 ["HELLO", "3", "AUTH", "default", "bad"], ["HELLO", "3", "AUTH", "nouser", "x"],
                 ["AUTH", "bad"], ["AUTH", "default", "bad"], ["AUTH", "a", "b", "c"],
                 ["ACL", "WHOAMI"], ["CLIENT", "ID"]]
        for args in cases:
            assert call(raw(s.port), *args) == call(raw(ref.port), *args), args
    finally:
        ref.stop()
        assert s.stop() == 0


def test_config_user_lines_and_rewrite(tmp_path):
    conf = tmp_path / "mnemo.conf"
    conf.write_text("user alice on >a ~a:* +@read\nuser default on nopass ~* &* +@all\n")
    binary = os.environ["MNEMO_SERVER"]
    port = free_port()
    proc = subprocess.Popen([binary, str(conf), "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                c = raw(port)
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert call(c, "ACL", "USERS") == [b"alice", b"default"]
        assert call(raw(port, username="alice", password="a"), "GET", "a:1") is None
        assert call(c, "ACL", "SETUSER", "bob", "on", ">b") == b"OK"
        assert call(c, "ACL", "DELUSER", "alice") == 1
        assert call(c, "CONFIG", "REWRITE") == b"OK"
        lines = [l for l in conf.read_text().split("\n") if l.startswith("user ")]
        assert lines == [l.decode() for l in call(c, "ACL", "LIST")]
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def start_failure(args):
    binary = os.environ["MNEMO_SERVER"]
    out = subprocess.run([binary, "--port", str(free_port()), "--bind", "127.0.0.1", *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    return out.stdout + out.stderr


def test_config_user_errors_match_redis(tmp_path):
    acl_file = tmp_path / "u.acl"
    acl_file.write_text("user default on nopass ~* +@all\n")
    cases = [
        (["--user", "x", "on", "badrule"], "Error in user declaration 'x': Syntax error"),
        (["--user", "x", "on", "--user", "x", "off"],
         "Error in user declaration 'x': Duplicate user found. A user can only be defined once "
         "in config files"),
        (["--user", "x", "on", ">p", "+nocmd"],
         "Error loading ACL rule '+nocmd' for the user named 'x': Unknown command or category "
         "name in ACL"),
        (["--user", "x", "on", "--aclfile", str(acl_file)],
         "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
         "path is invalid."),
    ]
    for args, text in cases:
        assert text in start_failure(args), args
        ref = subprocess.run([REDIS_SERVER, "--port", str(free_port()), "--bind", "127.0.0.1",
                              "--save", "", *args], capture_output=True, text=True, timeout=30)
        assert ref.returncode != 0 and text in ref.stdout + ref.stderr, args
    acl_file.write_text("user x on bogus\n")
    assert "Aborting Mnemo startup because of ACL errors: " + f"{acl_file}:1: Syntax error." in \
        start_failure(["--aclfile", str(acl_file)])
