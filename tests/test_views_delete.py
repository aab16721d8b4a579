"""Views (de-duplicated, sharded, rolled up) and delete (token-checked, leaves nothing behind)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import BUCKET, TABLE_PREFIX, body_of, chat, create, new_ip, partition, scan_all

pytestmark = pytest.mark.api


def _views(client, cid: str) -> int:
    return body_of(client.http.get(f"/api/conversations/{cid}"))["views"]


def _view_over_http(base: str, cid: str, ip: str) -> int:
    response = requests.post(f"{base}/api/conversations/{cid}/view", data="", timeout=30,
                             headers={"Content-Type": "text/plain", "X-Forwarded-For": ip})
    return response.status_code


def test_100_concurrent_views_from_100_clients_count_100(client, chalice_local):
    from chalicelib import views

    cid = create(client, chat(visibility="public"))["id"]
    ips = [new_ip() for _ in range(100)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda ip: _view_over_http(chalice_local, cid, ip), ips))
    assert statuses == [202] * 100
    assert _views(client, cid) == 0  # counted, not yet rolled up
    views.roll_up()
    assert _views(client, cid) == 100
    views.roll_up()  # nothing pending: a second run changes nothing
    assert _views(client, cid) == 100


def test_100_views_from_one_client_count_once(client, chalice_local):
    from chalicelib import views

    cid = create(client, chat(visibility="public"))["id"]
    ip = new_ip()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda _: _view_over_http(chalice_local, cid, ip), range(100)))
    assert statuses == [202] * 100
    views.roll_up()
    assert _views(client, cid) == 1


def test_a_view_counts_again_after_the_window(client):
    from chalicelib import views

    cid = create(client, chat())["id"]
    assert views.record_view(cid, "same", now=1_000_000)
    assert not views.record_view(cid, "same", now=1_000_000 + 3599)
    assert views.record_view(cid, "same", now=1_000_000 + 3601)
    views.roll_up()
    assert _views(client, cid) == 2


def test_view_is_two_small_writes_and_never_touches_the_conversation(client, aws):
    cid = create(client, chat(visibility="public"))["id"]
    before = partition(aws, cid)
    response = client.http.post(f"/api/conversations/{cid}/view", headers={"x-forwarded-for": new_ip()})
    assert response.status_code == 202 and body_of(response) == {"counted": True}
    after = partition(aws, cid)
    assert after == before
    shards = [i for i in scan_all(aws, "views") if i["id"]["S"] == cid]
    assert sum(int(s["n"]["N"]) for s in shards) == 1
    assert client.http.post("/api/conversations/bad!/view").status_code == 404


def test_views_of_a_deleted_conversation_are_dropped_by_the_roll_up(client, aws):
    from chalicelib import views

    created = create(client, chat())
    views.record_view(created["id"], "someone")
    # Delete the meta item behind the API's back, as a concurrent delete would.
    aws["dynamodb"].delete_item(TableName=f"{TABLE_PREFIX}-conversations",
                                Key={"id": {"S": created["id"]}, "part": {"S": "meta"}})
    views.roll_up()
    assert not [i for i in scan_all(aws, "views") if i["id"]["S"] == created["id"]]
    assert not [i for i in scan_all(aws, "conversations")
                if i["id"]["S"] == created["id"] and i["part"]["S"] == "meta"]


def _everything_of(aws, cid: str) -> list:
    found = partition(aws, cid)
    found += [i for i in scan_all(aws, "search") if i["id"]["S"] == cid]
    found += [i for i in scan_all(aws, "views") if i["id"]["S"] == cid]
    found += aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"bodies/{cid}/").get("Contents", [])
    return found


def test_delete_needs_the_right_token_and_leaves_nothing_behind(client, aws):
    from chalicelib import listings

    created = create(client, chat(title="Delete me please", visibility="public"))
    cid, token = created["id"], created["deleteToken"]
    client.http.post(f"/api/conversations/{cid}/view", headers={"x-forwarded-for": new_ip()})
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
