#!/usr/bin/python3
"""gen_commands_doc.py: writes the command table of docs/commands.md from a running server's
COMMAND DOCS (the same rows the dispatcher uses).

Usage: scripts/gen_commands_doc.py PORT > table.md
"""
import sys

import redis

GROUP_TITLES = [
    ("connection", "Connection"), ("string", "Strings"), ("bitmap", "Bitmaps"),
    ("generic", "Keys"), ("hash", "Hashes"), ("list", "Lists"), ("set", "Sets"),
    ("sorted-set", "Sorted sets"), ("hyperloglog", "HyperLogLog"), ("geo", "Geospatial"),
    ("pubsub", "Pub/Sub"), ("transactions", "Transactions"), ("scripting", "Scripting"),
    ("stream", "Streams"), ("cluster", "Cluster"), ("server", "Server"),
]


def main():
    # A raw connection: redis-py's COMMAND reply callback would misparse COMMAND DOCS.
    conn = redis.Connection(port=int(sys.argv[1]), decode_responses=True)
    conn.send_command("COMMAND", "DOCS")
    docs = conn.read_response()
    # redis-py 4.3 returns a flat list in RESP2: name, doc, name, doc...
    if isinstance(docs, list):
        docs = {docs[i]: docs[i + 1] for i in range(0, len(docs), 2)}
    by_group = {}
    for name, doc in docs.items():
        if isinstance(doc, list):
            doc = {doc[i]: doc[i + 1] for i in range(0, len(doc), 2)}
        subs = doc.get("subcommands")
        if isinstance(subs, list):
            subs = {subs[i]: subs[i + 1] for i in range(0, len(subs), 2)}
        sub_names = sorted(s.split("|", 1)[1].upper() for s in (subs or {}))
        by_group.setdefault(doc["group"], []).append((name.upper(), doc["summary"], sub_names))
    for group, title in GROUP_TITLES:
        rows = sorted(by_group.pop(group, []))
        if not rows:
            continue
        print(f"\n## {title}\n\n| command | summary |\n|---|---|")
        for name, summary, subs in rows:
            cell = name + (f" ({' '.join(subs)})" if subs else "")
            print(f"| {cell} | {summary} |")
    assert not by_group, f"groups without a title: {list(by_group)}"


if __name__ == "__main__":
    main()
