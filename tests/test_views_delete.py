"""Views (folded from the CDN's access logs) and delete (token-checked, leaves nothing behind)."""
from __future__ import annotations

import pytest
import requests
from conftest import BUCKET, body_of, chat, create, new_ip, partition, scan_all

pytestmark = pytest.mark.api


def _views(client, cid: str) -> int:
    return body_of(client.http.get(f"/api/conversations/{cid}"))["views"]


def _fold(now: float | None = None) -> dict:
    """The scheduled fold, run now (or as if at `now`: the clock that says when pending views are added)."""
    from chalicelib import jobs

    return jobs.fold_views(now)


HOUR = 3600
T0 = 1_780_000_000 - 1_780_000_000 % HOUR  # an hour's start, in 2026


def test_the_fold_counts_views_from_a_cloudfront_log_file_and_folding_again_changes_nothing(client, aws):
    """Two clients, a repeat within the hour, crawlers and link previews, a 404, a HEAD, a static file, a
    page of a deleted conversation: exactly the views a person made count, once."""
    from cdn_log_files import DISCORD, FACEBOOK, GOOGLEBOT, IPHONE, SLACK, hit, put_log

    cid = create(client, chat(visibility="public"))["id"]
    gone = create(client, chat())
    a, b = new_ip(), new_ip()
    rows = [hit(cid, a, T0 + 10), hit(cid, a, T0 + 900),  # a repeat within the hour: once
            hit(cid, b, T0 + 20, agent=IPHONE, status=304),  # revalidated from the browser's cache: a view
            hit(cid, new_ip(), T0 + 30, agent=GOOGLEBOT), hit(cid, new_ip(), T0 + 31, agent=FACEBOOK),
            hit(cid, new_ip(), T0 + 32, agent=SLACK), hit(cid, new_ip(), T0 + 33, agent=DISCORD),
            hit("Zz9Zz9Z", new_ip(), T0 + 40, status=404), hit(cid, new_ip(), T0 + 41, method="HEAD"),
            hit(cid, new_ip(), T0 + 42, path="/static/app.js"), hit(cid, new_ip(), T0 + 43, path=f"/{cid}"),
            hit(gone["id"], new_ip(), T0 + 50),
            hit(cid, a, T0 + HOUR + 5)]  # the same client an hour later: a view again
    client.http.delete(f"/api/conversations/{gone['id']}", headers={"authorization": f"Bearer {gone['deleteToken']}"})
    put_log(aws, BUCKET, rows)

    first = _fold()
    assert _views(client, cid) == 3
    assert first["files"] >= 1 and first["dropped"] >= 1
    assert client.http.get(f"/api/conversations/{gone['id']}").status_code == 404
    assert not partition(aws, gone["id"])  # never recreated by its views
    _fold()
    assert _views(client, cid) == 3


def test_files_are_read_by_their_fields_line_whatever_the_order(client, aws):
    """A standard logging v2 file with the fields its deployer chose, in another order."""
    from cdn_log_files import V2_FIELDS, hit, put_log

    cid = create(client, chat())["id"]
    put_log(aws, BUCKET, [hit(cid, new_ip(), T0 + 2 * HOUR), hit(cid, new_ip(), T0 + 2 * HOUR + 1)],
            fields=V2_FIELDS, separator=" ")
    _fold()
    assert _views(client, cid) == 2


def test_an_hour_split_across_files_and_runs_counts_a_client_once(client, aws):
    """CloudFront delivers an hour in several files, some late: the hour's counted clients are remembered."""
    from cdn_log_files import hit, put_log

    cid = create(client, chat())["id"]
    ip = new_ip()
    put_log(aws, BUCKET, [hit(cid, ip, T0 + 3 * HOUR + 10)])
    _fold()
    put_log(aws, BUCKET, [hit(cid, ip, T0 + 3 * HOUR + 3000), hit(cid, new_ip(), T0 + 3 * HOUR + 3001)])
    _fold()
    assert _views(client, cid) == 2


def test_a_client_counts_at_most_the_view_limit_per_hour(client, aws, monkeypatch):
    from cdn_log_files import hit, put_log

    from chalicelib import settings

    ids = [create(client, chat())["id"] for _ in range(5)]
    greedy = new_ip()
    monkeypatch.setenv("VIEW_LIMIT", "3")
    settings.get.cache_clear()
    try:
        put_log(aws, BUCKET, [hit(cid, greedy, T0 + 4 * HOUR + i) for i, cid in enumerate(ids)] +
                [hit(ids[4], new_ip(), T0 + 4 * HOUR + 9)])
        _fold()
    finally:
        monkeypatch.delenv("VIEW_LIMIT")
        settings.get.cache_clear()
    assert [_views(client, cid) for cid in ids] == [1, 1, 1, 0, 1]


