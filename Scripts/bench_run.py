"""Measurements behind Scripts/bench: ours (gongkai) and the reference pipeline, same corpus,
same machine, same run.  Prints one table and writes the same figures as JSON.

Called by Scripts/bench, which installs packages, builds and generates the corpus; run
with Debian's /usr/bin/python3 (python3-xapian).  Every daemon started here is recorded
in <work>/daemons.pid so that the shell's exit trap can stop it even if this dies.
"""

import argparse
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time

import xapian

from bench_load import run_load, wait_for_first_answer
from bench_queries import ALL_FACETS, QUERY_MIX, SIDE_BY_SIDE_MIXES

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "reference_pipeline.py")
TANTIVY = os.path.join(HERE, "tantivy_reference.py")

# Targets from issue 15, all judged on fresh queries (result cache off).
TARGET_SIDE_BY_SIDE_RATIO = 5.0  # vs the naive reference at 8 clients: p50, p99 5x lower, q/s 5x higher
TARGET_CLIENTS = 8
TARGET_FULL_MIX_P50_MS = 5.0     # 2,000 documents, full mix, 1 client
TARGET_FULL_MIX_P99_MS = 50.0
TARGET_FULL_MIX_QPS = 400.0      # at 8 clients
TARGET_LARGE_P99_MS = 200.0      # 10,000 documents, 1 client
TARGET_REGRESSION = 0.10         # indexing MB/s and database size within 10% of the baseline build
TARGET_RSS_MB = 200.0            # daemon RSS after the run
TARGET_FIRST_ANSWER_MS = 200.0   # from exec to the first successful ping


# ---------------------------------------------------------------- processes and measurements

def timed(command, work, label):
    """Runs command under GNU time; returns (wall seconds, CPU seconds, peak RSS in MB, stdout).
    CPU seconds (user + system) matter on shared machines, where wall time includes waiting."""
    time_file = os.path.join(work, label + ".time")
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-v", "-o", time_file] + command,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"bench: {label} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    with open(time_file) as f:
        report = f.read()
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", report))
    return wall, cpu, peak_kb / 1024, result.stdout


def disk_usage_mb(path):
    blocks = sum(os.stat(os.path.join(root, n)).st_blocks for root, _, names in os.walk(path) for n in names)
    return blocks * 512 / 1e6


def corpus_bytes(files):
    return sum(os.path.getsize(f) for f in files)


def corpus_files(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".txt"))


def doccount(db):
    return xapian.Database(db).get_doccount()


def start_daemon(command, socket_path, work, label):
    """Starts a daemon, records its pid for the exit trap, and measures exec → first answer."""
    if os.path.exists(socket_path):
        os.remove(socket_path)
    log = open(os.path.join(work, label + ".log"), "w")
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(work, "daemons.pid"), "a") as f:
        f.write(f"{process.pid}\n")
    first_answer = wait_for_first_answer(socket_path, process, started)
    return process, first_answer * 1000


