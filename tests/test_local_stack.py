"""The moto we serve (scripts/moto_serial.py and its patches) at size: transactions stay
all-or-nothing, and creates do not slow down as the table grows (moto's own rollback copied the whole
table for every item of every transaction, so creates grew quadratically).

`make bench-scale` prints the real figures at 10,000 conversations; this only guards against a return
of the growth, with a bound loose enough for a busy CI machine. `make run PERSIST=...` keeps moto's state
across restarts.
"""
from __future__ import annotations

import json
import statistics
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import TABLE_PREFIX, chat

from scripts import devstack

pytestmark = pytest.mark.infra

TABLE = f"{TABLE_PREFIX}-conversations"


@pytest.fixture(scope="module")
def fresh_moto(empty_moto: str):
    yield empty_moto
    # Leave an empty stack behind: 2,000 conversations would only slow the modules after this one.
    import awscalls

    urllib.request.urlopen(urllib.request.Request(f"{empty_moto}/moto-api/reset", method="POST"))
    with awscalls.paused():
        devstack.create_resources()


def _keys(aws, prefix: str) -> list[tuple[str, str]]:
    found = aws["dynamodb"].query(TableName=TABLE, KeyConditionExpression="id = :id",
                                  ExpressionAttributeValues={":id": {"S": prefix}})["Items"]
    return sorted((i["id"]["S"], i["part"]["S"]) for i in found)


def test_failing_condition_on_the_last_item_writes_nothing_and_reports_reasons_in_order(fresh_moto, aws):
    db = aws["dynamodb"]
    db.put_item(TableName=TABLE, Item={"id": {"S": "txA"}, "part": {"S": "meta"}, "n": {"N": "1"}})
    db.put_item(TableName=TABLE, Item={"id": {"S": "txB"}, "part": {"S": "meta"}})

    with pytest.raises(ClientError) as exc:
        db.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"id": {"S": "txA"}, "part": {"S": "body"}}}},
            {"Update": {"TableName": TABLE, "Key": {"id": {"S": "txA"}, "part": {"S": "meta"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"id": {"S": "txB"}, "part": {"S": "meta"}}}},
            {"Put": {"TableName": TABLE, "Item": {"id": {"S": "txA"}, "part": {"S": "meta2"}},
                     "ConditionExpression": "attribute_exists(id)"}},
        ])

    assert exc.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in exc.value.response["CancellationReasons"]] == [
        "None", "None", "None", "ConditionalCheckFailed"]
    assert _keys(aws, "txA") == [("txA", "meta")]
    assert _keys(aws, "txB") == [("txB", "meta")]
    meta = db.get_item(TableName=TABLE, Key={"id": {"S": "txA"}, "part": {"S": "meta"}})["Item"]
    assert meta["n"] == {"N": "1"}  # the update was rolled back too


def test_two_thousand_creates_keep_a_flat_latency(fresh_moto):
    from chalicelib import sharing

    request = json.dumps(chat(4, title="Flat latency at size", visibility="public")).encode()
    latencies = []
    for _ in range(2000):
        t = time.perf_counter()
        sharing.create(request)
        latencies.append(time.perf_counter() - t)

    first, last = statistics.median(latencies[:200]), statistics.median(latencies[-200:])
    # Quadratic growth made the last creates ~7x slower than the first by 1,000 conversations.
    assert last < 3 * first, f"median of the first 200 {first * 1000:.1f} ms, of the last 200 {last * 1000:.1f} ms"


