"""Every AWS operation the app performed in this test run must be allowed by the deployed policy.

Named to run last: by then tests/awscalls.py has seen every create, read, list, search, view, roll-up and
delete the suite drove in-process. This module drives each path once itself too, so it is not vacuous
when run alone. A new AWS call without a permission in infra/policy.json fails here, not in production.
"""
from __future__ import annotations

import base64
import os
from fnmatch import fnmatchcase

import awscalls
from conftest import BUCKET, TABLE_PREFIX, body_of, chat, create
from test_accounts import sign_up

from scripts.policy import render

REGION, ACCOUNT = "us-east-1", "123456789012"  # moto's account
TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem"}
S3_ACTIONS = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject",
              "DeleteObject": "s3:DeleteObject", "ListObjectsV2": "s3:ListBucket"}


# Cognito's user API is called unsigned (as a browser would): it needs no IAM permission at all.
COGNITO_PUBLIC = {"SignUp", "ConfirmSignUp", "InitiateAuth", "ForgotPassword", "ConfirmForgotPassword", "RevokeToken"}
# Made only by the local stage (finding moto's pool, confirming sign-ups) and by devstack's set-up.
COGNITO_LOCAL_ONLY = {"ListUserPools", "ListUserPoolClients", "AdminConfirmSignUp", "CreateUserPool",
                      "CreateUserPoolClient"}


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def required(service: str, operation: str, brief: dict) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one recorded call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [(f"dynamodb:{TRANSACT_ACTIONS[kind]}", _table_arn(table)) for kind, table in brief["Items"]]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table_arn(table)) for table in brief["Tables"]]
        return [(f"dynamodb:{operation}", _table_arn(brief["TableName"], brief.get("IndexName")))]
    if service == "s3":
        action = S3_ACTIONS[operation]
        resource = f"arn:aws:s3:::{brief['Bucket']}" + ("" if action == "s3:ListBucket" else f"/{brief['Key']}")
        return [(action, resource)]
    if service == "cognito-idp":
        if operation in COGNITO_PUBLIC or operation in COGNITO_LOCAL_ONLY:
            return []
        return [(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{brief['UserPoolId']}")]
    if service == "secretsmanager":
        return [(f"secretsmanager:{operation}", brief["SecretId"])]
    if service == "cloudfront":
        return [(f"cloudfront:{operation}", f"arn:aws:cloudfront::{ACCOUNT}:distribution/{brief['DistributionId']}")]
    return [(f"{service}:{operation}", "*")]


def allowed(policy: dict, action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and any(fnmatchcase(action, a) for a in actions) and \
                any(fnmatchcase(resource, r) for r in resources):
            return True
    return False


def test_every_aws_call_the_app_made_is_allowed_by_the_stage_policy(client):
    from chalicelib import views

    # Each path once, so the check stands on its own.
    png = base64.b64encode(bytes.fromhex("89504e470d0a1a0a") + os.urandom(64)).decode()
    big = base64.b64encode(os.urandom(600_000)).decode()
    created = create(client, {**chat(title="policy check", visibility="public"),
                              "avatarUrl": "data:image/png;base64," + png})
    oversized = create(client, {"messages": [{"role": "user", "content": big}]})
    for path in (f"/api/conversations/{created['id']}", f"/api/conversations/{oversized['id']}",
                 "/api/conversations?type=new", "/api/conversations?type=top", "/api/conversations?search=policy",
                 "/api/conversations/count", "/api/conversations/count?search=policy", "/", "/sitemap.xml",
                 f"/c/{created['id']}"):
        assert client.http.get(path).status_code == 200, path
    client.http.post(f"/api/conversations/{created['id']}/view", headers={"x-forwarded-for": "198.51.100.1"})
    views.roll_up()
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

    policy = render(TABLE_PREFIX, BUCKET, REGION, ACCOUNT, auth.pool()[0])
    seen = {(action, resource) for service, operation, brief in awscalls.RECORDED
            for action, resource in required(service, operation, brief)}
    operations = {action for action, _ in seen}
    assert {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan",
            "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem", "s3:PutObject", "s3:GetObject",
            "s3:DeleteObject", "cognito-idp:AdminDeleteUser"} <= operations
    missing = sorted((action, resource) for action, resource in seen if not allowed(policy, action, resource))
    assert missing == [], f"add these to infra/policy.json: {missing}"


def test_the_check_itself_refuses_what_the_policy_does_not_grant():
    policy = render(TABLE_PREFIX, BUCKET, REGION, ACCOUNT)
    assert not allowed(policy, "dynamodb:Scan", _table_arn(f"{TABLE_PREFIX}-conversations"))
    assert not allowed(policy, "dynamodb:DeleteTable", _table_arn(f"{TABLE_PREFIX}-conversations"))
    assert not allowed(policy, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/elsewhere/x")
    assert not allowed(policy, "dynamodb:GetItem", _table_arn("someone-elses-table"))
    assert allowed(policy, "dynamodb:Query", _table_arn(f"{TABLE_PREFIX}-conversations", "top"))