def stop_daemon(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def memory_mb(pid):
    """VmRSS, VmHWM (peak) and VmRSS's parts of a live process, in MB: anonymous memory, and
    file pages mapped (the side store's; Xapian reads its tables with pread, so its page cache
    is in no process's RSS)."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {name: int(fields[key].split()[0]) / 1024 for name, key in
            (("rss_mb", "VmRSS"), ("peak_mb", "VmHWM"), ("anon_mb", "RssAnon"), ("file_mb", "RssFile"))}


def serve_and_load(command, socket_path, work, label, clients, duration, mix=QUERY_MIX):
    """Starts a daemon, warms it with one pass of the mix, runs each concurrency level, stops it."""
    process, first_answer_ms = start_daemon(command, socket_path, work, label)
    try:
        warm_up = run_load(socket_path, 1, duration=600, max_requests=len(mix), mix=mix)  # not reported
        for sample in warm_up["error_samples"]:
            print(f"    warm-up error: {sample}", flush=True)
        levels = []
        for count in clients:
            level = run_load(socket_path, count, duration, mix=mix)
            levels.append(level)
            print(f"  {label}: {count} clients: {level['requests']} requests, p50 {level['p50_ms']:.3f} ms, "
                  f"p99 {level['p99_ms']:.3f} ms, {level['qps']} q/s, {level['errors']} errors", flush=True)
            for sample in level["error_samples"]:
                print(f"    error: {sample}", flush=True)
        memory = memory_mb(process.pid)
    finally:
        stop_daemon(process)
    return {"first_answer_ms": first_answer_ms, "levels": levels, **memory}


# ---------------------------------------------------------------- the two pipelines

def index_ours(binary, corpus, work, label="ours"):
    db = os.path.join(work, label + ".db")
    subprocess.run(["rm", "-rf", db], check=True)
    wall, cpu, peak, output = timed([binary, "index", "--db", db, corpus], work, label + "-index")
    records = doccount(db)
    source = corpus_bytes(corpus_files(corpus))
    return db, {"seconds": wall, "cpu_seconds": cpu, "bytes": source, "mb_per_s": source / 1e6 / wall,
                "mb_per_cpu_s": source / 1e6 / cpu, "records": records,
                "records_per_s": records / wall, "peak_rss_mb": peak, "db_mb": disk_usage_mb(db),
                "summary": output.strip()}


def serve_ours(binary, databases, work, clients, duration, label, cache=True, mix=QUERY_MIX):
    """Serves one database, or several as shards (--shard each), with or without the result cache.

    The mix repeats ~20 requests, so with the cache on nearly every answer after the warm-up is
    a cache hit: that run shows a repeated workload, the run without it shows searching."""
    socket_path = os.path.join(work, "ours.sock")
    command = [binary, "serve", "--socket", socket_path]
    if len(databases) == 1:
        command += ["--db", databases[0]]
    else:
        for db in databases:
            command += ["--shard", db]
    if not cache:
        command += ["--cache-entries", "0"]
    return serve_and_load(command, socket_path, work, label, clients, duration, mix)


def index_shards(binary, corpus, work, count):
    """Splits the corpus round-robin into `count` folders (symlinks) and indexes each into its own
    database: `count` local shards of the same corpus."""
    files = corpus_files(corpus)
    databases = []
    for shard in range(count):
        folder = os.path.join(work, f"shard{shard}.corpus")
        subprocess.run(["rm", "-rf", folder], check=True)
        os.makedirs(folder)
        for path in files[shard::count]:
            os.symlink(path, os.path.join(folder, os.path.basename(path)))
        db = os.path.join(work, f"ours.shard{shard}.db")
        subprocess.run(["rm", "-rf", db], check=True)
        subprocess.run([binary, "index", "--db", db, folder], check=True, stdout=subprocess.DEVNULL)
        databases.append(db)
    return databases


def index_reference(corpus, work, limit):
    db = os.path.join(work, "reference.db")
    report = os.path.join(work, "reference-index.json")
    subprocess.run(["rm", "-rf", db], check=True)
    wall, cpu, peak, _ = timed([sys.executable, REFERENCE, "index", "--corpus", corpus, "--db", db,
                           "--limit-docs", str(limit), "--report", report], work, "reference-index")
    with open(report) as f:
        inner = json.load(f)
    return db, {"seconds": wall, "cpu_seconds": cpu, "documents": inner["documents"], "bytes": inner["bytes"],
                "mb_per_s": inner["bytes"] / 1e6 / wall, "mb_per_cpu_s": inner["bytes"] / 1e6 / cpu,
                "records": inner["records"],
                "records_per_s": inner["records"] / wall, "peak_rss_mb": peak, "db_mb": disk_usage_mb(db)}


def query_reference_in_process(db, work, duration):
    report = os.path.join(work, "reference-query.json")
    subprocess.run([sys.executable, REFERENCE, "query", "--db", db, "--duration", str(duration),
                    "--report", report], check=True, stdout=subprocess.DEVNULL)
    with open(report) as f:
        return json.load(f)


def serve_reference(db, work, clients, duration, mix=QUERY_MIX, label="reference"):
    socket_path = os.path.join(work, "reference.sock")
    return serve_and_load([sys.executable, REFERENCE, "serve", "--db", db, "--socket", socket_path],
                          socket_path, work, label, clients, duration, mix)


def index_tantivy(python, corpus, work, limit):
    db = os.path.join(work, "tantivy.db")
    report = os.path.join(work, "tantivy-index.json")
    subprocess.run(["rm", "-rf", db], check=True)
    wall, cpu, peak, _ = timed([python, TANTIVY, "index", "--corpus", corpus, "--db", db,
                                "--limit-docs", str(limit), "--report", report], work, "tantivy-index")
    with open(report) as f:
        inner = json.load(f)
    return db, {"seconds": wall, "cpu_seconds": cpu, "documents": inner["documents"], "bytes": inner["bytes"],
                "mb_per_s": inner["bytes"] / 1e6 / wall, "records": inner["records"], "peak_rss_mb": peak,
                "db_mb": disk_usage_mb(db)}


def query_tantivy_in_process(python, db, work, duration):
    report = os.path.join(work, "tantivy-query.json")
    subprocess.run([python, TANTIVY, "query", "--db", db, "--duration", str(duration), "--report", report],
                   check=True, stdout=subprocess.DEVNULL)
    with open(report) as f:
        return json.load(f)


def side_by_side(binary, ours_db, ref_db, tantivy_python, tantivy_db, work, clients, duration):
    """Each side-by-side mix at each client count: ours without the cache, the naive reference,
    tantivy; one after another on the same machine with the same load client."""
    out = {}
    for mode, mix in SIDE_BY_SIDE_MIXES.items():
        print(f"bench: side by side, {mode}", flush=True)
        entry = {"ours": serve_ours(binary, [ours_db], work, clients, duration, f"ours ({mode})", cache=False, mix=mix),
                 "reference": serve_reference(ref_db, work, clients, duration, mix, f"reference ({mode})")}
        if tantivy_db:
            socket_path = os.path.join(work, "tantivy.sock")
            entry["tantivy"] = serve_and_load([tantivy_python, TANTIVY, "serve", "--db", tantivy_db, "--socket", socket_path],
                                              socket_path, work, f"tantivy ({mode})", clients, duration, mix)
        out[mode] = entry
    return out


# ---------------------------------------------------------------- report

def level(serving, clients):
    return next((l for l in serving["levels"] if l["clients"] == clients), None)


def targets(results):
    """[(name, measured, limit text, pass)] for issue 15's targets, fresh queries only."""
    ours, meta = results["ours"], results["meta"]
    rows = []
    fresh = ours["serve_uncached"]
    one, eight, many = level(fresh, 1), level(fresh, TARGET_CLIENTS), level(fresh, 32)
    large = meta["docs"] >= 10000
    if one and not large:
        rows.append(("full mix p50, 1 client", f"{one['p50_ms']:.2f} ms", f"<= {TARGET_FULL_MIX_P50_MS:g} ms",
                     one["p50_ms"] <= TARGET_FULL_MIX_P50_MS))
        rows.append(("full mix p99, 1 client", f"{one['p99_ms']:.2f} ms", f"<= {TARGET_FULL_MIX_P99_MS:g} ms",
                     one["p99_ms"] <= TARGET_FULL_MIX_P99_MS))
    if eight and not large:
        rows.append((f"full mix q/s, {TARGET_CLIENTS} clients", f"{eight['qps']:.0f}", f">= {TARGET_FULL_MIX_QPS:g}",
                     eight["qps"] >= TARGET_FULL_MIX_QPS))
    if one and large:
        rows.append(("full mix p99, 1 client", f"{one['p99_ms']:.2f} ms", f"<= {TARGET_LARGE_P99_MS:g} ms",
                     one["p99_ms"] <= TARGET_LARGE_P99_MS))
    if many:
        timeouts = many.get("timeouts", 0)
        rows.append(("timeouts at 32 clients", str(timeouts), "0", timeouts == 0))
    for mode, entry in results.get("side_by_side", {}).items():
        o, r, t = level(entry["ours"], TARGET_CLIENTS), level(entry["reference"], TARGET_CLIENTS), None
        if "tantivy" in entry:
            t = level(entry["tantivy"], TARGET_CLIENTS)
        if o and r:
            for key, better in (("p50_ms", "lower"), ("p99_ms", "lower"), ("qps", "higher")):
                ratio_value = r[key] / o[key] if better == "lower" else o[key] / r[key]
                rows.append((f"{mode}: {key} vs reference", f"{ratio_value:.1f}x", f">= {TARGET_SIDE_BY_SIDE_RATIO:g}x",
                             ratio_value >= TARGET_SIDE_BY_SIDE_RATIO))
        if o and t:
            rows.append((f"{mode}: p50 vs tantivy", f"{o['p50_ms']:.2f} / {t['p50_ms']:.2f} ms", "ours lower",
                         o["p50_ms"] < t["p50_ms"]))
            rows.append((f"{mode}: q/s vs tantivy", f"{o['qps']:.0f} / {t['qps']:.0f}", "ours higher", o["qps"] > t["qps"]))
    baseline = ours.get("baseline_index")
    if baseline:
        speed = ours["index"]["mb_per_s"] / baseline["mb_per_s"]
        size = ours["index"]["db_mb"] / baseline["db_mb"]
        rows.append(("indexing MB/s vs baseline build", f"{speed:.2f}x", f">= {1 - TARGET_REGRESSION:.2f}x",
                     speed >= 1 - TARGET_REGRESSION))
        rows.append(("database size vs baseline build", f"{size:.2f}x", f"<= {1 + TARGET_REGRESSION:.2f}x",
                     size <= 1 + TARGET_REGRESSION))
    rows += [
        ("first answer after start", f"{ours['serve']['first_answer_ms']:.0f} ms", f"<= {TARGET_FIRST_ANSWER_MS:g} ms",
         ours["serve"]["first_answer_ms"] <= TARGET_FIRST_ANSWER_MS),
        ("daemon RSS after run (no cache)",
         f"{fresh['rss_mb']:.0f} MB ({fresh.get('anon_mb', 0):.0f} anonymous, {fresh.get('file_mb', 0):.0f} mapped files)",
         f"<= {TARGET_RSS_MB:g} MB", fresh["rss_mb"] <= TARGET_RSS_MB),
    ]
    return [{"target": n, "measured": m, "limit": l, "pass": p} for n, m, l, p in rows]


def side_by_side_lines(results):
    lines = []
    for mode, entry in results.get("side_by_side", {}).items():
        lines += ["", f"Side by side, {mode} (12 project names, half in 西城区; fresh: result cache off)"]
        row = "  {:<12} {:>22} {:>22} {:>22}"
        lines.append(row.format("clients", "ours p50/p99, q/s", "reference", "tantivy"))
        for ol in entry["ours"]["levels"]:
            cells = []
            for engine in ("ours", "reference", "tantivy"):
                l = level(entry[engine], ol["clients"]) if engine in entry else None
                cells.append(f"{l['p50_ms']:.2f}/{l['p99_ms']:.1f} ms, {l['qps']:.0f}" if l else "-")
            lines.append(row.format(str(ol["clients"]), *cells))
    tq = results.get("tantivy", {}).get("in_process")
    if tq:
        lines.append("  tantivy in-process, 1 client: " + ", ".join(f"{m} p50 {v['p50_ms']:.3f} ms" for m, v in tq.items()))
    return lines


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}x" if numerator and denominator else "-"


