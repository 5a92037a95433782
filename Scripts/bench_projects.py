#!/usr/bin/env python3
"""Helpers of Scripts/bench-projects (stdlib only).

    bench_projects.py follow --corpus DIR --count K [--seed S]
        rewrites K of the corpus's documents for each of the next three years: every `20XX年`
        shifted, figures (numbers with six decimals) scaled, project codes kept; written beside
        them as <name>_next<k>.txt, so that their projects have four-year timelines.

    bench_projects.py measure --socket PATH [--lookups L] [--seed S] [--commit C]
        measures timelines, similar projects and exports over the daemon's socket and prints a table.
"""

import argparse
import json
import os
import random
import re
import socket
import statistics
import sys
import time

YEAR = re.compile(r"(20[0-9]{2})(\s*年)")
FIGURE = re.compile(r"\b([0-9]+\.[0-9]{6})\b")


def follow(args):
    names = sorted(n for n in os.listdir(args.corpus) if n.endswith(".txt") and "_next" not in n)
    chosen = random.Random(args.seed).sample(names, min(args.count, len(names)))
    for name in chosen:
        with open(os.path.join(args.corpus, name), encoding="utf-8") as f:
            text = f.read()
        for k in (1, 2, 3):
            shifted = YEAR.sub(lambda m: str(int(m.group(1)) + k) + m.group(2), text)
            scaled = FIGURE.sub(lambda m: "%.6f" % (float(m.group(1)) * (1 + 0.04 * k)), shifted)
            with open(os.path.join(args.corpus, name[:-4] + "_next%d.txt" % k), "w", encoding="utf-8") as f:
                f.write(scaled)
    print("bench-projects: %d documents followed over 3 more years" % len(chosen), file=sys.stderr)


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(600):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("bench-projects: the daemon does not answer on %s" % path)
        self.buffer = b""
        self.received = 0

    def send(self, request):
        self.sock.sendall((json.dumps(request, ensure_ascii=False) + "\n").encode())

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise SystemExit("bench-projects: the daemon closed the connection")
            self.received += len(chunk)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def request(self, request):
        self.send(request)
        return json.loads(self.line())


def percentiles(values):
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(len(ordered) * p))]
    return {"n": len(ordered), "p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1]}


def export(connection, query):
    start_bytes = connection.received
    started = time.perf_counter()
    connection.send({"op": "export", "q": query})
    rows = []
    while True:
        answer = json.loads(connection.line())
        if "row" in answer:
            rows.append(answer["row"])
            continue
        if not answer.get("ok"):
            raise SystemExit("bench-projects: export failed: %s" % answer)
        break
    seconds = time.perf_counter() - started
    megabytes = (connection.received - start_bytes) / 1e6
    return rows, {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds, "mb_per_s": megabytes / seconds}


def timed(connection, requests):
    latencies, took, lengths = [], [], []
    for request in requests:
        started = time.perf_counter()
        answer = connection.request(request)
        latencies.append((time.perf_counter() - started) * 1000)
        if not answer.get("ok"):
            raise SystemExit("bench-projects: %s failed: %s" % (request, answer))
        took.append(answer.get("took_ms", 0))
        lengths.append(len(answer.get("timeline", answer.get("similar", []))))
    return percentiles(latencies), statistics.median(took), lengths


def measure(args):
    connection = Connection(args.socket)
    connection.request({"op": "ping"})
    stats = connection.request({"op": "stats"})
    projects, project_export = export(connection, "type:project")
    _, full_export = export(connection, "")
    rng = random.Random(args.seed)
    codes = sorted({row["project_code"] for row in projects if row["project_code"]})
    followed = sorted({row["project_code"] for row in projects if row["project_code"] and "_next" in row["file"]})
    named = sorted({(row["title"], row["district"]) for row in projects if not row["project_code"] and row["district"]})
    code_sample = [rng.choice(codes) for _ in range(args.lookups)] if codes else []
    followed_sample = [rng.choice(followed) for _ in range(args.lookups)] if followed else []
    name_sample = [rng.choice(named) for _ in range(args.lookups)] if named else []
    similar_sample = [rng.choice(projects)["id"] for _ in range(min(100, args.lookups))]

    # Warm up: the first name lookup builds the name index of the revision.
    if name_sample:
        connection.request({"op": "project", "name": name_sample[0][0], "district": name_sample[0][1]})
    results = []
    if code_sample:
        results.append(("timeline by code (any project)",) + timed(connection, [{"op": "project", "code": c} for c in code_sample]))
    if followed_sample:
        results.append(("timeline by code (4-year projects)",) + timed(connection, [{"op": "project", "code": c} for c in followed_sample]))
    if name_sample:
        results.append(("timeline by name and district",) + timed(connection, [{"op": "project", "name": n, "district": d} for n, d in name_sample]))
    results.append(("similar projects",) + timed(connection, [{"op": "similar", "id": i} for i in similar_sample]))

    print("gongkai %s: %d documents, %d records, %d projects (%d codes, %d followed over 4 years)" % (
        args.commit, stats["documents"], stats["records"], len(projects), len(codes), len(followed)))
    print()
    print("%-36s %6s %8s %8s %8s %8s %10s %8s" % ("request", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "took p50", "entries"))
    for name, latency, took, lengths in results:
        print("%-36s %6d %8.2f %8.2f %8.2f %8.2f %10.2f %8.1f" % (
            name, latency["n"], latency["p50"], latency["p90"], latency["p99"], latency["max"], took, statistics.mean(lengths)))
    print()
    print("%-36s %8s %10s %10s %8s" % ("export", "rows", "seconds", "rows/s", "MB/s"))
    for name, figures in (("type:project", project_export), ("every record", full_export)):
        print("%-36s %8d %10.2f %10.0f %8.1f" % (name, figures["rows"], figures["seconds"], figures["rows_per_s"], figures["mb_per_s"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    f = commands.add_parser("follow")
    f.add_argument("--corpus", required=True)
    f.add_argument("--count", type=int, default=50)
    f.add_argument("--seed", type=int, default=1)
    m = commands.add_parser("measure")
    m.add_argument("--socket", required=True)
    m.add_argument("--lookups", type=int, default=500)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--commit", default="unknown")
    args = parser.parse_args()
    follow(args) if args.command == "follow" else measure(args)


if __name__ == "__main__":
    main()
