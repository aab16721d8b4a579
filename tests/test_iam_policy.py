"""The stage's IAM policy allows every AWS call the app makes: each path driven once here (the whole run's
calls are checked again when the session finishes, in conftest.py)."""
from __future__ import annotations

import base64
import os

import awscalls
import pytest
from conftest import BUCKET, TABLE_PREFIX, body_of, chat, create
from iam import ACCOUNT, REGION, _table_arn, allowed, missing, needed
from test_accounts import sign_up

from scripts.policy import render

pytestmark = pytest.mark.api


def test_every_aws_call_the_app_made_is_allowed_by_the_stage_policy(client, aws):
    # Each path once, so the check stands on its own.
    from media_files import generated_png

    from chalicelib import jobs

    png = base64.b64encode(generated_png(3, 2)).decode()
    big = base64.b64encode(os.urandom(600_000)).decode()
    created = create(client, {**chat(title="policy check", visibility="public"),
                              "avatarUrl": "data:image/png;base64," + png})
    oversized = create(client, {"messages": [{"role": "user", "content": big}]})
    for path in (f"/api/conversations/{created['id']}", f"/api/conversations/{oversized['id']}",
                 "/api/conversations?type=new", "/api/conversations?type=top", "/api/conversations?search=policy",
                 "/api/conversations/count", "/api/conversations/count?search=policy", "/", "/sitemap.xml",
                 f"/c/{created['id']}"):
        assert client.http.get(path).status_code == 200, path
    from cdn_log_files import hit, put_log

    put_log(aws, BUCKET, [hit(created["id"], "198.51.100.1", 1_780_000_000)])
    jobs.fold_views()
    # Accounts: own, save, comment, then leave (which deletes the Cognito user).
    person = sign_up(client, "Policy")
    owned = body_of(person.call("POST", "/api/conversations", chat(2)))["id"]
    person.call("POST", f"/api/conversations/{created['id']}/save")
    person.call("POST", f"/api/conversations/{created['id']}/comments", {"position": 0, "content": "hi"})
    for path in ("/api/me/saves", "/api/me/conversations", f"/api/me/status?ids={owned}&owned=1",
                 f"/api/conversations/{created['id']}/comments"):
        assert person.call("GET", path).status_code == 200, path
    # Anonymized, the comment stays: deleting the conversation below batch-deletes it.
    assert person.call("DELETE", "/api/me", {"mode": "anonymize"}).status_code == 200
    for done in (created, oversized):
        response = client.http.delete(f"/api/conversations/{done['id']}",
                                      headers={"authorization": f"Bearer {done['deleteToken']}"})
        assert response.status_code == 204

    from chalicelib import auth

    operations = {action for action, _ in needed(awscalls.RECORDED)}
    assert {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
            "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem", "s3:PutObject", "s3:GetObject",
            "s3:DeleteObject", "s3:ListBucket", "cognito-idp:AdminDeleteUser"} <= operations
    refused = missing(awscalls.RECORDED, TABLE_PREFIX, BUCKET, auth.pool()[0])
    assert refused == [], f"add these to infra/policy.json: {refused}"


def test_the_check_itself_refuses_what_the_policy_does_not_grant():
    policy = render(TABLE_PREFIX, BUCKET, REGION, ACCOUNT)
    assert not allowed(policy, "dynamodb:Scan", _table_arn(f"{TABLE_PREFIX}-conversations"))
    assert not allowed(policy, "dynamodb:DeleteTable", _table_arn(f"{TABLE_PREFIX}-conversations"))
    assert not allowed(policy, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/elsewhere/x")
    assert not allowed(policy, "dynamodb:GetItem", _table_arn("someone-elses-table"))
    assert allowed(policy, "dynamodb:Query", _table_arn(f"{TABLE_PREFIX}-conversations", "top"))
