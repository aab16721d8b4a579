"""Views (folded from the CDN's access logs) and delete (token-checked, leaves nothing behind)."""
from __future__ import annotations

import pytest
import requests
from conftest import BUCKET, body_of, chat, create, new_ip, partition, scan_all

pytestmark = pytest.mark.api


def _views(client, cid: str) -> int:
    return body_of(client.http.get(f"/api/conversations/{cid}"))["views"]


def _fold() -> dict:
    from chalicelib import jobs

    return jobs.fold_views()


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
