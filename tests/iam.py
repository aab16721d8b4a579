"""Whether the deployed IAM policy allows every AWS call the app made (tests/awscalls.py records them).

Checked twice: by tests/test_iam_policy.py, which drives every path once, and at the end of every test run
over all the calls the whole run made (conftest.py's pytest_sessionfinish), so a new AWS call without a
permission in infra/policy.json fails the run, not production.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

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
                      "CreateUserPoolClient", "CreateGroup"}


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def required(service: str, operation: str, brief: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one recorded call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [(f"dynamodb:{TRANSACT_ACTIONS[kind]}", _table_arn(table)) for kind, table in brief["Items"]]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table_arn(table)) for table in brief["Tables"]]
        return [(f"dynamodb:{operation}", _table_arn(brief["TableName"], brief.get("IndexName")))]
    if service == "s3":
        if operation == "CreateBucket":
            # botocore builds a presigned POST through the CreateBucket model (nothing is sent); the browser's
            # POST it signs is a PutObject under uploads/ with the role's rights.
            return [("s3:PutObject", f"arn:aws:s3:::{brief['Bucket']}/uploads/x")]
        if operation == "PutObject" and brief.get("Key", "").startswith("cdn-logs/"):
            return []  # the local stack writing access logs as CloudFront would: no deployed code does this
        action = S3_ACTIONS[operation]
        resource = f"arn:aws:s3:::{brief['Bucket']}" + ("" if action == "s3:ListBucket" else f"/{brief['Key']}")
        return [(action, resource)]
    if service == "cognito-idp":
        if operation in COGNITO_PUBLIC or operation in COGNITO_LOCAL_ONLY:
            return []
        return [(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{brief['UserPoolId']}")]
    if service in _RESOURCE:
        action = "SendMessage" if operation == "SendMessageBatch" else operation  # IAM has no SendMessageBatch
        return [(f"{service}:{action}", _RESOURCE[service](brief))]
    return [(f"{service}:{operation}", "*")]


# Services whose calls name one resource: the ARN each call's parameters give.
_RESOURCE = {
    "secretsmanager": lambda brief: brief["SecretId"],
    "sns": lambda brief: brief["TopicArn"],
    "cloudfront": lambda brief: f"arn:aws:cloudfront::{ACCOUNT}:distribution/{brief['DistributionId']}",
    # A queue by its URL (.../<account>/<name>) or its name.
    "sqs": lambda brief: f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
                         + (brief.get("QueueName") or brief["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]),
}


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if statement["Effect"] == "Allow" and any(fnmatchcase(action, a) for a in actions) and \
                any(fnmatchcase(resource, r) for r in resources):
            return True
    return False


def needed(recorded: list[tuple[str, str, dict[str, Any]]]) -> set[tuple[str, str]]:
    """(IAM action, resource) pairs the recorded calls need."""
    return {(action, resource) for service, operation, brief in recorded
            for action, resource in required(service, operation, brief)}


def missing(recorded: list[tuple[str, str, dict[str, Any]]], table_prefix: str, bucket: str,
            pool_id: str = "*") -> list[tuple[str, str]]:
    """What the stage's policy would refuse of the recorded calls."""
    policy = render(table_prefix, bucket, REGION, ACCOUNT, pool_id)
    return sorted(pair for pair in needed(recorded) if not allowed(policy, *pair))

