#!/usr/bin/python3
"""Reference pipeline: what a researcher would script with Debian's python3-xapian and python3-jieba.

    reference_pipeline.py index --corpus DIR --db DIR [--limit-docs K] [--report FILE]
    reference_pipeline.py query --db DIR [--duration S] [--report FILE]
    reference_pipeline.py serve --db DIR --socket PATH

It is deliberately naive, as the yardstick for Gongkai: one passage per non-empty
line, district/year/kind guessed with simple regexes, jieba `cut_for_search` terms
with positions, boolean filter terms and value slots for facets.  Queries speak the
same JSON-lines protocol as `gongkai serve` but understand only part of the query
language: words (AND), "phrases" (as AND), OR, -word/NOT, and district/year/kind/type
filters.  Everything else (code:, amount:, department:, project:, unit:, sort) is
ignored and counted, which the benchmark report says next to the figures.
"""

import argparse
import collections
import json
import logging
import os
import re
import socketserver
import sys
import time

import jieba
import xapian

DISTRICTS = ["东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
             "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"]

# Value slots (facets) and boolean prefixes (filters).
SLOTS = {"district": 0, "year": 1, "kind": 2, "department": 3, "type": 4}
PREFIXES = {"district": "XD", "year": "XY", "kind": "XK", "type": "XT"}
MAX_TERM_BYTES = 200  # Xapian refuses terms over ~245 bytes

YEAR_RE = re.compile(r"(20\d\d) ?年")
DEPARTMENT_RE = re.compile(r"北京市(?:" + "|".join(DISTRICTS) + r")[^\s\d，。：:（(、“\"]{2,20}?(?=\d|\s|（|\(|$|部门|年)")
PUNCTUATION = re.compile(r"^[\W_]+$")


def quiet_jieba():
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


def infer_document(text):
    """District, year, kind and department by majority vote of simple regex hits."""
    districts = collections.Counter(d for d in DISTRICTS for _ in range(text.count(d)))
    years = collections.Counter(YEAR_RE.findall(text))
    departments = collections.Counter(DEPARTMENT_RE.findall(text))
    return {
        "district": districts.most_common(1)[0][0] if districts else "",
        "year": years.most_common(1)[0][0] if years else "",
        "kind": "final" if "决算" in text else "budget",
        "department": departments.most_common(1)[0][0] if departments else "",
    }


def terms_of(text):
    """Lower-cased jieba search-mode tokens without whitespace or punctuation."""
    for token in jieba.cut_for_search(text):
        token = token.strip().lower()
        if token and not PUNCTUATION.match(token) and len(token.encode("utf-8")) <= MAX_TERM_BYTES:
            yield token


def passage_document(info, file_name, line_number, line):
    doc = xapian.Document()
    for position, term in enumerate(terms_of(line), 1):
        doc.add_posting(term, position)
    for field, prefix in PREFIXES.items():
        value = "passage" if field == "type" else info[field]
        if value:
            doc.add_boolean_term(prefix + str(value))
    for field, slot in SLOTS.items():
        doc.add_value(slot, "passage" if field == "type" else str(info[field]))
    doc.set_data(json.dumps({"file": file_name, "line": line_number, "text": line[:300], **info},
                            ensure_ascii=False))
    return doc


def corpus_files(folder, limit):
    files = []
    for root, _, names in os.walk(folder):
        files += [os.path.join(root, n) for n in names if n.endswith(".txt")]
    files.sort()
    return files[:limit] if limit else files


def index_corpus(args):
    started = time.monotonic()
    quiet_jieba()
    db = xapian.WritableDatabase(args.db, xapian.DB_CREATE_OR_OVERWRITE)
    files = corpus_files(args.corpus, args.limit_docs)
    total_bytes = 0
    for path in files:
        with open(path, "rb") as f:
            raw = f.read()
        total_bytes += len(raw)
        text = raw.decode("utf-8", "replace")
        info = infer_document(text)
        name = os.path.basename(path)
        for number, line in enumerate(text.split("\n"), 1):
            line = line.strip()
            if line:
                db.add_document(passage_document(info, name, number, line))
    db.commit()
    report = {"documents": len(files), "bytes": total_bytes, "records": db.get_doccount(),
              "seconds": round(time.monotonic() - started, 3)}
    db.close()
    write_report(report, args.report)


