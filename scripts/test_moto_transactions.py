"""moto_transactions.py in moto's own test style (in-process `mock_aws`, boto3 clients).

Run apart from tests/ (`make test` runs it in its own pytest process): tests/ talks to a moto server over
HTTP, and the two must not share a process.
"""
from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from scripts import moto_transactions

moto_transactions.install()

TABLE = "transact-test"


def _table(client, stream: bool = False) -> None:
    kwargs = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST", **kwargs)


def _all(client) -> list[dict]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _put(pk: str, sk: str, **attrs) -> dict:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, **attrs}}}


@mock_aws
def test_transact_write_items_failing_condition_on_last_item_writes_nothing():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    client.put_item(TableName=TABLE, Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "5"}})
    before = _all(client)

    with pytest.raises(ClientError) as exc:
        client.transact_write_items(TransactItems=[
            _put("c", "1"),  # new item
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}}}},
            _put("c", "2", x={"S": "y"}),
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}},
                     "ConditionExpression": "attribute_exists(pk)"}},
        ])

    err = exc.value.response["Error"]
    assert err["Code"] == "TransactionCanceledException"
    reasons = exc.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "None", "ConditionalCheckFailed"]
    assert _all(client) == before


@mock_aws
def test_transact_write_items_rolls_back_earlier_items_when_a_middle_one_fails():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    before = _all(client)

    with pytest.raises(ClientError) as exc:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "z"}, "sk": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
            _put("new", "1"),
        ])

    reasons = exc.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert _all(client) == before


@mock_aws
def test_transact_write_items_duplicate_key_is_a_validation_error_and_writes_nothing():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client)

    with pytest.raises(ClientError) as exc:
        client.transact_write_items(TransactItems=[_put("a", "1"), _put("b", "1"), _put("a", "1")])

    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert _all(client) == []


@mock_aws
def test_transact_write_items_success_applies_every_item():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "gone"}, "sk": {"S": "1"}})

    client.transact_write_items(TransactItems=[
        _put("a", "1"), _put("a", "2"),
        {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "gone"}, "sk": {"S": "1"}}}},
    ])

    assert [(i["pk"]["S"], i["sk"]["S"]) for i in _all(client)] == [("a", "1"), ("a", "2")]


@mock_aws
def test_transact_write_items_failed_transaction_leaves_no_stream_records():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client, stream=True)
    client.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            _put("b", "1"),
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE).stream_shard
    records = [r.to_json() for r in shard.items]
    assert [r["eventName"] for r in records] == ["INSERT"]  # the put before the transaction only


@mock_aws
def test_transact_write_items_never_copies_a_table(monkeypatch):
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table(client)
    for i in range(50):
        client.put_item(TableName=TABLE, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "1"}})
    copied: list[type] = []
    real_deepcopy = copy.deepcopy

    def spy(value, *args, **kwargs):
        copied.append(type(value))
        return real_deepcopy(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", spy)
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            _put("p1", "1"), _put("p2", "1", x={"S": "y"}),
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "none"}, "sk": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])

    assert Table not in copied
    assert len(_all(client)) == 50
