"""`make bench-scale`: the local stack at realistic size. Prints figures only; nothing is asserted.

10,000 realistic conversations (scripts/corpus.py; 40% public) are created one after another through the
real `chalice local` process over HTTP, against the patched moto server (scripts/moto_transactions.py).
Then the costs that only show at size, measured in-process against the same moto with the AWS call ledger:
search (a common word alone, and with a word that matches nothing), count, New pages followed deep by
cursor, and the hourly fold of an hour of CDN access logs (100,000 lines, Zipf over every conversation).

BENCH_SCALE_N changes the count (the latency marks scale with it).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import callrecorder, devstack  # noqa: E402
from scripts.corpus import conversations as generated  # noqa: E402

N = int(os.environ.get("BENCH_SCALE_N", "10000"))
callrecorder.install()  # before the first AWS call: the ledger columns read this record


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory of a process, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    moto_port, api_port = devstack.free_port(), devstack.free_port()
    env = devstack.local_env(moto_port, TABLE_PREFIX="scale", BUCKET_NAME="scale-bucket", CREATE_LIMIT="1000000",
                             SITE_URL=f"http://127.0.0.1:{api_port}")
    os.environ.update(env)
    # The stack's own JSON log lines (one per request and job) go to a file: this prints the figures alone.
    from chalicelib import accesslog

    print("(The stack's log lines: bench/stack-scale.log)", file=sys.stderr)
    with accesslog.to_file(str(ROOT / "bench/stack-scale.log")):
        moto = devstack.start_moto(moto_port)
        api = None
        try:
            devstack.create_resources()
            api = devstack.start_chalice(api_port, env)
            ids = creates(f"http://127.0.0.1:{api_port}", moto.pid)
            costs_at_size(ids)
            peak, current = peak_rss_mb(moto.pid)
            print(f"\nmoto after everything: peak {peak:,.0f} MB, now {current:,.0f} MB")
        finally:
            devstack.stop(api, moto)


def creates(site: str, moto_pid: int) -> list[tuple[str, bool]]:
    marks = sorted({max(1, N // 10), max(1, N // 2), N})
    window = max(1, min(500, N // 10))
    latencies: list[float] = []
    created: list[tuple[str, bool]] = []
    memory: dict[int, tuple[float, float]] = {}
    session = requests.Session()
    started = time.perf_counter()
    for body in generated(N, seed=11):
        raw = json.dumps(body)
        t = time.perf_counter()
        answer = session.post(f"{site}/api/conversations", data=raw, headers={"content-type": "application/json"})
        latencies.append((time.perf_counter() - t) * 1000)
        assert answer.status_code == 201, answer.text
        created.append((answer.json()["id"], body["visibility"] == "public"))
        if len(created) in marks:
            memory[len(created)] = peak_rss_mb(moto_pid)
    total = time.perf_counter() - started
    public = sum(1 for _, p in created if p)
    print(f"## {N:,} creates through `chalice local` (one at a time; {public:,} public)\n")
    print(f"Total {total:,.0f} s ({N / total:.1f} creates/s).\n")
    print(f"| after | p50 ms (last {window}) | p95 ms | moto peak MB | moto now MB |")
    print("|---|---|---|---|---|")
    for mark in marks:
        recent = latencies[mark - window:mark]
        peak, current = memory[mark]
        print(f"| {mark:,} | {statistics.median(recent):.1f} | {percentile(recent, 0.95):.1f} | {peak:,.0f} | "
              f"{current:,.0f} |")
    first = statistics.median(latencies[marks[0] - window:marks[0]])
    last = statistics.median(latencies[N - window:N])
    print(f"\np50 at {N:,} / p50 at {marks[0]:,}: {last / first:.2f}x")
    return created


def costs_at_size(created: list[tuple[str, bool]]) -> None:
    from bench.ledger import recording
    from chalicelib import listings, views

    def measure(name: str, action) -> object:
        t = time.perf_counter()
        with recording() as ledger:
            result = action()
        ms = (time.perf_counter() - t) * 1000
        s = ledger.summary()
        ops: dict[str, int] = {}
        for call in ledger.calls:
            ops[call.operation] = ops.get(call.operation, 0) + 1
        print(f"| {name} | {ms:,.0f} | {s['calls']} ({', '.join(f'{k} x{v}' for k, v in ops.items())}) | "
              f"{s['rru']:g} |")
        return result

    print(f"\n## Reads at size (in-process against the same moto; {len(created):,} conversations)\n")
    print("| request | ms | AWS calls | RRU |")
    print("|---|---|---|---|")
    measure("search `python` (common word, first page)", lambda: listings.list_public(search="python"))
    measure("search `python zzqx` (common + no match)", lambda: listings.list_public(search="python zzqx"))
    measure("search `dynamodb paginate` (two words)", lambda: listings.list_public(search="dynamodb paginate"))
    measure("count (public)", lambda: listings.count_public())
    measure("count `python`", lambda: listings.count_public("python"))
    measure("count `python zzqx`", lambda: listings.count_public("python zzqx"))

    def deep(pages: int) -> int:
        cursor = None
        for _ in range(pages):
            _, cursor = listings.list_public("new", cursor=cursor)
            if cursor is None:
                break
        return pages

    measure("list New, first page", lambda: listings.list_public("new"))
    measure("list New, 40 pages by cursor (2,000 rows)", lambda: deep(40))
    measure("list Top, page 20 (walks from the start)", lambda: listings.list_public("top", page=20))

    # An hour of CDN logs: 100,000 page views over every conversation, Zipf-distributed, in 12 files (CloudFront
    # delivers an hour in several), then the hourly fold.
    import random

    from bench import edge

    rng = random.Random(11)
    lines = int(os.environ.get("BENCH_FOLD_LINES", "100000"))
    hour = time.time() // 3600 * 3600 - 7200
    ids = [conversation_id for conversation_id, _ in created]
    views_made = edge.zipf_views(ids, lines, rng)
    rows = edge.log_rows(views_made, hour)
    t = time.perf_counter()
    for start in range(0, len(rows), len(rows) // 12 + 1):
        edge.put_log(rows[start:start + len(rows) // 12 + 1], hour)
    print(f"\n{lines:,} log lines ({len({cid for cid, _ in views_made}):,} conversations viewed) written in 12 "
          f"files in {time.perf_counter() - t:,.1f} s.\n")
    print("| job | ms | AWS calls | RRU |")
    print("|---|---|---|---|")
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = measure(f"fold of {lines:,} log lines over {len(ids):,} conversations", views.fold)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{views.summary(result.counts)}. Peak memory of this process: {before:,.0f} MB before the fold, "
          f"{after:,.0f} MB after it (the fold's peak, when it is the largest).")
    again = measure("the same fold again (every file already claimed)", views.fold)
    print(f"\n{views.summary(again.counts)}.")


if __name__ == "__main__":
    main()
