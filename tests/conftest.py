"""Test fixtures: a real moto server over HTTP for the whole session, the app through
chalice.test.Client in-process, and the real `chalice local` process for end-to-end tests.

The environment is set here, at import time, before the first request reads the settings (they are read
once per process, as in Lambda, when first needed: importing `app` or `chalicelib.models` reads nothing).
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apispec
import awscalls
import pytest

from scripts import devstack

awscalls.install()  # before any botocore session exists: every session created later is recorded

# Normally a moto server of our own with resources made from the models. With SHAREGPT_TEST_STACK set (to
# the endpoint of a moto server where infra/stack.yaml was deployed), the tests use that stack's tables and
# bucket instead: tests/test_infra.py runs the API tests that way, so the template cannot drift from the code.
STACK_ENDPOINT = os.environ.get("SHAREGPT_TEST_STACK")
MOTO_PORT = int(STACK_ENDPOINT.rsplit(":", 1)[1]) if STACK_ENDPOINT else devstack.free_port()
TABLE_PREFIX = os.environ["TABLE_PREFIX"] if STACK_ENDPOINT else "sharegpt-test"
BUCKET = os.environ["BUCKET_NAME"] if STACK_ENDPOINT else "sharegpt-test"
CHALICE_PORT = devstack.free_port()
# The site is the real `chalice local` process, so pages' own links and default avatars load in the browser.
SITE = f"http://127.0.0.1:{CHALICE_PORT}"
ENV = devstack.local_env(MOTO_PORT, TRUSTED_PROXY_HOPS="1", SITE_URL=SITE,
                         SHORT_URL="http://s.test", TABLE_PREFIX=TABLE_PREFIX, BUCKET_NAME=BUCKET,
                         # A day-long comment window: the rate-limit test's burst cannot straddle two windows.
                         COMMENT_LIMIT="30", COMMENT_WINDOW_SECONDS="86400",
                         # Every browser share comes from 127.0.0.1, and the Chromium and Firefox tiers share more
                         # than the default 20 in one 10-minute window; the limit's own tests fill or lower it.
                         CREATE_LIMIT="200", EDIT_LIMIT="200",
                         # The fault sweep holds hundreds of conversations an hour; the budget's own test sets it.
                         HOLD_BUDGET_PER_HOUR="100000")
os.environ.update(ENV)
ARTIFACTS = Path(__file__).parent / "artifacts"
_STARTED = time.time()

# A real 1x1 JPEG, as a canvas' toDataURL("image/jpeg") gives (the avatar is decoded: it must be whole).
JPEG_B64 = ("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQ"
            "CgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
            "EBD/wAARCAABAAEDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQID"
            "AAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlq"
            "c3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3"
            "+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEI"
            "FEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImK"
            "kpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCp"
            "RRRX4ef0gf/Z")
JPEG_DATA_URI = "data:image/jpeg;base64," + JPEG_B64

_ips = itertools.count(1)


def new_ip() -> str:
    """A distinct client address (TEST-NET-3 and beyond, only ever a header value)."""
    n = next(_ips)
    return f"198.18.{n // 250}.{n % 250 + 1}"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    ARTIFACTS.mkdir(exist_ok=True)
    if STACK_ENDPOINT:
        yield STACK_ENDPOINT
        return
    with open(ARTIFACTS / "moto.log", "wb") as log:
        process = devstack.start_moto(MOTO_PORT, log=log)
        try:
            with awscalls.paused():
                devstack.create_resources()
            yield ENV["AWS_ENDPOINT_URL"]
        finally:
            devstack.stop(process)


@pytest.fixture(scope="module")
def empty_moto(moto_server: str) -> str:
    """An emptied moto server, for a module whose tests count what is listed."""
    import urllib.request

    if STACK_ENDPOINT:
        pytest.skip("counts listings on an emptied server; a deployed stack is shared")
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    with awscalls.paused():
        devstack.create_resources()
    return moto_server


@pytest.fixture(scope="session")
def client(moto_server: str):
    from chalice.test import Client

    from app import app

    # The "local" stage: its config sets only what ENV sets too (the default "dev" would override our settings).
    with Client(app, stage_name="local") as test_client:
        apispec.record(test_client.http)
        yield test_client


@pytest.fixture(scope="session")
def chalice_local(moto_server: str) -> Iterator[str]:
    with open(ARTIFACTS / "chalice-local.log", "wb") as log:
        process = devstack.start_chalice(CHALICE_PORT, ENV, log=log)
        try:
            yield SITE
        finally:
            devstack.stop(process)


# Anything not on loopback goes to a dead local proxy: a page under test can never reach (or even look
# up) another host, whatever its content tries.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic", "--proxy-server=http://127.0.0.1:9",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's Chromium driven by Playwright (its own browser download is never used)."""
    chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def aws(moto_server: str):
    """Raw boto3 clients for looking at what was stored."""
    import boto3

    kwargs = dict(endpoint_url=moto_server, region_name="us-east-1")
    return {"dynamodb": awscalls.ignore(boto3.client("dynamodb", **kwargs)),
            "s3": awscalls.ignore(boto3.client("s3", **kwargs))}


