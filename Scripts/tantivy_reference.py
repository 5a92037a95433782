#!/usr/bin/env python3
"""A second yardstick for Scripts/bench: tantivy (PyPI `tantivy`, run from the virtual
environment Scripts/bench makes) over the same passages as reference_pipeline.py.

    tantivy_reference.py index --corpus DIR --db DIR [--limit-docs K] [--report FILE]
    tantivy_reference.py query --db DIR [--duration S] [--report FILE]
    tantivy_reference.py serve --db DIR --socket PATH

What a strong engine does with Gongkai's contract of exact substring recall: every text is
indexed as overlapping character bigrams with positions (pre-tokenised), a two-character query
is one term and a longer one the phrase of its bigrams, so a passage matches exactly when it
contains the query's text.  District and year facets are exact, from tantivy's terms
aggregation.  It speaks the daemon's JSON-lines protocol for what the side-by-side mix asks:
words (AND), `district` filters, and the district and year facets.
"""

import argparse
import json
import os
import socketserver
import sys
import time

import tantivy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_pipeline import ThreadedServer, canonical_district, corpus_files, infer_document, write_report  # noqa: E402

FACET_SIZE = 1000  # terms aggregation buckets: more than any facet here has values


def schema():
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, index_option="position")
    builder.add_text_field("text", stored=True, index_option="basic")
    builder.add_text_field("file", stored=True, tokenizer_name="raw")
    builder.add_integer_field("line", stored=True)
    builder.add_text_field("district", stored=True, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", stored=True, fast=True, indexed=True)
    return builder.build()


def squeeze(text):
    return "".join(text.split())


def bigrams(text):
    """Overlapping character pairs of the text without whitespace, at consecutive positions."""
    s = squeeze(text)
    if len(s) == 1:
        return [tantivy.Token(s, 0, 0, 1)]
    return [tantivy.Token(s[i:i + 2], i, i, i + 2) for i in range(len(s) - 1)]


def index_corpus(args):
    started = time.monotonic()
    os.makedirs(args.db, exist_ok=True)
    index = tantivy.Index(schema(), path=args.db)
    writer = index.writer(heap_size=200_000_000, num_threads=max(1, os.cpu_count() or 1))
    files = corpus_files(args.corpus, args.limit_docs)
    total_bytes = records = 0
    for path in files:
        with open(path, "rb") as f:
            raw = f.read()
        total_bytes += len(raw)
        text = raw.decode("utf-8", "replace")
        info = infer_document(text)
        name = os.path.basename(path)
        for number, line in enumerate(text.split("\n"), 1):
            line = line.strip()
            if not line:
                continue
            doc = tantivy.Document()
            doc.add_pre_tokenized_text("body", tantivy.PreTokenizedString(squeeze(line), bigrams(line)))
            doc.add_text("text", line[:300])
            doc.add_text("file", name)
            doc.add_integer("line", number)
            if info["district"]:
                doc.add_text("district", info["district"])
            if info["year"]:
                doc.add_integer("year", int(info["year"]))
            writer.add_document(doc)
            records += 1
    writer.commit()
    writer.wait_merging_threads()
    write_report({"documents": len(files), "bytes": total_bytes, "records": records,
                  "seconds": round(time.monotonic() - started, 3)}, args.report)


class Searcher:
    def __init__(self, db):
        self.index = tantivy.Index.open(db)
        self.schema = self.index.schema

    def word_query(self, word):
        s = squeeze(word)
        if len(s) < 2:
            return None
        if len(s) == 2:
            return tantivy.Query.term_query(self.schema, "body", s)
        return tantivy.Query.phrase_query(self.schema, "body", [s[i:i + 2] for i in range(len(s) - 1)])

    def translate(self, request):
        clauses = []
        for word in (request.get("q") or "").split():
            if word.startswith("district:"):
                clauses.append(tantivy.Query.term_query(self.schema, "district", canonical_district(word[9:])))
                continue
            query = self.word_query(word.strip('"'))
            if query is not None:
                clauses.append(query)
        for district in (request.get("filters") or {}).get("district", []):
            clauses.append(tantivy.Query.term_query(self.schema, "district", canonical_district(district)))
        if not clauses:
            return tantivy.Query.all_query()
        if len(clauses) == 1:
            return clauses[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in clauses])

    def answer(self, request):
        op = request.get("op")
        if op == "ping":
            return {"id": request.get("id"), "ok": True}
        started = time.perf_counter()
        searcher = self.index.searcher()
        query = self.translate(request)
        result = searcher.search(query, int(request.get("limit", 10)), count=True, offset=int(request.get("offset", 0)))
        hits = []
        for _, address in result.hits:
            doc = searcher.doc(address).to_dict()
            hits.append({key: values[0] for key, values in doc.items()})
        facets = {}
        wanted = [f for f in request.get("facets") or [] if f in ("district", "year")]
        if wanted:
            aggregation = searcher.aggregate(query, {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in wanted})
            for name in wanted:
                facets[name] = [{"value": bucket["key"], "count": bucket["doc_count"]}
                                for bucket in aggregation[name]["buckets"]]
        return {"id": request.get("id"), "ok": True, "total": result.count, "hits": hits, "facets": facets,
                "took_ms": round((time.perf_counter() - started) * 1000, 3)}


def query_in_process(args):
    from bench_queries import SIDE_BY_SIDE_MIXES
    searcher = Searcher(args.db)
    report = {}
    for mode, mix in SIDE_BY_SIDE_MIXES.items():
        for request in mix:
            searcher.answer(request)  # warm up
        latencies = []
        deadline = time.monotonic() + args.duration
        i = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            searcher.answer(dict(mix[i % len(mix)], id=i))
            latencies.append((time.perf_counter() - started) * 1000)
            i += 1
        latencies.sort()
        report[mode] = {"requests": len(latencies), "p50_ms": latencies[len(latencies) // 2],
                        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}
    write_report(report, args.report)


class ConnectionHandler(socketserver.StreamRequestHandler):
    """One thread per connection, all sharing the server's searcher."""

    def handle(self):
        searcher = self.server.searcher
        for line in self.rfile:
            try:
                answer = searcher.answer(json.loads(line))
            except Exception as e:  # a bad request must not kill the connection
                answer = {"ok": False, "error": {"code": "bad_request", "message": str(e)}}
            self.wfile.write((json.dumps(answer, ensure_ascii=False) + "\n").encode("utf-8"))


def serve(args):
    if os.path.exists(args.socket):
        os.remove(args.socket)
    server = ThreadedServer(args.socket, ConnectionHandler)
    # tantivy's searchers are thread-safe and release the GIL while searching: one is shared.
    server.searcher = Searcher(args.db)
    print("serving", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        os.remove(args.socket)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index")
    index.add_argument("--corpus", required=True)
    index.add_argument("--db", required=True)
    index.add_argument("--limit-docs", type=int, default=0)
    index.add_argument("--report")
    query = commands.add_parser("query")
    query.add_argument("--db", required=True)
    query.add_argument("--duration", type=float, default=5.0)
    query.add_argument("--report")
    server = commands.add_parser("serve")
    server.add_argument("--db", required=True)
    server.add_argument("--socket", required=True)
    args = parser.parse_args()
    {"index": index_corpus, "query": query_in_process, "serve": serve}[args.command](args)


if __name__ == "__main__":
    main()
