#!/usr/bin/python3
"""deployment_memory.py: memory of every node of a deployment, and where to add a shard.

Reads INFO memory, INFO stats and INFO keyspace of every node of a twemproxy (nutcracker) pool,
of a Sentinel-monitored master and its replicas, or of a list of host:port, and prints per node:
used_memory, maxmemory, the headroom (maxmemory - used_memory, bytes and % of maxmemory), the
eviction policy, evicted_keys, the keys, and the hottest key prefixes by memory. Works the same
against Mnemo and Redis servers (docs/scaling.md).

The prefixes: up to --sample keys of each database are read with SCAN, sized with MEMORY USAGE
(pipelined), and grouped by the part of the name before the first --separator (':' by default;
a key without it is counted under "(no prefix)"). The sampled bytes and keys of a prefix are
scaled by keys-in-the-database / keys-sampled, so the figures estimate the whole keyspace; when
the sample covers every key they are exact.

A node whose used_memory is within --warn-pct percent of its maxmemory gets a WARNING line: add a
shard before it starts evicting (or refusing writes, under noeviction).

Usage:
  scripts/deployment_memory.py --twemproxy nutcracker.yml [--pool NAME]
  scripts/deployment_memory.py --sentinel 127.0.0.1:26379 --master mymaster
  scripts/deployment_memory.py --nodes 127.0.0.1:7001 127.0.0.1:7002
options: --password P (AUTH on the nodes), --sample 1000, --separator :, --top 5, --warn-pct 10,
         --json (one JSON document instead of the text report)
Exit status: 0; 2 when a node is within --warn-pct of its maxmemory; 1 when a node cannot be read.
"""
import argparse
import json
import sys

import redis

NO_PREFIX = "(no prefix)"