def cloudfront_distribution(endpoint: str, reference: str) -> tuple[str, Any]:
    """A CloudFront distribution on the moto server at `endpoint`; (its id, a CloudFront client of the test's
    own, whose calls are not the app's)."""
    import boto3

    cloudfront = awscalls.ignore(boto3.client("cloudfront", endpoint_url=endpoint, region_name="us-east-1"))
    made = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": f"{reference}-{time.time_ns()}", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "api", "DomainName": "api.example.test",
                                               "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                      "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                  "Cookies": {"Forward": "none"}}}},
    )["Distribution"]["Id"]
    return made, cloudfront


def post_json(client, body: Any, *, ip: str | None = None, raw: bytes | str | None = None,
              content_type: str = "application/json", path: str = "/api/conversations"):
    headers = {"content-type": content_type, "x-forwarded-for": ip or new_ip()}
    return client.http.post(path, headers=headers, body=raw if raw is not None else json.dumps(body))


def body_of(response) -> Any:
    return json.loads(response.body) if response.body else None


def create(client, payload: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    response = post_json(client, payload, ip=ip)
    assert response.status_code == 201, response.body
    return body_of(response)


def share(body: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Create a conversation in this process as the API's route does (sharing.create on the JSON body)."""
    from chalicelib import sharing

    return sharing.create(json.dumps(body).encode(), **options)


def chat(n: int = 2, title: str | None = None, visibility: str = "unlisted", **extra: Any) -> dict[str, Any]:
    """A rich-shape conversation of `n` turns."""
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(n)]
    return {"title": title, "visibility": visibility, "messages": messages, **extra}


def scan_all(aws, table: str) -> list[dict[str, Any]]:
    """Everything in a table (tests only: the app never scans on a request path)."""
    items, kwargs = [], {"TableName": f"{TABLE_PREFIX}-{table}"}
    while True:
        page = aws["dynamodb"].scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def partition(aws, conversation_id: str) -> list[dict[str, Any]]:
    """Every item of one conversation (meta, body, saves, comments): one consistent Query."""
    return aws["dynamodb"].query(TableName=f"{TABLE_PREFIX}-conversations", ConsistentRead=True,
                                 KeyConditionExpression="id = :id",
                                 ExpressionAttributeValues={":id": {"S": conversation_id}})["Items"]


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "PutObject",
           "DeleteObject", "CopyObject"}


@contextmanager
def nothing_stored() -> Iterator[None]:
    """Asserts the app wrote nothing inside the block (from the suite's record of its AWS calls) but rate-limit
    and view counters: no conversation, search entry, object or account change."""
    start = len(awscalls.RECORDED)
    yield
    counters = f"{TABLE_PREFIX}-counters"
    writes = [(operation, brief) for _, operation, brief in awscalls.RECORDED[start:]
              if operation in _WRITES and brief.get("TableName") != counters]
    assert writes == [], f"expected no writes, the app made: {writes}"


def serious_violations(page) -> list:
    """What axe-core (from node_modules, evaluated through DevTools: the page's CSP does not apply) finds
    serious or critical on the page as it is now: (rule, first targets)."""
    page.evaluate((Path(__file__).parent.parent / "node_modules" / "axe-core" / "axe.min.js").read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------- tiers, and the run's own checks

# Every test belongs to one tier (a marker, set per module with `pytestmark`): `make test-fast` runs unit and
# api, `make test` all of them. Registered in pytest.ini.
TIERS = ("unit", "api", "browser", "infra", "fuzz", "faults")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tiers = {mark.name for mark in item.iter_markers() if mark.name in TIERS}
        if len(tiers) != 1:
            raise pytest.UsageError(f"{item.nodeid}: mark it with exactly one tier of {TIERS}, not {sorted(tiers)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Whatever ran, every AWS call the app made must be allowed by the stage's IAM policy, and every answer
    the API tests saw must be documented in /api/openapi.json."""
    from iam import missing

    if STACK_ENDPOINT:
        return
    failures = []
    if awscalls.RECORDED:
        pools = {brief["UserPoolId"] for _, _, brief in awscalls.RECORDED if "UserPoolId" in brief}
        refused = missing(awscalls.RECORDED, TABLE_PREFIX, BUCKET, pools.pop() if len(pools) == 1 else "*")
        if refused:
            failures.append(f"The app made AWS calls infra/policy.json does not allow; add these: {refused}")
    if apispec.SEEN:
        from chalicelib import openapi

        answers = apispec.undocumented(openapi.spec())
        if answers:
            failures.append(f"The API answered what /api/openapi.json does not document: {answers}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for message in failures:
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        else:
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault sweep's table, when this run made one (tests/test_faults.py)."""
    summary = ARTIFACTS / "fault-sweep-summary.txt"
    if summary.exists() and summary.stat().st_mtime >= _STARTED:
        terminalreporter.write_sep("-", "fault sweep: each write path, each AWS call failing in turn")
        for line in summary.read_text().splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(every run: {ARTIFACTS / 'fault-sweep.md'})")