class QueryTranslator:
    """Turns a protocol request into a Xapian query, the naive way."""

    FIELD_RE = re.compile(r"^([a-z_]+)[:：](.+)$")

    def __init__(self):
        self.ignored = collections.Counter()

    def translate(self, request):
        clauses = self._clauses(request.get("q") or "")
        query = xapian.Query.MatchAll if not clauses else self._combine(clauses)
        filters = self._filters(request.get("filters") or {})
        if filters:
            query = xapian.Query(xapian.Query.OP_FILTER, query, xapian.Query(xapian.Query.OP_AND, filters))
        if request.get("sort"):
            self.ignored["sort"] += 1
        return query

    def _clauses(self, q):
        """[(operator, query)] in order: operator is 'and', 'or' (join with the previous) or 'not'."""
        clauses, pending = [], "and"
        for token in re.findall(r'"[^"]*"|\S+', q.replace("(", " ").replace(")", " ")):
            if token in ("OR", "||"):
                pending = "or"
                continue
            if token in ("AND", "&&"):
                continue
            if token == "NOT":
                pending = "not"
                continue
            if token.startswith("-") and len(token) > 1:
                pending, token = "not", token[1:]
            query = self._token_query(token)
            if query is not None:
                clauses.append((pending, query))
            pending = "and"
        return clauses

    def _token_query(self, token):
        field = self.FIELD_RE.match(token)
        if field:
            return self._field_query(*field.groups())
        words = list(terms_of(token.strip('"')))
        if not words:
            return None
        return xapian.Query(xapian.Query.OP_AND, [xapian.Query(w) for w in words])

    def _field_query(self, name, value):
        if name == "district":
            return self._any("district", [canonical_district(value)])
        if name == "year":
            low, _, high = value.partition("..")
            years = range(int(low), int(high or low) + 1) if low.isdigit() and (high or low).isdigit() else []
            return self._any("year", years)
        if name in ("kind", "type"):
            return self._any(name, value.split("|"))
        self.ignored[name] += 1
        return None

    def _any(self, field, values):
        terms = [xapian.Query(PREFIXES[field] + str(v)) for v in values]
        return xapian.Query(xapian.Query.OP_OR, terms) if terms else xapian.Query.MatchNothing

    def _filters(self, filters):
        out = []
        for field, values in filters.items():
            if field in PREFIXES:
                if field == "district":
                    values = [canonical_district(v) for v in values]
                out.append(self._any(field, values))
            else:
                self.ignored["filter " + field] += 1
        return out

    @staticmethod
    def _combine(clauses):
        query = None
        for operator, clause in clauses:
            if query is None:
                query = xapian.Query(xapian.Query.OP_AND_NOT, xapian.Query.MatchAll, clause) \
                    if operator == "not" else clause
            elif operator == "or":
                query = xapian.Query(xapian.Query.OP_OR, query, clause)
            elif operator == "not":
                query = xapian.Query(xapian.Query.OP_AND_NOT, query, clause)
            else:
                query = xapian.Query(xapian.Query.OP_AND, query, clause)
        return query


def canonical_district(name):
    return name if name.endswith("区") else name + "区"


