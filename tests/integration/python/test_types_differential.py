# test_types_differential.py: geospatial indexes, HyperLogLogs and SORT, side by side with
# Debian's redis-server 7.0.15 (tests/integration/python).
#
# - Geo: a seeded random set of points (clusters anywhere from the antimeridian to the polar
#   limits, small sets that stay listpacks and large ones that become skiplists) and seeded
#   random queries using every option; every reply is compared byte for byte, floating output
#   included, in RESP2 and RESP3, and so are the sets that STORE/STOREDIST write.
# - HyperLogLog: the same PFADDs give the same string (GET) and the same PFCOUNT in both
#   servers at cardinalities from 0 to 200,000, through the sparse-to-dense promotion, with
#   PFMERGE of sparse and dense inputs.
# - SORT: seeded random SORT/SORT_RO calls over lists, sets and sorted sets with BY, GET
#   (including hash fields), LIMIT, ALPHA, DESC and STORE.
import random

import pytest
import redis

from test_differential import Resp3, call, connection, plain, reference  # noqa: F401

# Cluster centres: ordinary places, both sides of the antimeridian, near the polar limits.
CENTRES = [(13.36, 38.11), (-73.98, 40.75), (179.9, -16.5), (-179.95, 64.2), (0.0, 0.0),
           (151.2, -33.86), (25.0, 84.9), (-60.0, -84.8), (2.35, 48.85)]
UNITS = ["m", "km", "ft", "mi", "KM"]


def random_point(rnd, taken=None):
    """A random position; with `taken`, one not within 1e-4 degrees of a taken one. Two members
    at the same position tie in distance, and Redis orders ties under COUNT (its partial
    quicksort) in an order of its own that is not worth copying."""
    while True:
        lon, lat = random_point_any(rnd)
        cell = (round(lon, 4), round(lat, 4))
        if taken is None or cell not in taken:
            if taken is not None:
                taken.add(cell)
            return lon, lat


def random_point_any(rnd):
    lon, lat = rnd.choice(CENTRES)
    spread = rnd.choice([0.001, 0.05, 0.5, 3.0])
    lon = max(-180.0, min(180.0, lon + rnd.uniform(-spread, spread)))
    lat = max(-85.05112878, min(85.05112878, lat + rnd.uniform(-spread, spread)))
    return round(lon, rnd.choice([3, 6, 9])), round(lat, rnd.choice([3, 6, 9]))


def radius(rnd):
    return rnd.choice(["0", "1", "10", "500", "2500", "50", "300", "1.5", "0.01", "5000",
                       "20000"])


def shape_args(rnd, search):
    if search:
        if rnd.random() < 0.5:
            return ["BYRADIUS", radius(rnd), rnd.choice(UNITS)]
        return ["BYBOX", radius(rnd), radius(rnd), rnd.choice(UNITS)]
    return [radius(rnd), rnd.choice(UNITS)]


def options(rnd, store_allowed):
    items = []
    for opt in ["WITHCOORD", "WITHDIST", "WITHHASH"]:
        if not store_allowed and rnd.random() < 0.4:
            items.append([opt])
    order = rnd.choice([None, "ASC", "DESC"])
    if order:
        items.append([order])
    if rnd.random() < 0.5:
        items.append(["COUNT", rnd.choice(["1", "3", "10", "1000"])]
                     + (["ANY"] if rnd.random() < 0.4 else []))
    rnd.shuffle(items)
    return sum(items, [])


def geo_query(rnd, members):
    key = rnd.choice(["small", "large", "missing"])
    member = rnd.choice(members + ["nosuch"])
    lon, lat = random_point(rnd)
    kind = rnd.randrange(9)
    if kind == 0:
        return ["GEOPOS", key] + [rnd.choice(members + ["nosuch"]) for _ in range(3)]
    if kind == 1:
        return ["GEOHASH", key] + [rnd.choice(members + ["nosuch"]) for _ in range(3)]
    if kind == 2:
        return ["GEODIST", key, member, rnd.choice(members)] + (
            [rnd.choice(UNITS)] if rnd.random() < 0.7 else [])
    if kind in (3, 4):
        origin = (["FROMMEMBER", member] if rnd.random() < 0.5
                  else ["FROMLONLAT", str(lon), str(lat)])
        if kind == 3:
            return ["GEOSEARCH", key] + origin + shape_args(rnd, True) + options(rnd, False)
        return (["GEOSEARCHSTORE", "dst", key] + origin + shape_args(rnd, True)
                + options(rnd, True) + (["STOREDIST"] if rnd.random() < 0.5 else []))
    ro = rnd.random() < 0.5
    store = [] if ro or rnd.random() < 0.6 else [rnd.choice(["STORE", "STOREDIST"]), "dst"]
    if kind in (5, 6):
        return ([("GEORADIUS_RO" if ro else "GEORADIUS"), key, str(lon), str(lat)]
                + shape_args(rnd, False) + options(rnd, bool(store)) + store)
    return ([("GEORADIUSBYMEMBER_RO" if ro else "GEORADIUSBYMEMBER"), key, member]
            + shape_args(rnd, False) + options(rnd, bool(store)) + store)


