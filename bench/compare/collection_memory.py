#!/usr/bin/python3
"""collection_memory.py: memory per item of every dataset, strings and every collection type,
Mnemo against Redis in one run (issues 3 and 16).

Loads the same data into both servers (pipelined, in batches small enough that client buffers
stay small) and prints used_memory per item for each and the ratio. The datasets:

  1,000,000 keys key:%08d -> 16 bytes   embstr in both (per key); the same with EX 86400
  1,000,000 keys -> integers 0..9999    int in both
  1,000,000 keys -> 100 bytes           raw in both
  100,000 hashes x 10 small fields    listpack in both
  1,000 hashes x 1,000 fields         hashtable in both (per field)
  100,000 lists x 10 elements         listpack in Mnemo (as Redis 7.2), quicklist in Redis 7.0
  100,000 sets x 10 integers          intset in both
  100,000 zsets x 10 members          listpack in both
  1 bitmap of 1,000,000 bits          a 125 KB string in both (per bitmap)

Each dataset is loaded into an empty server (FLUSHALL before) and measured as the growth of
used_memory less mem_clients_normal (the loading client's buffers are not the dataset). Target
(issue 3): no dataset uses more in Mnemo than in Redis 7.0.15.

With --chart PATH it also draws bytes per item of every dataset, Mnemo beside Redis, as a PNG
(Debian's python3-matplotlib; docs/img/bytes_per_key.png, which the README shows).

Usage: bench/compare/collection_memory.py [--scale 1.0] [--chart PATH]
                                          (scale < 1 shrinks every dataset)
"""
import argparse

from servers import Pair, table
from strings import value_of

# Commands per pipeline round trip; keeps the query and reply buffers of the loading client
# small, since they are counted in used_memory too.
BATCH_COMMANDS = 1000


def run_batches(server, commands):
    """Sends an iterable of argument lists through pipelines of BATCH_COMMANDS commands."""
    pipe = server.client.pipeline(transaction=False)
    n = 0
    for args in commands:
        pipe.execute_command(*args)
        n += 1
        if n % BATCH_COMMANDS == 0:
            pipe.execute()
    pipe.execute()


def strings(values, ttl=None):
    """SETs of `key:%08d` to 16- or 100-byte values or to integers 0..9999 (strings.py's data)."""
    def generate(n):
        for i in range(n):
            yield ["SET", f"key:{i:08d}", value_of(i, values)] + (["EX", str(ttl)] if ttl else [])
    return generate


def small_hashes(n):
    for i in range(n):
        args = ["HSET", f"hash:{i:08d}"]
        for f in range(10):
            args += [f"field{f}", f"value{f}:{i % 1000}"]
        yield args


def big_hashes(n):
    for i in range(n):
        for chunk in range(0, 1000, 100):
            args = ["HSET", f"bighash:{i:06d}"]
            for f in range(chunk, chunk + 100):
                args += [f"field:{f:04d}", f"value:{f:04d}"]
            yield args


def lists(n):
    for i in range(n):
        yield ["RPUSH", f"list:{i:08d}"] + [f"item:{j:02d}" for j in range(10)]


def int_sets(n):
    for i in range(n):
        yield ["SADD", f"set:{i:08d}"] + [str(i * 10 + j) for j in range(10)]


def zsets(n):
    for i in range(n):
        args = ["ZADD", f"zset:{i:08d}"]
        for j in range(10):
            args += [str(j * 1.5), f"member:{j:02d}"]
        yield args


def bitmap(_n):
    # Set every 7th bit of 1,000,000 bits (the last bit too, so the string has full length).
    for off in list(range(0, 1000000, 7)) + [999999]:
        yield ["SETBIT", "bitmap", str(off), "1"]


def dataset_memory(server):
    """used_memory less the clients' buffers: what the keys cost. The loading client's query and
    reply buffers change size with the pipeline (each server gives them back on its own
    schedule), which on the single bitmap was as much as 8-35 KB of a 131 KB item."""
    info = server.client.info("memory")
    return int(info["used_memory"]) - int(info["mem_clients_normal"])


def measure(server, generator, n, items):
    server.client.flushall()
    before = dataset_memory(server)
    run_batches(server, generator(n))
    return (dataset_memory(server) - before) / items


def draw(rows, path, versions):
    """One small bar chart per dataset: Mnemo's bytes per item beside Redis's."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = 5
    nrows = (len(rows) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.2 * nrows))
    for ax, (name, m, r, ratio) in zip(axes.flat, rows):
        values = [float(m), float(r)]
        ax.bar(["mnemo", "redis"], values, color=["#48c", "#c44"])
        what, per = name.split(", per ", 1)
        ax.set_title(f"{what}\nper {per}", fontsize=8)
        ax.tick_params(labelsize=8)
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:,.1f}", ha="center", va="bottom", fontsize=8)
        ax.text(0.5, 0.5, f"{float(ratio):.2f}x", transform=ax.transAxes, ha="center",
                fontsize=11, color="#333")
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle(f"used_memory per item ({versions}; bench/compare/collection_memory.py)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"\nchart: {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--chart", default="")
    args = ap.parse_args()
    k = lambda n: max(1, int(n * args.scale))  # noqa: E731
    datasets = [
        ("string, per key: 16-byte value", strings("16"), k(1000000), k(1000000)),
        ("string, per key: integer 0..9999", strings("int"), k(1000000), k(1000000)),
        ("string, per key: 100-byte value", strings("100"), k(1000000), k(1000000)),
        ("string, per key: 16-byte value, EX 86400", strings("16", 86400), k(1000000),
         k(1000000)),
        ("hash (listpack), per hash: 10 fields", small_hashes, k(100000), k(100000)),
        ("hash (hashtable), per field: 1,000 fields", big_hashes, k(1000), k(1000) * 1000),
        ("list, per list: 10 elements", lists, k(100000), k(100000)),
        ("set (intset), per set: 10 integers", int_sets, k(100000), k(100000)),
        ("zset (listpack), per zset: 10 members", zsets, k(100000), k(100000)),
        ("bitmap, per bitmap: 1,000,000 bits", bitmap, 1, 1),
    ]
    with Pair() as p:
        print(f"servers: {p.mnemo.version()} vs {p.redis.version()}")
        rows = []
        worst = 0.0
        for name, gen, n, items in datasets:
            m = measure(p.mnemo, gen, n, items)
            r = measure(p.redis, gen, n, items)
            worst = max(worst, m / r)
            rows.append([name, f"{m:.1f}", f"{r:.1f}", f"{m / r:.3f}"])
        table(rows, ["bytes per item", "mnemo", "redis", "mnemo/redis"])
        if args.chart:
            draw(rows, args.chart, f"{p.mnemo.version()} vs {p.redis.version()}")
        print(f"\nlargest ratio: {worst:.3f} ({'no dataset uses more than Redis' if worst <= 1 else 'ABOVE REDIS'})")


if __name__ == "__main__":
    main()