def test_client_addresses_are_never_stored_raw(client, aws):
    from cdn_log_files import hit, put_log

    cid = create(client, chat())["id"]
    ip = "203.0.113.177"
    put_log(aws, BUCKET, [hit(cid, ip, T0 + 5 * HOUR)])
    _fold()
    assert _views(client, cid) == 1
    stored = [str(item) for table in ("conversations", "counters", "search") for item in scan_all(aws, table)]
    assert not [item for item in stored if ip in item]
    for obj in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="views/").get("Contents", []):
        import gzip

        assert ip.encode() not in gzip.decompress(aws["s3"].get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())


def test_a_page_is_published_again_when_its_count_crosses_a_step(client, aws):
    """Never per view: at 10 (then 20, 50, 100...) the printed count is drawn again."""
    from cdn_log_files import hit, put_log

    cid = create(client, chat(visibility="public"))["id"]

    def printed() -> str:
        html = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")["Body"].read().decode()
        return html.split('id="views">', 1)[1].split("<", 1)[0]

    put_log(aws, BUCKET, [hit(cid, new_ip(), T0 + 6 * HOUR + i) for i in range(9)])
    _fold()
    assert _views(client, cid) == 9
    assert printed() == "0 views"  # 9 views are not worth a new page
    put_log(aws, BUCKET, [hit(cid, new_ip(), T0 + 6 * HOUR + 20)])
    _fold()
    assert printed() == "10 views"


def test_the_local_stack_logs_each_page_it_serves_as_cloudfront_would(client, chalice_local, aws):
    """`make run` has no CloudFront: /c/<id> answers the published page and writes a W3C log line, which
    the fold counts like a real one; a crawler's fetch is logged and not counted."""
    from cdn_log_files import FIREFOX, GOOGLEBOT

    cid = create(client, chat(title="Counted from the local log"))["id"]
    for agent, ip in ((FIREFOX, new_ip()), (FIREFOX, new_ip()), (GOOGLEBOT, new_ip())):
        page = requests.get(f"{chalice_local}/c/{cid}", timeout=30, headers={"User-Agent": agent,
                                                                             "X-Forwarded-For": ip})
        assert page.status_code == 200 and "Counted from the local log" in page.text
    assert _views(client, cid) == 0
    _fold()
    assert _views(client, cid) == 2


def _everything_of(aws, cid: str) -> list:
    found = partition(aws, cid)
    found += [i for i in scan_all(aws, "search") if i["id"]["S"] == cid]
    found += aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"bodies/{cid}/").get("Contents", [])
    found += aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"pages/c/{cid}").get("Contents", [])
    return found