@pytest.mark.parametrize("seed,resp", [(11, 2), (12, 3)])
def test_geo_matches_redis(server, reference, seed, resp):
    if resp == 3:
        ours, theirs = Resp3(server.port), Resp3(reference)
    else:
        ours, theirs = connection(server.port), connection(reference)
    rnd = random.Random(seed)
    mismatches = []

    def both(argv):
        a, b = plain(call(ours, argv)), plain(call(theirs, argv))
        if a != b:
            mismatches.append(f"{argv}: mnemo {a!r:.300} redis {b!r:.300}")
        return a

    both(["FLUSHALL"])
    members = []
    taken = set()
    for key, n in [("small", 60), ("large", 600)]:
        i = 0
        while i < n:
            batch = []
            for _ in range(rnd.randint(1, 8)):
                lon, lat = random_point(rnd, taken)
                name = f"{key}{i}"
                i += 1
                members.append(name)
                batch += [str(lon), str(lat), name]
            flags = [f for f in ["CH", "NX", "XX"] if rnd.random() < 0.15]
            both(["GEOADD", key] + flags + batch)
    # Moving some members (XX CH) and adding others (NX).
    for _ in range(20):
        lon, lat = random_point(rnd, taken)
        both(["GEOADD", rnd.choice(["small", "large"]), rnd.choice(["XX", "NX", "CH"]),
              str(lon), str(lat), rnd.choice(members)])
    both(["ZCARD", "small"])
    both(["ZCARD", "large"])
    compared = 0
    for _ in range(1500):
        argv = geo_query(rnd, members)
        reply = both(argv)
        compared += 1
        if any(a in ("STORE", "STOREDIST", "GEOSEARCHSTORE") for a in argv) and not (
                isinstance(reply, tuple) and reply[0] == "error"):
            both(["ZRANGE", "dst", "0", "-1", "WITHSCORES"])
    assert compared == 1500
    assert not mismatches, f"{len(mismatches)} replies differ:\n" + "\n".join(mismatches[:10])


def test_hll_bytes_and_counts_match_redis(server, reference):
    ours = server.client()
    theirs = redis.Redis(host="127.0.0.1", port=reference, socket_timeout=30)
    rnd = random.Random(7)
    for r in (ours, theirs):
        r.flushall()
    sizes = [0, 1, 2, 5, 10, 50, 100, 300, 1000, 1500, 2000, 3000, 10000, 50000, 200000]
    for n in sizes:
        elements = [f"el:{rnd.random()}" for _ in range(n)]
        for r in (ours, theirs):
            if n == 0:
                r.pfadd(f"h{n}")
            for i in range(0, n, 5000):
                r.pfadd(f"h{n}", *elements[i:i + 5000])
        assert ours.get(f"h{n}") == theirs.get(f"h{n}"), n
        assert ours.pfcount(f"h{n}") == theirs.pfcount(f"h{n}"), n
        # The cached count written by PFCOUNT is the same too.
        assert ours.get(f"h{n}") == theirs.get(f"h{n}"), n
    # Merges of sparse and dense inputs, into new and existing keys.
    merges = [["m1", "h10", "h100"], ["m2", "h1000", "h200000"], ["h50", "h300", "h2"],
              ["m3", "h3000", "h10000", "missing"], ["h1500", "h0"]]
    for argv in merges:
        assert ours.pfmerge(*argv) == theirs.pfmerge(*argv)
        assert ours.get(argv[0]) == theirs.get(argv[0]), argv
        assert ours.pfcount(argv[0]) == theirs.pfcount(argv[0]), argv
    for keys in [["h10", "h100"], ["h300", "h200000", "missing"], ["m1", "m2", "m3"]]:
        assert ours.pfcount(*keys) == theirs.pfcount(*keys), keys
    # A smaller sparse limit promotes earlier, in both.
    for r in (ours, theirs):
        r.config_set("hll-sparse-max-bytes", "200")
        r.pfadd("small-limit", *[f"x{i}" for i in range(150)])
    assert ours.get("small-limit") == theirs.get("small-limit")
    assert ours.execute_command("PFDEBUG", "ENCODING", "small-limit") == theirs.execute_command(
        "PFDEBUG", "ENCODING", "small-limit")


