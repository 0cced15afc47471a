#!/usr/bin/python3
"""compression.py: transparent value compression, Mnemo against Redis in one run (issue 13).

Two generated datasets (fixed seed, so every run stores the same bytes):
  json  N user profiles as JSON documents of 200-800 bytes: the same field names in every
        document, varied values (names, e-mails, cities, dates, tags, a short bio)
  text  M texts of 4-16 KB: sentences of words drawn from a vocabulary of a few thousand words
Each dataset is loaded (pipelined SETs of 1000, keys "key:%012d") into redis-server and into one
mnemo-server per compression mode (no, lzf, zstd, zstd with dictionary), and the script prints
used_memory growth per key, with the ratio to Redis.

Throughput, with redis-benchmark -P 16 against each server holding the dataset:
  GET  `redis-benchmark -t get -r <keys>`: random keys of the dataset, so every GET returns (and
       Mnemo decompresses) a real document
  SET  `redis-benchmark -r <keys> SET key:__rand_int__ <one document of the dataset>`:
       redis-benchmark sends one fixed value per run, so the value is a real generated document
       (compressed by Mnemo on every SET), the same one for every request
Beside each throughput, the server's own CPU time per request during the run (us/GET, us/SET:
its threads' run time from /proc/<pid>/task/*/schedstat over the requests; the least of the
rounds), and Redis's divided by Mnemo's (redis/this): the throughput ratio the two would have
if the server were the only bottleneck, which a loaded machine disturbs far less than the
requests per second.
Targets (json): zstd+dictionary at most 0.4x Redis's memory, lzf at most 0.75x; throughput at
least 0.9x Redis's. The machine is shared: read the ratios, not the absolute numbers.

Usage: bench/compare/compression.py [--keys 1000000] [--text-keys 100000] [--requests 300000]
                                    [--repeat 1] [--modes lzf,zstd+dict] [--datasets json]
                                    [--chart bytes_per_key.png]
                                    [--dump-json docs.bin] [--dump-text texts.bin]
The defaults are the full run. For iterating on the codec path, a run of a few minutes:
  ./compression.py --keys 100000 --text-keys 10000 --requests 200000 --repeat 3 \
                   --modes lzf,zstd+dict
All the servers of a dataset run at once; the benchmarks go in rounds, each round visiting
every server in turn, so load from elsewhere on a shared machine hits Redis and Mnemo alike
(--repeat N: N rounds, the best figure of each server is kept; Redis is always measured). So
the memory of all of them is needed at once: about 6 GB for the full run's texts.
"""
import argparse
import itertools
import os
import random
import re
import subprocess
import time

from servers import Server, table

MODES = [
    ("no", []),
    ("lzf", ["--value-compression", "lzf"]),
    ("zstd", ["--value-compression", "zstd"]),
    ("zstd+dict", ["--value-compression", "zstd", "--value-compression-dictionary", "yes"]),
]

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Charles", "Karen", "Wei", "Yuki", "Amara", "Lucas", "Sofia", "Mateo", "Aisha",
         "Noah", "Emma", "Olivia", "Liam", "Ava", "Ethan", "Mia", "Hiro", "Ines", "Omar", "Lea"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lopez",
        "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Perez",
        "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King",
        "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Tanaka", "Müller"]
CITIES = [("Berlin", "DE"), ("Paris", "FR"), ("London", "GB"), ("Madrid", "ES"), ("Rome", "IT"),
          ("New York", "US"), ("Chicago", "US"), ("Austin", "US"), ("Seattle", "US"),
          ("Toronto", "CA"), ("Tokyo", "JP"), ("Osaka", "JP"), ("Sydney", "AU"), ("Lagos", "NG"),
          ("Nairobi", "KE"), ("Mumbai", "IN"), ("Delhi", "IN"), ("São Paulo", "BR"),
          ("Mexico City", "MX"), ("Seoul", "KR"), ("Warsaw", "PL"), ("Lisbon", "PT")]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "proton.me", "example.com", "icloud.com"]
TAGS = ["sports", "music", "travel", "cooking", "photography", "gaming", "reading", "movies",
        "hiking", "tech", "art", "fashion", "fitness", "gardening", "finance", "science"]
PLANS = ["free", "basic", "pro", "enterprise"]
LANGS = ["en", "de", "fr", "es", "it", "ja", "pt", "pl"]
STREETS = ["Main St", "Oak Ave", "Maple Rd", "Park Lane", "High St", "Elm St", "Church Rd"]


def words(rng, n):
    """A vocabulary of n pronounceable words, fixed by rng."""
    syll = ["ka", "lo", "mi", "ren", "ta", "so", "ve", "dar", "el", "in", "ro", "mu", "shi", "tor",
            "an", "be", "co", "de", "fi", "ga", "ha", "jo", "ku", "li", "ma", "ne", "pa", "ri"]
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(syll) for _ in range(rng.randint(1, 4))))
    return sorted(out)