def test_persist_keeps_tables_objects_and_user_pools_across_a_restart(tmp_path):
    import boto3

    path = str(tmp_path / "state.pickle")
    port = devstack.free_port()
    endpoint = f"http://127.0.0.1:{port}"

    def clients():  # the test's own (awscalls: not the app's calls)
        import awscalls

        kwargs = dict(endpoint_url=endpoint, region_name="us-east-1")
        return tuple(awscalls.ignore(boto3.client(service, **kwargs)) for service in ("dynamodb", "s3", "cognito-idp"))

    moto = devstack.start_moto(port, persist=path)
    try:
        db, s3, idp = clients()
        db.create_table(TableName="kept", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
        db.put_item(TableName="kept", Item={"pk": {"S": "a"}, "n": {"N": "7"}})
        s3.create_bucket(Bucket="kept-bucket")
        s3.put_object(Bucket="kept-bucket", Key="k", Body=b"x" * 3_000_000)  # big enough to spill to disk
        pool = idp.create_user_pool(PoolName="kept-pool")["UserPool"]["Id"]
    finally:
        devstack.stop(moto, timeout=60)
    assert moto.returncode == 0

    moto = devstack.start_moto(port, persist=path)
    try:
        db, s3, idp = clients()
        assert db.get_item(TableName="kept", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "7"}
        assert s3.get_object(Bucket="kept-bucket", Key="k")["Body"].read() == b"x" * 3_000_000
        assert pool in {p["Id"] for p in idp.list_user_pools(MaxResults=10)["UserPools"]}
        db.put_item(TableName="kept", Item={"pk": {"S": "b"}})
    finally:
        devstack.stop(moto, timeout=60)

    moto = devstack.start_moto(port, persist=path)
    try:
        db, _, _ = clients()
        assert db.scan(TableName="kept")["Count"] == 2  # the second run's write was saved too
    finally:
        devstack.stop(moto, timeout=60)


def test_a_burst_of_fifty_creates_gets_no_connection_reset(chalice_local):
    import json
    import threading
    import urllib.request

    from conftest import new_ip

    barrier = threading.Barrier(50)
    statuses: list[object] = []

    def create() -> None:
        request = urllib.request.Request(
            f"{chalice_local}/api/conversations", method="POST", data=json.dumps(chat(2)).encode(),
            headers={"content-type": "application/json", "x-forwarded-for": new_ip()})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                statuses.append(answer.status)
        except Exception as exc:  # noqa: BLE001 - a reset is what this test looks for
            statuses.append(repr(exc))

    threads = [threading.Thread(target=create) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 50


def test_make_run_seed_loads_realistic_conversations_through_the_domain(fresh_moto):
    from chalicelib import jobs, listings
    from scripts.seed import DEMOS, seed

    before = listings.count_public()[0]
    assert seed(300) == len(DEMOS) + 300
    jobs.fold_views()

    public = listings.count_public()[0] - before
    assert 60 <= public <= 200  # about 40% of the generated ones, plus three demos
    top, _ = listings.list_public("top", size=50)
    assert top[0]["views"] > 0 and any(row["saves"] for row in top)
    assert listings.count_public("python")[0] > 0  # titles share real words: search has work to do


# ---------------------------------------------------------------- the database down or frozen (issue 12, finding 12)
# A `chalice local` of its own against a database that is gone or never answers: bounded by the timeouts.

@pytest.fixture(scope="module")
def frozen_database():
    """A TCP server that accepts connections and never answers."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize("database", ["stopped", "frozen"])
def test_an_unreachable_database_is_a_503_and_pages_without_it_still_work(database, frozen_database):
    import time

    import requests
    from conftest import ENV

    from scripts import devstack

    endpoint = frozen_database if database == "frozen" else f"http://127.0.0.1:{devstack.free_port()}"
    port = devstack.free_port()
    server = devstack.start_chalice(port, {**ENV, "AWS_ENDPOINT_URL": endpoint, "SITE_URL": f"http://127.0.0.1:{port}",
                                           "AWS_READ_TIMEOUT": "1", "AWS_CONNECT_TIMEOUT": "1",
                                           "AWS_MAX_ATTEMPTS": "2"})
    site = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        answer = requests.get(f"{site}/api/conversations/AbCdEf1", timeout=60)
        took = time.monotonic() - started
        assert answer.status_code == 503, answer.text[:300]
        assert answer.json()["error"]["code"] == "unavailable" and answer.headers["Retry-After"]
        assert took < 20  # bounded by the timeouts, not by the database
        page = requests.get(f"{site}/explore", headers={"accept": "text/html"}, timeout=60)
        assert page.status_code == 503 and "<html" in page.text
        redirect = requests.get(f"{site}/AbCdEf1", allow_redirects=False, timeout=10)
        assert redirect.status_code == 301
        assert requests.get(f"{site}/identicons/AbCdEf1.svg", timeout=10).status_code == 200
        assert requests.get(f"{site}/robots.txt", timeout=10).status_code == 200
    finally:
        devstack.stop(server)


def test_a_frozen_store_makes_the_page_route_a_503_inside_the_lambda_limit(tmp_path):
    """A moto of its own holding a conversation, then frozen (SIGSTOP: connections are accepted, nothing
    answers): /c/<id> reads S3 first, and must give up inside the Lambda's 30 s with the default timeouts and
    retries, not hang (it took more than 35 s with S3's 10 s reads)."""
    import json
    import os
    import signal
    import subprocess
    import sys

    import requests
    from conftest import ENV

    moto_port, port = devstack.free_port(), devstack.free_port()
    env = {key: value for key, value in ENV.items() if not key.startswith("AWS_") or key in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")}
    env.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}", "SITE_URL": f"http://127.0.0.1:{port}"})
    with open(tmp_path / "moto.log", "wb") as log:
        moto = devstack.start_moto(moto_port, log=log)
    server = None
    try:
        subprocess.run([sys.executable, "-c", "from scripts import devstack; devstack.create_resources()"],
                       env={**os.environ, **env}, check=True, cwd=devstack.ROOT)
        server = devstack.start_chalice(port, env)
        site = f"http://127.0.0.1:{port}"
        made = requests.post(f"{site}/api/conversations", data=json.dumps(chat(2, title="Frozen")), timeout=30,
                             headers={"content-type": "application/json"})
        assert made.status_code == 201, made.text
        cid = made.json()["id"]
        assert requests.get(f"{site}/c/{cid}", timeout=30).status_code == 200
        os.kill(moto.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            answer = requests.get(f"{site}/c/{cid}", headers={"accept": "text/html"}, timeout=60)
            took = time.monotonic() - started
        finally:
            os.kill(moto.pid, signal.SIGCONT)
        assert answer.status_code == 503 and answer.headers["Retry-After"] and "<html" in answer.text
        assert took < 30, took
    finally:
        devstack.stop(server, moto)


@pytest.mark.parametrize("variable, port", [("MOTO_PORT", 5060), ("PORT", 6000)])
def test_make_run_refuses_a_port_browsers_block_with_a_sentence(variable, port):
    """Chromium refuses port 5060 (ERR_UNSAFE_PORT) before sending a byte: image uploads to a moto there failed
    with only "Failed to fetch". `make run` says so at once, naming the port, and starts nothing."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    other = "--moto-port" if variable == "PORT" else "--port"
    flag = "--port" if variable == "PORT" else "--moto-port"
    result = subprocess.run([sys.executable, "scripts/run_local.py", flag, str(port), other, str(devstack.free_port())],
                            cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{variable}={port} is a port browsers refuse to connect to" in result.stderr, result.stderr
    assert "ERR_UNSAFE_PORT" in result.stderr
    assert not devstack.port_in_use(port)  # nothing was started there
