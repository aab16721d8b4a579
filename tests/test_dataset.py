"""The open dataset (issue 35): consent on create and PATCH, the owner's scrubbed preview, the snapshot job's
Parquet (which donations it holds, scrubbed, loadable by `datasets`, accepted by FastChat's cleaner), the
dataset card, takedowns rewriting served shards, retention, and the /dataset page and files."""
from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from conftest import BUCKET, body_of, create, new_ip, post_json, share
from test_readers import CHATS, read

pytestmark = pytest.mark.api

# Personal data of the kinds the issue names, planted in a prompt the way people paste it, and numbers that
# must stay (a year, a version, an order number).
PLANTED = ("My email is jane.doe@example.org, call me at +33 6 12 34 56 78 or (415) 555-0132. "
           "The server is 203.0.113.42 and my card is 4111 1111 1111 1111. "
           "AWS key AKIAIOSFODNN7EXAMPLE and GitHub token ghp_1234567890abcdefghijklmnopqrstuvwxyzAB. "
           "The dashboard is https://dash.example.com/view?id=7&token=s3cr3tV4lue9&tab=2. "
           "We moved in 2024 to Python 3.11.2; order 12345.")


def _planted(title: str) -> dict[str, Any]:
    """A rich-shape chat as the extension sends one: a prompt with personal data, a structured answer."""
    return {"title": title, "source": "chatgpt", "model": "GPT-4o", "visibility": "unlisted", "messages": [
        {"role": "user", "content": PLANTED},
        {"role": "assistant", "content": [
            {"type": "reasoning", "title": "Thought for 4 s", "text": "They pasted secrets; answer briefly."},
            {"type": "tool", "title": "Searched the web: rotating AWS keys",
             "links": [{"url": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
                        "title": "Managing access keys"}]},
            {"type": "text", "text": "Rotate the key **AKIAIOSFODNN7EXAMPLE** at once, and write to "
                                     "jane.doe@example.org from a new address."}]},
        {"role": "user", "content": "Thanks. Anything else for 2024?"},
        {"role": "assistant", "content": "Revoke the GitHub token too, and upgrade past Python 3.11.2."},
    ]}


def _chat(title: str, answer: str) -> dict[str, Any]:
    # Unlisted: one of them is dated a day ahead (a donation within its cooling-off day at the snapshot's
    # time), and must not sit atop the `new` listing other modules read.
    return {"title": title, "source": "claude", "model": "Claude Sonnet 4", "visibility": "unlisted", "messages": [
        {"role": "user", "content": f"Explain {title} in two sentences."},
        {"role": "assistant", "content": answer}]}


def _patch(client, cid: str, token: str, body: dict[str, Any]):
    return client.http.patch(f"/api/conversations/{cid}", body=json.dumps(body), headers={
        "content-type": "application/json", "authorization": f"Bearer {token}", "x-forwarded-for": new_ip()})


def _preview(client, cid: str, token: str | None):
    headers = {"x-forwarded-for": new_ip(), **({"authorization": f"Bearer {token}"} if token else {})}
    return client.http.get(f"/api/conversations/{cid}/dataset", headers=headers)


def _shards(aws, manifest: dict[str, Any]) -> list[bytes]:
    return [aws["s3"].get_object(Bucket=BUCKET, Key=path.lstrip("/"))["Body"].read() for path in manifest["files"]]