def json_docs(n, seed=13):
    rng = random.Random(seed)
    vocab = words(rng, 3000)
    # Zipf-like word frequencies, as in real text.
    cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(vocab))))
    docs = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        user = f"{first.lower()}.{last.lower()}{rng.randint(1, 9999)}"
        y, m, d = rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28)
        doc = (
            '{"id":%d,"username":"%s","first_name":"%s","last_name":"%s","email":"%s@%s",'
            '"age":%d,"city":"%s","country":"%s","phone":"+%d %03d %04d",'
            '"signup_date":"%04d-%02d-%02dT%02d:%02d:%02dZ","last_login":%d,"is_active":%s,'
            '"plan":"%s","tags":[%s],"preferences":{"newsletter":%s,"theme":"%s","language":"%s"},'
            '"address":{"street":"%d %s","zip":"%05d"},"score":%.2f,"bio":"%s"}'
        ) % (
            100000 + i, user, first, last, user, rng.choice(DOMAINS), rng.randint(18, 90), city,
            country, rng.randint(1, 99), rng.randint(0, 999), rng.randint(0, 9999), y, m, d,
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
            1700000000 + rng.randint(0, 50000000), rng.choice(["true", "false"]),
            rng.choice(PLANS), ",".join('"%s"' % t for t in rng.sample(TAGS, rng.randint(1, 5))),
            rng.choice(["true", "false"]), rng.choice(["light", "dark", "auto"]),
            rng.choice(LANGS), rng.randint(1, 999), rng.choice(STREETS), rng.randint(0, 99999),
            rng.random() * 100, "")
        # The bio brings the document to a length drawn from 200..800.
        target = rng.randint(200, 800)
        bio = " ".join(rng.choices(vocab, cum_weights=cum, k=max(0, target - len(doc)) // 3 + 1))
        doc = doc[:-2] + bio[: max(0, target - len(doc))] + '"}'
        docs.append(doc)
    return docs


def text_docs(n, seed=14):
    rng = random.Random(seed)
    vocab = words(rng, 4000)
    # Zipf-like, as real text; cumulative once (choices() with plain weights would sum all
    # 4,000 on every call, which made generating 100,000 texts take hours).
    cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(vocab))))
    docs = []
    for _ in range(n):
        target = rng.randint(4096, 16384)
        parts = []
        size = 0
        while size < target:
            sentence = rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 18))
            s = sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ". "
            parts.append(s)
            size += len(s)
        docs.append("".join(parts)[:target])
    return docs


def load(server, docs, batch=1000):
    pipe = server.client.pipeline(transaction=False)
    for i, v in enumerate(docs):
        pipe.set(f"key:{i:012d}", v)
        if (i + 1) % batch == 0:
            pipe.execute()
    pipe.execute()


def rps(out):
    found = re.findall(r"([\d.]+) requests per second", out)
    return float(found[-1]) if found else 0.0


def cpu_ns(server):
    """CPU time the server's threads have run, in ns (/proc/<pid>/task/*/schedstat)."""
    total = 0
    task_dir = f"/proc/{server.proc.pid}/task"
    for t in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return total


def run_bench(server, args, requests):
    """Runs redis-benchmark; returns (requests per second, server CPU ns per request)."""
    before = cpu_ns(server)
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-q", "-n", str(requests),
                          "-P", "16"] + args, capture_output=True, text=True, check=True).stdout
    return rps(out), (cpu_ns(server) - before) / requests


def bench_get(server, keys, requests):
    return run_bench(server, ["-t", "get", "-r", str(keys)], requests)


def bench_set(server, keys, requests, value):
    return run_bench(server, ["-r", str(keys), "SET", "key:__rand_int__", value], requests)


def start_loaded(name, args, docs):
    """Starts one server and loads docs; returns (server, bytes per key, INFO memory)."""
    s = Server(name, args)
    try:
        before = s.used_memory()
        load(s, docs)
        assert s.client.dbsize() == len(docs)
        # A dictionary trained during the load is installed, and the values stored before it are
        # recompressed, by the cron: wait for both (the sample is freed after training).
        deadline = time.time() + 120
        while time.time() < deadline:
            info = s.client.info("memory")
            if not info.get("compression_training") and not info.get("compression_recompressing"):
                break
            time.sleep(0.2)
        return s, (s.used_memory() - before) / len(docs), s.client.info("memory")
    except BaseException:
        s.stop()
        raise