def per_query_lines(ours_serve, ref_serve):
    """p50 of each request of the mix at 1 client, to show which requests are slow."""
    ours_level, ref_level = level(ours_serve, 1), level(ref_serve, 1) or {}
    if not ours_level:
        return []
    lines = ["Per request of the mix, p50 at 1 client (ms):  ours without the cache / reference"]
    ref_values = ref_level.get("per_query_p50_ms") or [None] * len(QUERY_MIX)
    for request, ours_ms, ref_ms in zip(QUERY_MIX, ours_level["per_query_p50_ms"], ref_values):
        shown = {k: v for k, v in request.items() if k != "op"}
        if shown.get("facets") == ALL_FACETS:
            shown["facets"] = "all"
        lines.append(f"  {fmt(ours_ms, 3):>9} / {fmt(ref_ms, 3):>9}  {json.dumps(shown, ensure_ascii=False)}")
    return lines


def table(results):
    meta, ours, ref = results["meta"], results["ours"], results["reference"]
    lines = [
        f"Gongkai benchmark: {meta['docs']} docs (seed {meta['seed']}), {meta['corpus_mb']:.1f} MB of text, "
        f"{meta['cores']} cores, load {meta['loadavg_start']}, {meta['started']}, commit {meta['commit']}",
    ]
    if ref["index"]["documents"] < meta["docs"]:
        lines.append(f"NOTE: the reference indexed only the first {ref['index']['documents']} of {meta['docs']} "
                     f"documents ({ref['index']['bytes'] / 1e6:.1f} MB); its MB/s and records/s are comparable, "
                     f"its query latencies are over that smaller index.")
    row = "{:<36} {:>14} {:>14} {:>14}"
    lines += ["", row.format("", "ours", "reference", "ratio"), "Indexing"]
    oi, ri = ours["index"], ref["index"]
    for label, key, digits in (("  wall time (s)", "seconds", 1), ("  CPU time, user+sys (s)", "cpu_seconds", 1),
                               ("  MB/s of source text", "mb_per_s", 3), ("  MB per CPU-second", "mb_per_cpu_s", 3),
                               ("  records", "records", 0), ("  records/s", "records_per_s", 0),
                               ("  peak RSS (MB)", "peak_rss_mb", 1), ("  database size (MB)", "db_mb", 1)):
        shown_ratio = ratio(oi[key], ri[key]) + " o/r" if key in ("mb_per_s", "mb_per_cpu_s", "records_per_s") else ""
        lines.append(row.format(label, fmt(oi[key], digits), fmt(ri[key], digits), shown_ratio))
    lines.append("Queries over the socket (JSON lines, facets on most)")
    lines.append(row.format("  first answer after start (ms)", fmt(ours["serve"]["first_answer_ms"], 0),
                            fmt(ref["serve"]["first_answer_ms"], 0), ""))
    for ol in ours["serve"]["levels"]:
        rl = level(ref["serve"], ol["clients"]) or {}
        n = ol["clients"]
        lines.append(row.format(f"  {n} client{'s' if n > 1 else ''}: p50 (ms)", fmt(ol["p50_ms"], 3),
                                fmt(rl.get("p50_ms"), 3), ratio(rl.get("p50_ms"), ol["p50_ms"]) + " r/o"))
        lines.append(row.format("             p99 (ms)", fmt(ol["p99_ms"], 3), fmt(rl.get("p99_ms"), 3),
                                ratio(rl.get("p99_ms"), ol["p99_ms"]) + " r/o"))
        lines.append(row.format("             q/s", fmt(ol["qps"], 0), fmt(rl.get("qps"), 0),
                                ratio(ol["qps"], rl.get("qps")) + " o/r"))
        lines.append(row.format("             requests / errors", f"{ol['requests']}/{ol['errors']}",
                                f"{rl.get('requests', 0)}/{rl.get('errors', 0)}", ""))
    for key, title in (("serve_uncached", "ours without the result cache (reference has none)"),
                       ("serve_shards", f"ours, {meta.get('shards', 1)} local shards, no cache")):
        if key not in ours:
            continue
        lines.append(f"  {title}:")
        for ol in ours[key]["levels"]:
            rl = level(ref["serve"], ol["clients"]) or {}
            lines.append(row.format(f"    {ol['clients']} clients: p50 / p99 (ms)", f"{fmt(ol['p50_ms'], 3)} / {fmt(ol['p99_ms'], 1)}",
                                    f"{fmt(rl.get('p50_ms'), 3)} / {fmt(rl.get('p99_ms'), 1)}",
                                    ratio(rl.get("p50_ms"), ol["p50_ms"]) + " r/o"))
            lines.append(row.format("             q/s, errors", f"{fmt(ol['qps'], 0)}, {ol['errors']}",
                                    fmt(rl.get("qps"), 0), ratio(ol["qps"], rl.get("qps")) + " o/r"))
    lines.append(row.format("  daemon RSS after run (MB)", fmt(ours["serve"]["rss_mb"], 1),
                            fmt(ref["serve"]["rss_mb"], 1), ""))
    lines.append(row.format("  daemon peak RSS VmHWM (MB)", fmt(ours["serve"]["peak_mb"], 1),
                            fmt(ref["serve"]["peak_mb"], 1), ""))
    lines.append(row.format("    of RSS: anonymous / mapped files (MB)",
                            f"{fmt(ours['serve'].get('anon_mb'), 1)} / {fmt(ours['serve'].get('file_mb'), 1)}",
                            f"{fmt(ref['serve'].get('anon_mb'), 1)} / {fmt(ref['serve'].get('file_mb'), 1)}", ""))
    rq = ref["in_process"]
    lines.append(f"Reference in-process, 1 client: p50 {rq['p50_ms']:.3f} ms, p99 {rq['p99_ms']:.3f} ms "
                 f"over {rq['requests']} requests; it ignores (per pass of the mix): "
                 + ", ".join(f"{k} x{v}" for k, v in rq["ignored_per_mix"].items()))
    lines += per_query_lines(ours["serve_uncached"], ref["serve"])
    lines += side_by_side_lines(results)
    if "tantivy" in results:
        ti = results["tantivy"]["index"]
        lines.append(f"  tantivy indexing: {ti['mb_per_s']:.2f} MB/s, {ti['records']} records, {ti['db_mb']:.0f} MB")
    if "baseline_index" in ours:
        bi = ours["baseline_index"]
        lines.append(f"  baseline build indexing: {bi['mb_per_s']:.3f} MB/s, {bi['db_mb']:.0f} MB (ours {oi['mb_per_s']:.3f} MB/s, "
                     f"{oi['db_mb']:.0f} MB)")
    lines += ["", "Targets (issue 15; fresh queries)"]
    for t in results["targets"]:
        lines.append(f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']:<30} {t['measured']:>20}  (target {t['limit']})")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    # SIGTERM (from Scripts/bench's trap) must unwind like Ctrl-C, so that `finally` stops the
    # daemon and multiprocessing ends the load clients.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the release gongkai binary")
    parser.add_argument("--corpus", required=True, help="folder of generated documents")
    parser.add_argument("--work", required=True, help="scratch folder for databases, sockets, logs")
    parser.add_argument("--out", required=True, help="JSON results file")
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per concurrency level")
    parser.add_argument("--reference-docs", type=int, default=0, help="cap on the reference's documents (0: all)")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--baseline-binary", help="an earlier gongkai build: indexes the corpus too, for the regression targets")
    parser.add_argument("--tantivy-python", help="python with PyPI's tantivy (Scripts/bench makes a virtual environment)")
    parser.add_argument("--side-by-side-clients", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    files = corpus_files(args.corpus)
    results = {"meta": {
        "docs": args.docs, "seed": args.seed, "files": len(files), "corpus_mb": corpus_bytes(files) / 1e6,
        "cores": os.cpu_count(), "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "started": datetime.datetime.now().isoformat(timespec="seconds"), "commit": args.commit,
        "host": platform.node(), "clients": args.clients, "duration_s": args.duration,
        "query_mix": QUERY_MIX, "shards": args.shards,
    }}
    print(f"bench: indexing {len(files)} documents with gongkai", flush=True)
    ours_db, ours_index = index_ours(args.binary, args.corpus, args.work)
    print(f"bench: {ours_index['summary']}", flush=True)
    print("bench: serving with gongkai", flush=True)
    results["ours"] = {"index": ours_index}
    results["ours"]["serve"] = serve_ours(args.binary, [ours_db], args.work, args.clients, args.duration, "ours")
    print("bench: serving with gongkai, result cache off", flush=True)
    results["ours"]["serve_uncached"] = serve_ours(args.binary, [ours_db], args.work, args.clients, args.duration,
                                                   "ours, no cache", cache=False)
    if args.shards > 1:
        # Shards of the same corpus, indexed separately (not timed), searched as one.
        print(f"bench: indexing {args.shards} shards, then serving them as one", flush=True)
        shards = index_shards(args.binary, args.corpus, args.work, args.shards)
        results["ours"]["serve_shards"] = serve_ours(args.binary, shards, args.work, args.clients, args.duration,
                                                     f"ours, {args.shards} shards, no cache", cache=False)

    print("bench: indexing with the reference pipeline", flush=True)
    ref_db, ref_index = index_reference(args.corpus, args.work, args.reference_docs)
    print("bench: reference queries in-process", flush=True)
    ref_in_process = query_reference_in_process(ref_db, args.work, args.duration)
    print("bench: serving with the reference pipeline", flush=True)
    ref_serve = serve_reference(ref_db, args.work, args.clients, args.duration)
    results["reference"] = {"index": ref_index, "in_process": ref_in_process, "serve": ref_serve}

    if args.baseline_binary:
        print("bench: indexing with the baseline build", flush=True)
        base_db, results["ours"]["baseline_index"] = index_ours(args.baseline_binary, args.corpus, args.work, "baseline")
        subprocess.run(["rm", "-rf", base_db], check=True)
    tantivy_db = None
    if args.tantivy_python:
        print("bench: indexing with tantivy", flush=True)
        tantivy_db, tantivy_index = index_tantivy(args.tantivy_python, args.corpus, args.work, args.reference_docs)
        results["tantivy"] = {"index": tantivy_index,
                              "in_process": query_tantivy_in_process(args.tantivy_python, tantivy_db, args.work, 5)}
    results["side_by_side"] = side_by_side(args.binary, ours_db, ref_db, args.tantivy_python, tantivy_db, args.work,
                                           args.side_by_side_clients, args.duration)

    results["targets"] = targets(results)
    text = table(results)
    results["table"] = text
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    print()
    print(text)
    print(f"\nresults: {args.out}")


if __name__ == "__main__":
    main()