def _rows(aws, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return [row for data in _shards(aws, manifest) for row in pq.read_table(io.BytesIO(data)).to_pylist()]


@pytest.fixture(scope="module")
def donated(empty_moto, client):
    """Nine conversations in every state the snapshot must judge, and the snapshot taken a day later."""
    from chalicelib import conversations, dataset

    now = time.time()
    made: dict[str, dict[str, Any]] = {}
    made["cc_by"] = share(_planted("Keys I leaked") | {"dataset": {"license": "CC-BY-4.0", "attribution": "Ada L."}},
                          now=now)
    # A real ChatGPT conversation (reasoning, a code run, search citations) as the extension reads it.
    real = read("chatgpt", CHATS / "chatgpt_browsing_citations.json")["payload"]
    made["cc0"] = share(real | {"dataset": {"license": "CC0-1.0"}}, now=now)
    made["kept_out"] = share(_chat("tides", "The Moon pulls the sea. Twice a day."), now=now)
    made["withdrawn"] = share(_chat("rainbows", "Light refracts in drops."), now=now)
    made["deleted"] = share(_chat("eclipses", "The Moon covers the Sun."), now=now)
    made["taken_down"] = share(_chat("comets", "Ice and dust near the Sun."), now=now)
    made["held"] = share(_chat("auroras", "Charged particles meet the air.") |
                         {"dataset": {"license": "CC0-1.0"}}, now=now)
    made["recent"] = share(_chat("meteors", "Dust burns in the air.") | {"dataset": {"license": "CC0-1.0"}},
                           now=now + 23.5 * 3600)
    # The same chat shared again and donated later: the snapshot keeps the first.
    made["duplicate"] = share(_planted("Keys I leaked, again") | {"dataset": {"license": "CC0-1.0"}}, now=now + 60)
    for name in ("withdrawn", "deleted", "taken_down"):
        answer = _patch(client, made[name]["id"], made[name]["deleteToken"], {"dataset": {"license": "CC0-1.0"}})
        assert answer.status_code == 200, answer.body
    assert _patch(client, made["withdrawn"]["id"], made["withdrawn"]["deleteToken"],
                  {"dataset": None}).status_code == 200
    deleted = client.http.delete(f"/api/conversations/{made['deleted']['id']}", headers={
        "authorization": f"Bearer {made['deleted']['deleteToken']}", "x-forwarded-for": new_ip()})
    assert deleted.status_code == 204
    conversations.take_down(made["taken_down"]["id"], "spam", "Spam.")
    conversations.set_held(made["held"]["id"], "moderators")
    figures = dataset.snapshot(now=now + 24 * 3600 + 600)
    return made, figures, dataset.latest()


def test_consent_is_stored_told_and_validated(client):
    created = create(client, _chat("glaciers", "Ice that flows.") | {
        "dataset": {"license": "CC-BY-4.0", "attribution": "  Ada   Lovelace "}})
    assert created["dataset"]["license"] == "CC-BY-4.0" and created["dataset"]["attribution"] == "Ada Lovelace"
    given = time.mktime(time.strptime(created["dataset"]["donatedAt"], "%Y-%m-%dT%H:%M:%SZ"))
    included = time.mktime(time.strptime(created["dataset"]["includedFrom"], "%Y-%m-%dT%H:%M:%SZ"))
    assert included - given == 24 * 3600  # the cooling-off day
    assert "dataset" not in create(client, _chat("dunes", "Wind-built sand."))  # off unless given
    for body, field in [({"license": "MIT"}, "dataset.license"),
                        ({"license": "CC0-1.0", "attribution": "Ada"}, "dataset"),
                        ({"license": "CC-BY-4.0", "attribution": " "}, "dataset.attribution"),
                        ({"license": "CC-BY-4.0", "extra": 1}, "dataset.extra")]:
        answer = post_json(client, _chat("fjords", "Drowned valleys.") | {"dataset": body})
        assert answer.status_code == 400 and body_of(answer)["error"]["field"] == field, (body, answer.body)
    # Withdrawn by PATCH null, given again with another license: the answer says what is stored.
    cid, token = created["id"], created["deleteToken"]
    answer = body_of(_patch(client, cid, token, {"dataset": None}))
    assert answer["dataset"] is None and answer["title"] == "glaciers"
    answer = body_of(_patch(client, cid, token, {"dataset": {"license": "CC0-1.0"}}))
    assert answer["dataset"]["license"] == "CC0-1.0" and answer["dataset"]["attribution"] is None
    assert _patch(client, cid, token, {"title": None}).status_code == 400  # only `dataset` may be null


def test_a_donation_alone_draws_no_page(client, aws):
    from chalicelib import keys

    created = create(client, _chat("geysers", "Heated groundwater erupts."))
    key = keys.page_object(created["id"])
    before = aws["s3"].head_object(Bucket=BUCKET, Key=key)["ETag"]
    assert _patch(client, created["id"], created["deleteToken"],
                  {"dataset": {"license": "CC0-1.0"}}).status_code == 200
    assert aws["s3"].head_object(Bucket=BUCKET, Key=key)["ETag"] == before


def test_the_owner_previews_exactly_what_is_published_scrubbed(client, donated, aws):
    made, _, manifest = donated
    owner = made["cc_by"]
    answer = _preview(client, owner["id"], owner["deleteToken"])
    assert answer.status_code == 200, answer.body
    preview = body_of(answer)
    assert preview["dataset"]["license"] == "CC-BY-4.0"
    text = json.dumps(preview["row"], ensure_ascii=False)
    for secret in ("jane.doe@example.org", "12 34 56 78", "555-0132", "203.0.113.42", "4111 1111 1111 1111",
                   "AKIAIOSFODNN7EXAMPLE", "ghp_1234567890", "s3cr3tV4lue9"):
        assert secret not in text, secret
    value = preview["row"]["conversations"][0]["value"]
    for placeholder in ("[EMAIL]", "[PHONE]", "[IP]", "[CARD]", "[SECRET]", "token=[SECRET]"):
        assert placeholder in value, placeholder
    assert "2024" in value and "3.11.2" in value and "12345" in value and "id=7" in value
    # Counted once each (the plain column repeats the blocks' text): two numbers, the address twice, ...
    assert preview["scrubbed"]["[PHONE]"] == 2 and preview["scrubbed"]["[EMAIL]"] == 2
    assert preview["scrubbed"]["[CARD]"] == 1 and preview["scrubbed"]["[IP]"] == 1
    # Exactly what the snapshot holds (the preview is the snapshot's own function).
    published = next(row for row in _rows(aws, manifest) if row["id"] == owner["id"])
    assert published["conversations"] == preview["row"]["conversations"]
    assert published["messages"] == preview["row"]["messages"]
    # The owner only.
    assert _preview(client, owner["id"], made["cc0"]["deleteToken"]).status_code == 403
    assert _preview(client, owner["id"], None).status_code == 401


def test_the_snapshot_holds_exactly_the_donations_past_their_day_still_given(donated, aws):
    made, figures, manifest = donated
    rows = _rows(aws, manifest)
    assert sorted(row["id"] for row in rows) == sorted([made["cc_by"]["id"], made["cc0"]["id"]])
    assert figures["rows"] == manifest["rows"] == 2 and figures["duplicates"] == 1
    by_id = {row["id"]: row for row in rows}
    cc_by, cc0 = by_id[made["cc_by"]["id"]], by_id[made["cc0"]["id"]]
    assert (cc_by["license"], cc_by["attribution"]) == ("CC-BY-4.0", "Ada L.")
    assert (cc0["license"], cc0["attribution"]) == ("CC0-1.0", None)
    assert cc_by["source"] == "chatgpt" and cc_by["model"] == "GPT-4o" and cc_by["title"] == "Keys I leaked"
    # Typed blocks keep the turn's structure: reasoning, the tool step with its link, the text.
    answer = cc_by["messages"][1]
    assert [b["type"] for b in answer["blocks"]] == ["reasoning", "tool", "text"]
    assert answer["blocks"][1]["links"][0]["url"].startswith("https://docs.aws.amazon.com/")
    assert "[SECRET]" in answer["blocks"][2]["text"] and "[EMAIL]" in answer["blocks"][2]["text"]
    assert [t["from"] for t in cc_by["conversations"]] == ["human", "gpt", "human", "gpt"]
    # The real conversation: its answers' typed blocks and a plain column alternating human and gpt.
    sides = [t["from"] for t in cc0["conversations"]]
    assert sides[0] == "human" and all(a != b for a, b in zip(sides, sides[1:], strict=False))
    assert {"tool", "text"} <= {b["type"] for m in cc0["messages"] for b in m["blocks"]}
    # No row holds an image's address (a picture cannot be scrubbed).
    assert "/media/" not in json.dumps([r["messages"] for r in rows], default=str)


def test_datasets_loads_it_and_fastchat_keeps_what_it_should(donated, aws, tmp_path, monkeypatch):
    made, _, manifest = donated
    # Not HF_HUB_OFFLINE: huggingface_hub reads it once, at import, and would then refuse the HTTP test's URLs.
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    files = []
    for n, data in enumerate(_shards(aws, manifest)):
        files.append(str(tmp_path / f"train-{n}.parquet"))
        (tmp_path / f"train-{n}.parquet").write_bytes(data)
    from datasets import load_dataset

    loaded = load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "cache"))["train"]
    assert loaded.num_rows == 2
    assert {"id", "license", "attribution", "messages", "conversations"} <= set(loaded.column_names)
    from fastchat.data.clean_sharegpt import clean_html_one_sample

    verdicts = {}
    for row in loaded:
        sample = {"id": row["id"], "conversations": [dict(t) for t in row["conversations"]]}
        cleaned, code = clean_html_one_sample(json.loads(json.dumps(sample)))
        verdicts[row["id"]] = (code, len(cleaned["conversations"]))
    # FastChat drops a chat that names OpenAI or ChatGPT (code 3) and keeps the rest, in human/gpt pairs.
    for row in loaded:
        text = " ".join(t["value"] for t in row["conversations"]).lower()
        expected = 3 if "openai" in text or "chatgpt" in text else 0
        assert verdicts[row["id"]][0] == expected, (row["id"], verdicts[row["id"]])
    assert verdicts[made["cc_by"]["id"]] == (0, 4)