def test_delete_needs_the_right_token_and_leaves_nothing_behind(client, aws):
    from chalicelib import listings

    created = create(client, chat(title="Delete me please", visibility="public"))
    cid, token = created["id"], created["deleteToken"]
    count_before = listings.count_public()[0]
    assert _everything_of(aws, cid)

    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {token}"},
                    {"authorization": f"Bearer {token[:-1]}"}):
        response = client.http.delete(f"/api/conversations/{cid}", headers=headers)
        assert response.status_code == 403 and body_of(response)["error"]["code"] == "forbidden"
    assert client.http.get(f"/api/conversations/{cid}").status_code == 200

    response = client.http.delete(f"/api/conversations/{cid}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 204 and response.body in (b"", "")
    assert client.http.get(f"/api/conversations/{cid}").status_code == 404
    assert _everything_of(aws, cid) == []
    assert listings.count_public()[0] == count_before - 1
    assert cid not in {r["id"] for r in body_of(client.http.get("/api/conversations?search=delete"))}
    again = client.http.delete(f"/api/conversations/{cid}", headers={"authorization": f"Bearer {token}"})
    assert again.status_code == 404


def test_unknown_and_malformed_ids_are_404(client):
    for path in ("/api/conversations/Zzzzzzz", "/api/conversations/short", "/api/conversations/has%20sp"):
        response = client.http.get(path)
        assert response.status_code == 404 and body_of(response)["error"]["code"] == "not_found"
    response = client.http.delete("/api/conversations/Zzzzzzz", headers={"authorization": "Bearer x"})
    assert response.status_code == 404


def test_one_ipv6_64_counts_as_one_client(client, aws):
    """1,000 GETs from 1,000 addresses of one /64 (a subscriber rotates through them at will) are one view."""
    from cdn_log_files import hit, put_log

    cid = create(client, chat())["id"]
    rows = [hit(cid, f"2001:db8:77:1::{i:x}", T0 + 6 * HOUR + i % 3000) for i in range(1, 1001)]
    rows.append(hit(cid, "2001:db8:77:2::1", T0 + 6 * HOUR + 5))  # another /64: another client
    put_log(aws, BUCKET, rows)
    _fold()
    assert _views(client, cid) == 2


def test_odd_files_are_set_aside_and_the_good_ones_count(client, aws):
    """A corrupt gzip, thousands of empty gzip members, a file cut short: each set aside with a log line,
    quickly; the good file beside them counts; the run ends normally. A `#Fields:` line mid-file applies
    from there, and a Unicode line separator inside a field does not end a line."""
    import gzip
    import time

    from cdn_log_files import LEGACY_FIELDS, V2_FIELDS, hit, log_file, put_log

    cid = create(client, chat())["id"]
    good = put_log(aws, BUCKET, [hit(cid, new_ip(), T0 + 7 * HOUR + 1)])
    # Two field lines in one file: the second (another order) applies to the lines after it.
    second = hit(cid, new_ip(), T0 + 7 * HOUR + 2)
    second["cs(Referer)"] = "https://example.test/\u2028page"  # a raw line separator inside a field
    text = (gzip.decompress(log_file([hit(cid, new_ip(), T0 + 7 * HOUR + 3)], fields=LEGACY_FIELDS)).decode()
            + "#Fields: " + " ".join(V2_FIELDS) + "\n"
            + " ".join(second[name] for name in V2_FIELDS) + "\n")
    second["cs(Referer)"] = "-"
    aws["s3"].put_object(Bucket=BUCKET, Key="cdn-logs/E2EXAMPLE.2026-07-28-07.mixed.gz",
                         Body=gzip.compress(text.encode()))
    legacy_with_separator = hit(cid, new_ip(), T0 + 7 * HOUR + 4)
    legacy_with_separator["cs(Referer)"] = "https://example.test/\u2028x"
    put_log(aws, BUCKET, [legacy_with_separator])
    whole = log_file([hit(cid, new_ip(), T0 + 7 * HOUR + 5)])
    for name, body in (("corrupt", b"\x1f\x8b\x08\x00" + b"\xff" * 5000),
                       ("members", whole + gzip.compress(b"", mtime=0) * 200_000),
                       ("cut", whole[: len(whole) // 2])):
        aws["s3"].put_object(Bucket=BUCKET, Key=f"cdn-logs/E2EXAMPLE.2026-07-28-07.{name}.gz", Body=body)
    started = time.monotonic()
    result = _fold()
    assert time.monotonic() - started < 20
    assert result["set_aside"] == 3 and result["busy"] == 0
    # good (1) + mixed (2: one under each field line) + the separator line (1) + the members file's first (1)
    assert _views(client, cid) == 5, result
    assert good


def test_a_100_mb_log_file_counts_to_its_last_line(client, aws):
    """Files are streamed, not cut: the one view on the last line of a 100 MB (inflated) file counts."""
    import gzip

    from cdn_log_files import LEGACY_FIELDS, hit

    busy, last = create(client, chat())["id"], create(client, chat())["id"]
    line = "\t".join(hit(busy, "198.51.100.7", T0 + 8 * HOUR + 1)[name] for name in LEGACY_FIELDS) + "\n"
    filler = line * (100 * 2**20 // len(line))
    tail = "\t".join(hit(last, new_ip(), T0 + 8 * HOUR + 2)[name] for name in LEGACY_FIELDS) + "\n"
    body = gzip.compress(("#Version: 1.0\n#Fields: " + " ".join(LEGACY_FIELDS) + "\n" + filler + tail).encode(),
                         compresslevel=1)
    aws["s3"].put_object(Bucket=BUCKET, Key="cdn-logs/E2EXAMPLE.2026-07-28-08.big.gz", Body=body)
    result = _fold()
    assert result["lines"] >= len(filler) // len(line) + 1
    assert (_views(client, busy), _views(client, last)) == (1, 1)


def test_two_folds_at_once_count_exactly(client, aws):
    """The hour's record of who was counted is read and written whole: two runs at once each missed the
    other's clients (2 of 5 rounds double-counted). One run at a time (a lease); the other does nothing."""
    from concurrent.futures import ThreadPoolExecutor

    from cdn_log_files import hit, put_log

    for round_ in range(3):
        cid = create(client, chat())["id"]
        ip = new_ip()
        base = T0 + (9 + round_) * HOUR
        for i in range(6):  # one client in six files of the same hour: one view
            put_log(aws, BUCKET, [hit(cid, ip, base + i), hit(cid, new_ip(), base + 100 + i)])
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: _fold(), range(2)))
        _fold()  # whatever the busy one left
        assert _views(client, cid) == 7, results
        assert sorted(r["busy"] for r in results) in ([0, 0], [0, 1])


def test_a_save_that_crosses_a_step_draws_the_page_again(client, aws):
    """The page prints the save count: drawn again at 1, 2, 5, 10... up or down, never per save."""
    import json

    from test_accounts import sign_up

    cid = create(client, chat(visibility="public"))["id"]

    def printed() -> str:
        html = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")["Body"].read().decode()
        return html.split('class="count">', 1)[1].split("<", 1)[0]

    people = [sign_up(client, f"Saver {i}") for i in range(3)]
    counts = []
    for person in people:
        answer = person.call("POST", f"/api/conversations/{cid}/save")
        assert answer.status_code == 200
        counts.append((json.loads(answer.body)["saves"], printed()))
    assert counts == [(1, "1"), (2, "2"), (3, "2")]  # 3 is no step: the page still says 2
    assert people[0].call("POST", f"/api/conversations/{cid}/save").status_code == 200  # again: no change
    people[2].call("DELETE", f"/api/conversations/{cid}/save")
    people[1].call("DELETE", f"/api/conversations/{cid}/save")  # 3 -> 2 (it says 2), then 2 -> 1 crosses 2: drawn
    assert printed() == "1"


@pytest.mark.parametrize("stop_at", ["before the journal", "after the journal", "half-way through the updates"])
def test_a_fold_stopped_half_way_then_run_again_counts_exactly(client, aws, monkeypatch, stop_at):
    """A run that stops loses nothing and counts nothing twice: before its journal nothing is written (the
    next run reads the same files); after it, the next run finishes the batch first, and an update the
    stopped run made is not made again (each is marked with its batch)."""
    from cdn_log_files import hit, put_log

    from chalicelib import views

    ids = [create(client, chat())["id"] for _ in range(4)]
    base = T0 + (20 + ["before the journal", "after the journal", "half-way through the updates"].index(stop_at)) \
        * HOUR
    put_log(aws, BUCKET, [hit(cid, new_ip(), base + i) for i, cid in enumerate(ids * 3)])  # 3 views each

    class Stopped(Exception):
        pass

    real_add = views._add_views
    done: list[str] = []

    def stop(*args, **kwargs):
        raise Stopped

    def add_then_stop(item, batch):
        if len(done) >= 2:
            raise Stopped
        done.append(item[0])
        return real_add(item, batch)

    if stop_at == "before the journal":
        monkeypatch.setattr(views, "_commit", stop)
    elif stop_at == "after the journal":
        monkeypatch.setattr(views, "_finish", stop)
    else:
        monkeypatch.setattr(views, "UPDATE_THREADS", 1)
        monkeypatch.setattr(views, "_add_views", add_then_stop)
    with pytest.raises(Stopped):
        _fold()
    monkeypatch.undo()
    again = _fold()
    assert again["busy"] == 0 and again["resumed"] == (0 if stop_at == "before the journal" else 1)
    assert [_views(client, cid) for cid in ids] == [3, 3, 3, 3]
    _fold()  # and nothing more, ever
    assert [_views(client, cid) for cid in ids] == [3, 3, 3, 3]


def test_a_backlog_is_folded_over_several_runs_each_within_its_reading_budget(client, aws, monkeypatch):
    """A run reads files for READ_SECONDS at most, then journals and applies what it read; the files it did
    not reach wait, unclaimed, for the next run (which would otherwise time out and start over)."""
    from cdn_log_files import hit, put_log

    from chalicelib import views

    cid = create(client, chat())["id"]
    for i in range(3):
        put_log(aws, BUCKET, [hit(cid, new_ip(), T0 + 30 * HOUR + i)])
    monkeypatch.setattr(views, "READ_SECONDS", 0.0)  # the budget is spent once the first file is read
    first = _fold()
    assert first["files"] == 1 and _views(client, cid) == 1
    second = _fold()
    assert second["files"] == 1 and _views(client, cid) == 2
    monkeypatch.undo()
    _fold()
    assert _views(client, cid) == 3


APPLY = 4 * HOUR  # VIEW_APPLY_HOURS=4 in the tests below
P0 = (T0 // APPLY + 200) * APPLY  # a period's start, past every other test's hours


@pytest.fixture
def every_4_hours():
    """The fold adds views at the first run of each 4-hour period; anything left pending is added after.
    (Its own patch: the tests undo theirs half-way.)"""
    from chalicelib import settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIEW_APPLY_HOURS", "4")
        settings.get.cache_clear()
        yield
    settings.get.cache_clear()
    _fold()  # added hourly again: nothing stays pending for the other tests


def _pending(aws) -> bool:
    listed = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="views/pending")
    return listed.get("KeyCount", 0) > 0


def test_views_added_every_few_hours_wait_then_count_once_with_one_update_a_conversation(
        client, aws, monkeypatch, every_4_hours):
    """Fewer, larger updates (each writes the indexes `views` is in): hourly runs read and claim the files and
    keep the views pending; the first run of the next period adds them, one update per conversation."""
    from cdn_log_files import hit, put_log

    from chalicelib import views

    ids = [create(client, chat(visibility="public"))["id"] for _ in range(3)]
    updates: list[str] = []
    real_add = views._add_views

    def counted(item, batch):
        updates.append(item[0])
        return real_add(item, batch)

    monkeypatch.setattr(views, "_add_views", counted)
    runs = []
    for hour in range(3):  # three hourly runs in one period: 1, 2 and 3 views a conversation an hour
        put_log(aws, BUCKET, [hit(cid, new_ip(), P0 + hour * HOUR + i) for i, cid in enumerate(ids * (hour + 1))])
        runs.append(_fold(P0 + hour * HOUR + 1800))
        assert [_views(client, cid) for cid in ids] == [0, 0, 0]
    assert [(r["files"], r["views"], r["conversations"], r["waiting"]) for r in runs] == \
        [(1, 3, 0, 3), (1, 6, 0, 3), (1, 9, 0, 3)]
    assert updates == [] and _pending(aws)

    added = _fold(P0 + APPLY + 60)  # the next period's first run
    assert [_views(client, cid) for cid in ids] == [6, 6, 6]
    assert sorted(updates) == sorted(ids)  # one update each for three hours of views
    assert (added["conversations"], added["waiting"]) == (3, 0) and not _pending(aws)
    _fold(P0 + APPLY + HOUR)  # and nothing more, ever
    assert [_views(client, cid) for cid in ids] == [6, 6, 6] and len(updates) == 3


@pytest.mark.parametrize("stop_at", ["merging into the pending views", "half-way through adding them"])
def test_a_run_stopped_while_views_wait_or_are_added_loses_and_repeats_nothing(
        client, aws, monkeypatch, every_4_hours, stop_at):
    """A journal merged once (the pending views name the journals in them); pending views whose adding began
    are finished by the next run before it merges anything new, each conversation's once."""
    from cdn_log_files import hit, put_log

    from chalicelib import views

    base = P0 + (10 + ["merging into the pending views", "half-way through adding them"].index(stop_at)) * APPLY
    ids = [create(client, chat())["id"] for _ in range(4)]
    put_log(aws, BUCKET, [hit(cid, new_ip(), base + i) for i, cid in enumerate(ids * 2)])  # 2 views each

    class Stopped(Exception):
        pass

    if stop_at == "merging into the pending views":
        real_defer = views._defer

        def defer_then_stop(journal, clock):
            real_defer(journal, clock)
            raise Stopped  # merged, the journal not yet dropped: the next run finishes it again

        monkeypatch.setattr(views, "_defer", defer_then_stop)
        with pytest.raises(Stopped):
            _fold(base + 60)
        monkeypatch.undo()
        assert _fold(base + 120)["resumed"] == 1
    else:
        _fold(base + 60)
        real_add = views._add_views
        done: list[str] = []

        def add_then_stop(item, batch):
            if len(done) >= 2:
                raise Stopped
            done.append(item[0])
            return real_add(item, batch)

        monkeypatch.setattr(views, "UPDATE_THREADS", 1)
        monkeypatch.setattr(views, "_add_views", add_then_stop)
        with pytest.raises(Stopped):
            _fold(base + APPLY + 60)
        monkeypatch.undo()
        assert sorted(_views(client, cid) for cid in ids) == [0, 0, 2, 2]
        # New views come before the next run: they wait for their own period; the begun ones are finished.
        put_log(aws, BUCKET, [hit(ids[0], new_ip(), base + APPLY + HOUR)])
        _fold(base + APPLY + HOUR + 60)
        assert [_views(client, cid) for cid in ids] == [2, 2, 2, 2]
    _fold(base + 2 * APPLY + 60)
    expected = [3, 2, 2, 2] if stop_at == "half-way through adding them" else [2, 2, 2, 2]
    assert [_views(client, cid) for cid in ids] == expected and not _pending(aws)