class Searcher:
    """One database handle and its translator; one per thread, as Xapian handles are not shared."""

    def __init__(self, db_path):
        self.db = xapian.Database(db_path)
        self.translator = QueryTranslator()

    def answer(self, request):
        op = request.get("op")
        if op == "ping":
            return {"id": request.get("id"), "ok": True}
        if op != "search":
            return {"id": request.get("id"), "ok": False, "error": {"code": "unknown_op", "message": str(op)}}
        started = time.perf_counter()
        enquire = xapian.Enquire(self.db)
        enquire.set_query(self.translator.translate(request))
        spies = {}
        for facet in request.get("facets") or []:
            if facet in SLOTS:
                spies[facet] = xapian.ValueCountMatchSpy(SLOTS[facet])
                enquire.add_matchspy(spies[facet])
            else:
                self.translator.ignored["facet " + facet] += 1
        # check_at_least = doccount makes totals and facet counts exact, like Gongkai's.
        mset = enquire.get_mset(int(request.get("offset", 0)), int(request.get("limit", 10)),
                                self.db.get_doccount())
        return {
            "id": request.get("id"), "ok": True, "total": mset.get_matches_estimated(),
            "hits": [json.loads(item.document.get_data()) for item in mset],
            "facets": {name: facet_counts(name, spy) for name, spy in spies.items()},
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
        }


def unsupported_features(searcher, mix):
    """What the reference ignores in one pass over the mix, e.g. {"code": 2, "facet project": 7}."""
    for i, request in enumerate(mix):
        searcher.answer(dict(request, id=i))
    return dict(sorted(searcher.translator.ignored.items()))


def facet_counts(name, spy):
    """[{"value", "count"}] by decreasing count, values typed as Gongkai's (years are numbers)."""
    counts = [(item.term.decode("utf-8"), item.termfreq) for item in spy.values()]
    counts.sort(key=lambda vc: (-vc[1], vc[0]))
    return [{"value": int(v) if name == "year" and v.isdigit() else v, "count": c} for v, c in counts]


def query_in_process(args):
    """Answers the benchmark's query mix in-process, one request at a time, for --duration seconds."""
    from bench_queries import QUERY_MIX
    quiet_jieba()
    searcher = Searcher(args.db)
    ignored = unsupported_features(searcher, QUERY_MIX)  # also warms the caches, like ours gets
    latencies = []
    deadline = time.monotonic() + args.duration
    index = 0
    while time.monotonic() < deadline:
        request = dict(QUERY_MIX[index % len(QUERY_MIX)], id=index)
        index += 1
        started = time.perf_counter()
        searcher.answer(request)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    write_report({"requests": len(latencies),
                  "p50_ms": latencies[len(latencies) // 2],
                  "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                  "ignored_per_mix": ignored},
                 args.report)


class ConnectionHandler(socketserver.StreamRequestHandler):
    """One thread per connection, each with its own database handle."""

    def handle(self):
        searcher = Searcher(self.server.db_path)
        for line in self.rfile:
            try:
                answer = searcher.answer(json.loads(line))
            except Exception as e:  # a bad request must not kill the connection
                answer = {"ok": False, "error": {"code": "bad_request", "message": str(e)}}
            self.wfile.write((json.dumps(answer, ensure_ascii=False) + "\n").encode("utf-8"))


class ThreadedServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default backlog of 5 refuses 32 clients connecting at once


def serve(args):
    quiet_jieba()
    if os.path.exists(args.socket):
        os.remove(args.socket)
    server = ThreadedServer(args.socket, ConnectionHandler)
    server.db_path = args.db
    print("serving", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        os.remove(args.socket)


def write_report(report, path):
    text = json.dumps(report, ensure_ascii=False)
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index")
    index.add_argument("--corpus", required=True)
    index.add_argument("--db", required=True)
    index.add_argument("--limit-docs", type=int, default=0, help="index only the first K files (sorted)")
    index.add_argument("--report")
    query = commands.add_parser("query")
    query.add_argument("--db", required=True)
    query.add_argument("--duration", type=float, default=10.0)
    query.add_argument("--report")
    server = commands.add_parser("serve")
    server.add_argument("--db", required=True)
    server.add_argument("--socket", required=True)
    args = parser.parse_args()
    {"index": index_corpus, "query": query_in_process, "serve": serve}[args.command](args)


if __name__ == "__main__":
    main()
