"""Load generator for JSON-lines search daemons on a Unix socket (ours and the reference).

Each client is a separate process (so the GIL does not serialise the clients) with its
own persistent connection and no pipelining: send one request line, read the answer
line, send the next.  Latency is taken around that round trip only; checking the
answer's "ok" happens after the clock stops, so JSON parsing on the client side does
not inflate the figures.

    /usr/bin/python3 Scripts/bench_load.py --socket PATH [--clients 1 8 32] [--duration 10]
"""

import argparse
import json
import multiprocessing
import socket
import sys
import time

from bench_queries import QUERY_MIX

MAX_ERROR_SAMPLES = 5


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


class LineClient:
    """One persistent connection speaking one request line, one answer line."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")

    def call(self, line):
        self.sock.sendall(line)
        return self.reader.readline()

    def close(self):
        self.reader.close()
        self.sock.close()


def encode_requests(mix):
    return [(json.dumps(dict(request, id=i), ensure_ascii=False) + "\n").encode("utf-8")
            for i, request in enumerate(mix)]


def answer_error(reply):
    """None when the answer is a well-formed line with "ok": true, else a short description."""
    if not reply:
        return "connection closed"
    try:
        answer = json.loads(reply)
    except ValueError:
        return "not JSON: " + reply[:200].decode("utf-8", "replace")
    if answer.get("ok") is not True:
        return json.dumps(answer, ensure_ascii=False)[:300]
    return None


def ping_once(path):
    """True when the daemon at path answers a ping with "ok": true."""
    try:
        client = LineClient(path, timeout=2.0)
    except OSError:
        return False
    try:
        return answer_error(client.call(b'{"id":0,"op":"ping"}\n')) is None
    except OSError:
        return False
    finally:
        client.close()


def wait_for_first_answer(path, process, started, timeout=60.0):
    """Seconds from `started` (time.monotonic) to the first successful ping; polls every 2 ms.
    Raises when the process dies or the timeout passes, since nothing else can be measured then."""
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"daemon exited with status {process.returncode} before answering")
        if ping_once(path):
            return time.monotonic() - started
        time.sleep(0.002)
    raise RuntimeError(f"no answer on {path} within {timeout} s")


def client_process(path, lines, first, duration, max_requests, go, results):
    """One client: connect, wait for the common start, then send/read until the deadline.
    Reports (mix index, latency ms) pairs, the error count and a few error descriptions."""
    latencies, errors, timeouts, samples = [], 0, 0, []
    try:
        client = LineClient(path)
    except OSError as e:
        go.wait()
        results.put((latencies, 1, [f"connect: {e}"], 0))
        return
    go.wait()
    deadline = time.monotonic() + duration
    index = first
    while time.monotonic() < deadline and len(latencies) < max_requests:
        position = index % len(lines)
        line = lines[position]
        index += 1
        started = time.perf_counter()
        try:
            reply = client.call(line)
        except OSError as e:
            reply, failure = b"", f"socket: {e}"
        else:
            failure = None
        latencies.append((position, (time.perf_counter() - started) * 1000.0))
        failure = failure or answer_error(reply)
        if failure:
            errors += 1
            if '"code": "timeout"' in failure:
                timeouts += 1
            if len(samples) < MAX_ERROR_SAMPLES:
                samples.append(f"request {line[:120].decode('utf-8', 'replace').strip()} -> {failure}")
            if not reply:
                break  # the connection is gone; counting more of the same would only hide it
    client.close()
    results.put((latencies, errors, samples, timeouts))


def run_load(path, clients, duration=10.0, max_requests=None, mix=QUERY_MIX):
    """Runs `clients` concurrent clients for `duration` seconds (or until each sent max_requests)
    and returns latency percentiles (ms), throughput and errors."""
    context = multiprocessing.get_context("fork")
    lines = encode_requests(mix)
    go = context.Event()
    results = context.Queue()
    # Clients start at different places in the mix so that concurrent requests differ.
    # Daemonic, so that they are terminated if the benchmark is interrupted mid-level.
    workers = [context.Process(target=client_process, daemon=True,
                               args=(path, lines, i * 7, duration, max_requests or float("inf"), go, results))
               for i in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(0.2)  # let every client connect before the clock starts
    started = time.monotonic()
    go.set()
    collected = [results.get() for _ in workers]
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.join()
    timed = [pair for result in collected for pair in result[0]]
    latencies = sorted(latency for _, latency in timed)
    by_query = [sorted(latency for position, latency in timed if position == i) for i in range(len(lines))]
    return {
        "clients": clients,
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "qps": round(len(latencies) / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else None,
        "errors": sum(result[1] for result in collected),
        "timeouts": sum(result[3] for result in collected),
        "error_samples": [s for result in collected for s in result[2]][:MAX_ERROR_SAMPLES],
        # Which requests of the mix are slow: the p50 of each, in mix order.
        "per_query_p50_ms": [percentile(values, 0.50) for values in by_query],
    }


def main():
    parser = argparse.ArgumentParser(description="JSON-lines load generator over a Unix socket.")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per concurrency level")
    args = parser.parse_args()
    for clients in args.clients:
        print(json.dumps(run_load(args.socket, clients, args.duration), ensure_ascii=False))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