def parse_address(text):
    """'host:port' -> (host, port)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"not a host:port address: {text!r}")
    return host, int(port)


def twemproxy_nodes(path, pool=None):
    """The servers of a nutcracker YAML config: [(label, host, port)]. Each server line is
    'host:port:weight [name]'; with several pools, every pool unless `pool` names one."""
    import yaml  # python3-yaml: only this mode needs it

    with open(path) as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict) or not config:
        raise SystemExit(f"{path}: no pool in this twemproxy config")
    if pool is not None:
        if pool not in config:
            raise SystemExit(f"{path}: no pool named {pool!r} (pools: {', '.join(config)})")
        config = {pool: config[pool]}
    nodes = []
    for pool_name, spec in config.items():
        for entry in (spec or {}).get("servers", []):
            address, _, name = str(entry).partition(" ")
            parts = address.split(":")
            if len(parts) < 3 or not parts[-2].isdigit():
                raise SystemExit(f"{path}: pool {pool_name}: a server that is not "
                                 f"host:port:weight: {entry!r}")
            host, port = ":".join(parts[:-2]), int(parts[-2])
            label = f"pool {pool_name}" + (f", server {name.strip()}" if name.strip() else "")
            nodes.append((label, host, port))
    return nodes


def sentinel_nodes(address, master, password=None):
    """The master and replicas that a Sentinel knows for `master`: [(label, host, port)]."""
    from redis.sentinel import Sentinel

    host, port = parse_address(address)
    sentinel = Sentinel([(host, port)], socket_timeout=5)
    m_host, m_port = sentinel.discover_master(master)
    nodes = [(f"{master} master", m_host, int(m_port))]
    for r_host, r_port in sentinel.discover_slaves(master):
        nodes.append((f"{master} replica", r_host, int(r_port)))
    return nodes


def sample_prefixes(client, sample, separator):
    """{prefix: [sampled keys, sampled bytes]} and the number of keys sampled, from the database
    that `client` uses."""
    groups = {}
    sampled = 0
    cursor = 0
    seen = set()
    while True:
        cursor, keys = client.scan(cursor=cursor, count=max(10, min(1000, sample)))
        keys = [k for k in keys if k not in seen][:sample - sampled]
        seen.update(keys)
        if keys:
            pipe = client.pipeline(transaction=False)
            for k in keys:
                pipe.memory_usage(k)
            for k, size in zip(keys, pipe.execute()):
                if size is None:  # deleted or expired between SCAN and MEMORY USAGE
                    continue
                name = k.decode("utf-8", errors="replace")
                prefix = name.split(separator, 1)[0] if separator in name else NO_PREFIX
                group = groups.setdefault(prefix, [0, 0])
                group[0] += 1
                group[1] += int(size)
                sampled += 1
        if cursor == 0 or sampled >= sample:
            break
    return groups, sampled


def read_node(label, host, port, args):
    client = redis.Redis(host=host, port=port, password=args.password, socket_timeout=30)
    memory = client.info("memory")
    stats = client.info("stats")
    keyspace = client.info("keyspace")
    used = int(memory["used_memory"])
    maxmemory = int(memory.get("maxmemory", 0))
    node = {
        "label": label, "address": f"{host}:{port}", "used_memory": used, "maxmemory": maxmemory,
        "headroom": maxmemory - used if maxmemory else None,
        "headroom_pct": 100.0 * (maxmemory - used) / maxmemory if maxmemory else None,
        "maxmemory_policy": memory.get("maxmemory_policy", "?"),
        "evicted_keys": int(stats.get("evicted_keys", 0)),
        "keys": {}, "prefixes": [],
    }
    totals = {}
    sampled_all = 0
    for name, value in keyspace.items():
        if not name.startswith("db"):
            continue
        keys = int(value["keys"]) if isinstance(value, dict) else 0
        node["keys"][name] = keys
        if keys == 0:
            continue
        db_client = redis.Redis(host=host, port=port, db=int(name[2:]), password=args.password,
                                socket_timeout=30)
        groups, sampled = sample_prefixes(db_client, args.sample, args.separator)
        db_client.close()
        sampled_all += sampled
        scale = keys / sampled if sampled else 0
        for prefix, (count, size) in groups.items():
            t = totals.setdefault(prefix, {"sampled_keys": 0, "sampled_bytes": 0,
                                           "est_keys": 0.0, "est_bytes": 0.0})
            t["sampled_keys"] += count
            t["sampled_bytes"] += size
            t["est_keys"] += count * scale
            t["est_bytes"] += size * scale
    client.close()
    node["sampled_keys"] = sampled_all
    est_total = sum(t["est_bytes"] for t in totals.values())
    for prefix, t in sorted(totals.items(), key=lambda kv: (-kv[1]["est_bytes"], kv[0])):
        t["prefix"] = prefix
        t["est_keys"] = round(t["est_keys"])
        t["est_bytes"] = round(t["est_bytes"])
        t["share_pct"] = 100.0 * t["est_bytes"] / est_total if est_total else 0.0
        node["prefixes"].append(t)
    node["warning"] = (maxmemory > 0 and used >= maxmemory * (1 - args.warn_pct / 100.0))
    return node


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


def print_report(nodes, errors, args):
    for node in nodes:
        print(f"node {node['address']} ({node['label']})")
        print(f"  used_memory: {node['used_memory']} ({human(node['used_memory'])})")
        if node["maxmemory"]:
            print(f"  maxmemory: {node['maxmemory']} ({human(node['maxmemory'])})")
            print(f"  headroom: {node['headroom']} bytes ({node['headroom_pct']:.1f}%)")
        else:
            print("  maxmemory: 0 (no limit)")
            print("  headroom: unlimited")
        print(f"  maxmemory_policy: {node['maxmemory_policy']}")
        print(f"  evicted_keys: {node['evicted_keys']}")
        total = sum(node["keys"].values())
        dbs = " ".join(f"{db}={n}" for db, n in node["keys"].items())
        print(f"  keys: {total}" + (f" ({dbs})" if dbs else ""))
        print(f"  hottest prefixes (sampled {node['sampled_keys']} of {total} keys, "
              f"separator {args.separator!r}, estimated for the whole keyspace):")
        for p in node["prefixes"][:args.top]:
            print(f"    {p['prefix']}: {p['est_bytes']} bytes ({human(p['est_bytes'])}), "
                  f"{p['est_keys']} keys, {p['share_pct']:.1f}%")
        if not node["prefixes"]:
            print("    (no keys)")
        if node["warning"]:
            print(f"  WARNING {node['address']}: used_memory is within {args.warn_pct:g}% of "
                  f"maxmemory (headroom {node['headroom_pct']:.1f}%, policy "
                  f"{node['maxmemory_policy']}): add a shard before this node starts evicting")
        print()
    for address, error in errors:
        print(f"node {address}: ERROR {error}")
    if nodes:
        used = sum(n["used_memory"] for n in nodes)
        limited = [n for n in nodes if n["maxmemory"]]
        print(f"deployment: {len(nodes)} node(s), used_memory {used} ({human(used)})"
              + (f", maxmemory {sum(n['maxmemory'] for n in limited)} on {len(limited)} "
                 f"node(s) with a limit" if limited else ""))
        warned = [n["address"] for n in nodes if n["warning"]]
        print("nodes near maxmemory: " + (", ".join(warned) if warned else "none"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--twemproxy", metavar="CONFIG.yml", help="a nutcracker YAML config")
    source.add_argument("--sentinel", metavar="HOST:PORT", help="a Sentinel (with --master)")
    source.add_argument("--nodes", nargs="+", metavar="HOST:PORT")
    ap.add_argument("--pool", help="only this twemproxy pool")
    ap.add_argument("--master", help="the master name known to the Sentinel")
    ap.add_argument("--password", help="AUTH password of the nodes")
    ap.add_argument("--sample", type=int, default=1000, help="keys sampled per database")
    ap.add_argument("--separator", default=":", help="prefix separator (default ':')")
    ap.add_argument("--top", type=int, default=5, help="prefixes shown per node")
    ap.add_argument("--warn-pct", type=float, default=10.0,
                    help="warn when used_memory is within this %% of maxmemory")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.sample < 1 or not args.separator:
        ap.error("--sample must be at least 1 and --separator not empty")

    if args.twemproxy:
        targets = twemproxy_nodes(args.twemproxy, args.pool)
    elif args.sentinel:
        if not args.master:
            ap.error("--sentinel needs --master NAME")
        targets = sentinel_nodes(args.sentinel, args.master, args.password)
    else:
        targets = [("listed", *parse_address(a)) for a in args.nodes]

    nodes, errors = [], []
    for label, host, port in targets:
        try:
            nodes.append(read_node(label, host, port, args))
        except (redis.RedisError, OSError) as e:
            errors.append((f"{host}:{port}", str(e)))
    if args.json:
        json.dump({"nodes": nodes, "errors": [{"address": a, "error": e} for a, e in errors]},
                  sys.stdout, indent=2)
        print()
    else:
        print_report(nodes, errors, args)
    if errors:
        return 1
    return 2 if any(n["warning"] for n in nodes) else 0


if __name__ == "__main__":
    sys.exit(main())