def measure(servers, docs, requests, repeat):
    """servers: [(name, args)]. Starts and loads every one, then runs the benchmarks in rounds,
    each round visiting every server in turn (so a burst of load from elsewhere on the machine
    hits all of them alike), GET rounds before SET rounds (SET overwrites the dataset). Returns
    [(bytes per key, best GET/s, best SET/s, INFO memory, least server CPU ns per GET, per SET)]
    in the order given."""
    started = []
    try:
        for name, args in servers:
            started.append(start_loaded(name, args, docs))
        gets = [(0.0, float("inf"))] * len(started)
        sets = [(0.0, float("inf"))] * len(started)

        def best(a, b):
            return max(a[0], b[0]), min(a[1], b[1])

        for _ in range(repeat):
            for i, (s, _, _) in enumerate(started):
                gets[i] = best(gets[i], bench_get(s, len(docs), requests))
        for _ in range(repeat):
            for i, (s, _, _) in enumerate(started):
                sets[i] = best(sets[i], bench_set(s, len(docs), requests, docs[len(docs) // 2]))
        return [(per_key, gets[i][0], sets[i][0], mem, gets[i][1], sets[i][1])
                for i, (_, per_key, mem) in enumerate(started)]
    finally:
        for s, _, _ in started:
            s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000, help="JSON documents")
    ap.add_argument("--text-keys", type=int, default=100000, help="texts of 4-16 KB")
    ap.add_argument("--requests", type=int, default=300000, help="per redis-benchmark run")
    ap.add_argument("--repeat", type=int, default=1,
                    help="redis-benchmark runs per measurement, the best is kept")
    ap.add_argument("--modes", default=",".join(m for m, _ in MODES),
                    help="Mnemo compression modes to measure, comma-separated")
    ap.add_argument("--datasets", default="json,text", help="json, text or both")
    ap.add_argument("--chart", help="write a bar chart of bytes per key to this PNG")
    ap.add_argument("--dump-json", metavar="FILE",
                    help="only write the JSON documents as <uint32 length><bytes> (lzf_ceiling.c, "
                         "codec_cost.c)")
    ap.add_argument("--dump-text", metavar="FILE",
                    help="only write the texts so (codec_cost.c)")
    args = ap.parse_args()
    if args.dump_json or args.dump_text:
        for path, docs in ((args.dump_json, json_docs), (args.dump_text, text_docs)):
            if not path:
                continue
            with open(path, "wb") as f:
                for d in docs(args.keys if docs is json_docs else args.text_keys):
                    b = d.encode()
                    f.write(len(b).to_bytes(4, "little") + b)
        return

    wanted = args.datasets.split(",")
    datasets = []
    if "json" in wanted:
        datasets.append(("json", f"{args.keys} JSON documents of 200-800 bytes",
                         json_docs(args.keys)))
    if "text" in wanted:
        datasets.append(("text", f"{args.text_keys} texts of 4-16 KB", text_docs(args.text_keys)))
    modes = [(m, a) for m, a in MODES if m in args.modes.split(",")]
    chart = {}
    for label, title, docs in datasets:
        avg = sum(len(d) for d in docs) / len(docs)
        print(f"\n== {title} (average {avg:.0f} bytes)")
        servers = [("redis", [])] + [("mnemo", margs) for _, margs in modes]
        measured = measure(servers, docs, args.requests, args.repeat)
        ref = measured[0]
        results = [("redis", ref)] + [(f"mnemo {m}", r) for (m, _), r in zip(modes, measured[1:])]
        rows = []
        for name, (per_key, get, set_, mem, get_cpu, set_cpu) in results:
            ratio = mem.get("compression_ratio", "")
            rows.append([name, f"{per_key:.1f}", f"{per_key / ref[0]:.3f}", f"{get:.0f}",
                         f"{get / ref[1]:.3f}", f"{set_:.0f}", f"{set_ / ref[2]:.3f}",
                         f"{get_cpu / 1000:.2f}", f"{ref[4] / get_cpu:.3f}",
                         f"{set_cpu / 1000:.2f}", f"{ref[5] / set_cpu:.3f}",
                         ratio, mem.get("compression_dictionaries", "")])
        table(rows, ["server", "bytes/key", "vs redis", "GET/s", "vs redis", "SET/s",
                     "vs redis", "us/GET", "redis/this", "us/SET", "redis/this", "value ratio",
                     "dicts"])
        chart[label] = [(name, r[0]) for name, r in results]

    if args.chart:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(chart), figsize=(5 * len(chart), 4))
        for ax, (label, bars) in zip(axes, chart.items()):
            names = [n for n, _ in bars]
            values = [v for _, v in bars]
            colors = ["#c44" if n == "redis" else "#48c" for n in names]
            ax.bar(names, values, color=colors)
            ax.set_title(f"{label}: used_memory per key")
            ax.set_ylabel("bytes per key")
            ax.tick_params(axis="x", rotation=30)
            for i, v in enumerate(values):
                ax.text(i, v, f"{v:.0f}", ha="center", va="bottom", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.chart, dpi=100)
        print(f"\nchart: {args.chart}")


if __name__ == "__main__":
    main()