def sort_call(rnd):
    key = rnd.choice(["list", "nums", "set", "zset", "words", "missing", "str"])
    argv = [rnd.choice(["SORT", "SORT_RO"]), key]
    if rnd.random() < 0.5:
        argv += ["BY", rnd.choice(["w_*", "h_*->f", "nosort", "w_*_x", "h_*->nofield",
                                   "nokey_*"])]
    for _ in range(rnd.choice([0, 0, 1, 2])):
        argv += ["GET", rnd.choice(["#", "w_*", "h_*->f", "h_*->g", "nokey_*", "h_*->"])]
    if rnd.random() < 0.4:
        argv += ["LIMIT", rnd.choice(["0", "1", "-1", "5"]), rnd.choice(["0", "2", "-1", "100"])]
    if rnd.random() < 0.4:
        argv.append(rnd.choice(["ASC", "DESC"]))
    if rnd.random() < 0.4:
        argv.append("ALPHA")
    if rnd.random() < 0.3:
        argv += ["STORE", "dest"]
    return argv


def deterministic(argv):
    """SORT leaves the order of elements open where it compares them as equal: a set in its own
    order (BY a constant), and equal ALPHA weights from a BY pattern, whose order is the input's
    (a set's or zset's own) or, with a LIMIT, that of Redis's partial quicksort. Those calls are
    compared unordered, or not at all when a LIMIT picks which of them are returned."""
    upper = [a.upper() if isinstance(a, str) else a for a in argv]
    key = argv[1]
    by = upper[upper.index("BY") + 1] if "BY" in upper else None
    if key == "set" and by is not None and "*" not in by and "STORE" not in upper:
        return False
    if by is not None and "*" in by and "ALPHA" in upper and (
            key in ("set", "zset") or "LIMIT" in upper):
        return False
    return True


@pytest.mark.parametrize("resp", [2, 3])
def test_sort_matches_redis(server, reference, resp):
    if resp == 3:
        ours, theirs = Resp3(server.port), Resp3(reference)
    else:
        ours, theirs = connection(server.port), connection(reference)
    rnd = random.Random(21 + resp)
    setup = [["FLUSHALL"],
             ["RPUSH", "list"] + [str(rnd.randint(-50, 50)) for _ in range(40)] + ["1.5", "-0"],
             ["RPUSH", "nums"] + [str(i) for i in range(10, 0, -1)],
             ["SADD", "set"] + [f"s{i}" for i in range(30)] + ["3", "1", "2"],
             ["ZADD", "zset"] + sum([[str(i % 7), f"z{i}"] for i in range(200)], []),
             ["RPUSH", "words", "banana", "apple", "cherry", "Apple", "10", "9", ""],
             ["SET", "str", "x"]]
    for v in list(range(-50, 51)) + [f"s{i}" for i in range(30)] + [f"z{i}" for i in range(200)]:
        setup.append(["SET", f"w_{v}", str(rnd.randint(0, 100) / 4)])
        if rnd.random() < 0.7:
            setup.append(["HSET", f"h_{v}", "f", str(rnd.randint(0, 20)), "g", f"g{v}"])
    setup.append(["SET", "w_banana", "not-a-number"])
    for argv in setup:
        assert plain(call(ours, argv)) == plain(call(theirs, argv)), argv
    mismatches, compared = [], 0
    for _ in range(1500):
        argv = sort_call(rnd)
        a, b = plain(call(ours, argv)), plain(call(theirs, argv))
        same = a == b
        if not deterministic(argv):
            if "LIMIT" in argv:
                same = None
            elif isinstance(a, list) and isinstance(b, list):
                same = sorted(map(repr, a)) == sorted(map(repr, b))
            elif isinstance(a, tuple) and isinstance(a[1], list):
                same = sorted(map(repr, a[1])) == sorted(map(repr, b[1]))
        if same is not None:
            compared += 1
            if not same:
                mismatches.append(f"{argv}: mnemo {a!r:.300} redis {b!r:.300}")
        if "STORE" in argv:
            x = plain(call(ours, ["LRANGE", "dest", "0", "-1"]))
            y = plain(call(theirs, ["LRANGE", "dest", "0", "-1"]))
            if deterministic(argv) and x != y:
                mismatches.append(f"{argv} stored: mnemo {x!r:.300} redis {y!r:.300}")
            for conn in (ours, theirs):  # the next comparison starts from the same state
                call(conn, ["DEL", "dest"])
    assert compared > 1000
    assert not mismatches, f"{len(mismatches)} replies differ:\n" + "\n".join(mismatches[:10])
