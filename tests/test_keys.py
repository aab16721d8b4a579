"""The key layout in chalicelib/keys.py: the sort order every read of a partition relies on."""
from __future__ import annotations

import json

import pytest

from chalicelib import keys

pytestmark = pytest.mark.unit


def test_a_partition_sorts_body_meta_comments_then_saves():
    parts = [keys.save_part("sub-a"), keys.comment_part("0000000001abc", "0000000000abc"), keys.META,
             keys.comment_part("0000000000abc"), keys.BODY]
    assert sorted(parts) == [keys.BODY, keys.META, keys.comment_part("0000000000abc"),
                             keys.comment_part("0000000001abc", "0000000000abc"), keys.save_part("sub-a")]
    # The conversation read stops at meta; the comment read ends before the first save.
    assert all(p > keys.META for p in parts if p not in (keys.BODY, keys.META))
    comments = [p for p in parts if p.startswith(keys.COMMENT_PREFIX)]
    assert all(keys.META < p < keys.COMMENTS_END < keys.save_part("") for p in comments)


def test_comment_parts_round_trip_to_their_path():
    assert keys.comment_path(keys.comment_part("b1")) == ["b1"]
    assert keys.comment_path(keys.comment_part("c2", "b1")) == ["b1", "c2"]


def test_search_sort_orders_by_time_then_id():
    assert keys.search_sort(5, "AbC12xY") == "0000000000005#AbC12xY"
    assert keys.search_sort(10**12, "a") > keys.search_sort(999_999_999_999, "z")


def test_user_keys_differ_by_kind_so_one_index_serves_all_three():
    owned = {keys.owner("s"), keys.saver("s"), keys.commenter("s")}
    assert len(owned) == 3 and all(k.endswith("#s") for k in owned)


def test_importing_reads_no_settings_the_first_use_does():
    # A fresh interpreter: import everything, then set the environment, then use a model.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os\n"
        "import app\n"
        "from chalicelib import models, settings\n"
        "assert settings.get.cache_info().currsize == 0, 'an import read the settings'\n"
        "os.environ['TABLE_PREFIX'] = 'set-after-import'\n"
        "os.environ['AWS_ENDPOINT_URL'] = 'http://127.0.0.1:9'\n"
        "print(models.ConversationMeta.Meta.table_name, models.Counter.Meta.host)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("TABLE_PREFIX", "AWS_ENDPOINT_URL")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                            cwd=str(Path(__file__).resolve().parents[1]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["set-after-import-conversations", "http://127.0.0.1:9"]


def test_a_benchmark_sends_the_stacks_log_lines_to_a_file_and_prints_figures_alone(tmp_path, capsys):
    """`make bench` printed the stack's JSON access-log lines among its tables (issue 36)."""
    from chalicelib import accesslog

    path = tmp_path / "stack.log"
    with accesslog.to_file(str(path)):
        accesslog.emit(route="/api/conversations", method="POST", status=201, duration_ms=3.2, request_id="r1",
                       client="198.51.100.0/24")
        accesslog.emit_job("fold_views", lines=3)
    assert capsys.readouterr().out == ""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["access", "job"] and lines[0]["status"] == 201
    accesslog.emit_job("after", n=1)  # outside the block: stdout again, as Lambda and `make run` want
    assert json.loads(capsys.readouterr().out) == {"type": "job", "job": "after", "n": 1}


def test_the_ledger_counts_index_writes_as_dynamodb_bills_them():
    """`views` is a key of `top` and projected into three more indexes: a fold's update costs 4-6 write units,
    not the 1 the ledger counted (bench/ledger.py)."""
    from bench.ledger import Index, index_writes

    keys = ("id", "part")
    top = Index(("list_pk", "views"), ("kind", "title"))
    new = Index(("list_pk", "created"), ("kind", "title", "views"))
    mine = Index(("user_key", "created"), ("views",))
    base = {"id": {"S": "AbC12xY"}, "part": {"S": "meta"}, "list_pk": {"S": "public"}, "created": {"N": "1"},
            "views": {"N": "9"}, "title": {"S": "T"}, "body": {"S": "x" * 3000}}
    seen = {**base, "views": {"N": "10"}}
    # top: its key changed (delete + put); new: a projected attribute changed (one put); mine: not in it.
    assert index_writes([top, new, mine], keys, base, seen) == 3
    owned = {**base, "user_key": {"S": "owner#1"}}
    assert index_writes([top, new, mine], keys, owned, {**owned, "views": {"N": "10"}}) == 4
    assert index_writes([top, new], keys, base, {**base, "body": {"S": "y"}}) == 0  # nothing projected changed
    assert index_writes([top, new], keys, None, base) == 2  # a create enters both
    assert index_writes([top, new], keys, base, None) == 2  # a delete leaves both
    unlisted = {k: v for k, v in base.items() if k != "list_pk"}
    assert index_writes([top, new], keys, base, unlisted) == 2  # unlisting leaves both


def test_the_folds_pace_keeps_the_public_partition_under_its_write_limit():
    """300 updates a second at most (900 write units on the shared `public` partition of `top` and `new`,
    whose limit is 1,000), whatever the threads: slots are handed out one interval apart."""
    from chalicelib.views import UPDATES_PER_SECOND, Pace

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    pace = Pace(UPDATES_PER_SECOND, clock=lambda: now[0], sleep=sleep)
    for _ in range(UPDATES_PER_SECOND * 2):  # two seconds' worth at once: the last waits about two seconds
        pace.wait()
    assert slept and abs(max(slept) - (2 - 1 / UPDATES_PER_SECOND)) < 1e-6
    now[0] = 200.0  # idle for a while: the next one goes at once
    slept.clear()
    pace.wait()
    assert slept == []
    assert UPDATES_PER_SECOND * 3 <= 1000  # three units an update on the partition, under its 1,000 a second