def test_the_card_is_the_hubs_yaml_and_names_the_licenses(donated, aws):
    _, _, manifest = donated
    from huggingface_hub import DatasetCard

    text = aws["s3"].get_object(Bucket=BUCKET, Key=manifest["card"].lstrip("/"))["Body"].read().decode()
    card = DatasetCard(text)
    assert sorted(card.data.license) == ["cc-by-4.0", "cc0-1.0"]
    assert card.data.configs[0]["data_files"][0]["path"] == "data/train-*"
    assert card.data.task_categories == ["text-generation"]
    assert "Names, street addresses" in card.text and "withdraw" in card.text
    assert manifest["licenses"] == {"CC-BY-4.0": 1, "CC0-1.0": 1} or manifest["licenses"] == {
        "CC0-1.0": 1, "CC-BY-4.0": 1}


def test_a_takedown_rewrites_the_served_shard(donated, client, aws):
    from chalicelib import cdn, conversations, dataset

    made, _, manifest = donated
    gone = made["cc0"]["id"]
    assert dataset.apply_removals()["rewritten"] >= 0  # the fixture's own deletes and takedowns, done first
    del cdn.INVALIDATED[:]
    conversations.take_down(gone, "personal_info", "Someone's private information.")
    figures = dataset.apply_removals()
    assert figures["rows_removed"] == 1 and figures["rewritten"] >= 1
    rows = _rows(aws, manifest)
    assert [row["id"] for row in rows] == [made["cc_by"]["id"]]
    assert any(path.endswith(".parquet") for paths in cdn.INVALIDATED for path in paths)
    assert dataset.apply_removals() == {"removals": 0, "rewritten": 0, "rows_removed": 0}  # the queue is empty


def test_the_page_and_files_are_served(donated, client):
    _, _, manifest = donated
    page = client.http.get("/dataset", headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.body.decode()
    assert manifest["date"] in html and "load_dataset" in html and "CC-BY-4.0" in html and "withdraw" in html.lower()
    latest = client.http.get("/dataset/latest.json")
    assert latest.status_code == 200 and json.loads(latest.body)["date"] == manifest["date"]
    shard = client.http.get(manifest["files"][0], headers={"accept": "application/vnd.apache.parquet"})
    assert shard.status_code == 200 and shard.body[:4] == b"PAR1"
    assert client.http.get("/dataset/2020-01-01/README.md").status_code == 404
    assert client.http.get("/dataset/2020-01-01/secrets.txt").status_code == 404


def test_old_snapshots_expire(donated, aws):
    from chalicelib import dataset, keys

    aws["s3"].put_object(Bucket=BUCKET, Key=keys.dataset_object("2020-01-01", "README.md"), Body=b"old")
    _, _, manifest = donated
    assert dataset.expire() == ["2020-01-01"]
    assert manifest["date"] in dataset.served_days() and "2020-01-01" not in dataset.served_days()


def test_the_daily_job_fans_out_a_message_per_shard_and_the_last_worker_finishes(donated, aws):
    """Deployed, the schedule only queues (one message per shard); each `dataset_shards` Lambda writes its
    shard, and the one that completes the set writes the card and latest.json. A message worked twice counts
    once; a message that fails comes back alone."""
    import awscalls

    from app import dataset_shards
    from chalicelib import dataset, keys
    from chalicelib.aws import sqs

    started = dataset.start_snapshot(now=time.time() + 3 * 86400)
    assert started["shards"] == keys.DATASET_SHARDS
    with awscalls.paused():  # Lambda's poller, not the app
        url = dataset.queue_url()
        records = []
        while True:
            got = sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                break
            records += got
            for message in got:
                sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(records) == keys.DATASET_SHARDS
    events = [{"Records": [{"messageId": m["MessageId"], "body": m["Body"]}]} for m in records]
    for event in events[:-1] + events[:1]:  # every shard but one, and the first one again
        assert dataset_shards(event, None) == {"batchItemFailures": []}
    with pytest.raises(RuntimeError, match="not finished"):
        dataset.finished(started["date"])
    assert dataset_shards(events[-1], None) == {"batchItemFailures": []}
    assert dataset.finished(started["date"])["rows"] == dataset.latest()["rows"]
    assert dataset.latest()["date"] == started["date"]
    failed = dataset_shards({"Records": [{"messageId": "m-1", "body": "not json"}]}, None)
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_a_researcher_loads_the_latest_snapshot_over_http_in_three_lines(donated, chalice_local, tmp_path,
                                                                         monkeypatch):
    """The three lines the /dataset page and the card give, against `chalice local` serving /dataset/... as the
    CDN does (a glob cannot list files over HTTP: latest.json names them)."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    import requests
    from datasets import load_dataset

    site = chalice_local
    files = [site + f for f in requests.get(f"{site}/dataset/latest.json", timeout=30).json()["files"]]
    ds = load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "cache"))
    assert ds["train"].num_rows == requests.get(f"{site}/dataset/latest.json", timeout=30).json()["rows"] > 0
    page = requests.get(f"{site}/dataset", timeout=30).text
    assert "/dataset/latest.json" in page and 'requests.get(' in page


def test_an_oversized_donation_is_read_from_s3_by_the_preview_and_the_snapshot(client, aws):
    """A body past what an item holds lives in S3: the preview and the shard worker read it there."""
    import base64
    import os

    from chalicelib import dataset, keys
    from chalicelib.models import ConversationMeta

    blob = base64.b64encode(os.urandom(600_000)).decode()  # incompressible: past the item's 380 KB
    created = create(client, {"title": "A long paste", "messages": [
        {"role": "user", "content": "Summarise this, and write back to big@example.org."},
        {"role": "assistant", "content": blob}], "dataset": {"license": "CC0-1.0"}})
    meta = ConversationMeta.get(created["id"], keys.META)
    assert meta.body_key  # stored in S3
    preview = body_of(_preview(client, created["id"], created["deleteToken"]))
    assert "[EMAIL]" in preview["row"]["conversations"][0]["value"]
    assert len(preview["row"]["conversations"][1]["value"]) > 700_000
    result = dataset.write_shard("2099-01-01", int(meta.dataset_shard), int(time.time() * 1000) + 1000)
    import pyarrow.parquet as pq

    rows = pq.read_table(io.BytesIO(aws["s3"].get_object(Bucket=BUCKET, Key=result.key)["Body"].read())).to_pylist()
    assert created["id"] in [row["id"] for row in rows]


def test_a_conversation_deleted_while_its_shard_is_written_is_not_in_it(client, monkeypatch):
    """The shard is checked after it is stored: a delete that queued its removal before the file existed (the
    quarter-hourly rewrite then found nothing) is taken out by the writer itself."""
    import pyarrow.parquet as pq

    from chalicelib import dataset, keys
    from chalicelib.aws import s3
    from chalicelib.models import ConversationMeta

    created = create(client, _chat("Deleted mid-write", "Gone before the upload.") | {
        "dataset": {"license": "CC0-1.0"}})
    shard = int(ConversationMeta.get(created["id"], keys.META).dataset_shard)
    upload = dataset._upload
    deletes = []

    def delete_first(path: str, key: str) -> None:
        if deletes:  # the writer's own rewrite, after the check
            return upload(path, key)
        deletes.append(1)
        deleted = client.http.delete(f"/api/conversations/{created['id']}", headers={
            "authorization": f"Bearer {created['deleteToken']}", "x-forwarded-for": new_ip()})
        assert deleted.status_code == 204
        dataset.apply_removals()  # runs now, before the file exists: nothing to rewrite
        upload(path, key)

    monkeypatch.setattr(dataset, "_upload", delete_first)
    result = dataset.write_shard("2099-03-03", shard, int(time.time() * 1000) + 1000)
    monkeypatch.setattr(dataset, "_upload", upload)
    body = s3().get_object(Bucket=BUCKET, Key=result.key)["Body"].read()
    ids = [r["id"] for r in pq.read_table(io.BytesIO(body)).to_pylist()]
    assert created["id"] not in ids
    # The card's figures are the file's: the row taken out is not counted, nor are its bytes.
    assert result.rows == len(ids) and result.bytes == len(body)
    assert sum(result.tally.get("license", {}).values()) == len(ids)
    assert sum(result.tally.get("source", {}).values()) == len(ids)
