"""moto_transactions.py and moto_query.py in moto's own test style (in-process `mock_aws`, boto3 clients).

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

from scripts import moto_query, moto_transactions

moto_transactions.install()
moto_query.install()

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


def _table_with_gsi(client) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind}
                              for name, kind in (("pk", "S"), ("sk", "S"), ("g", "S"), ("n", "N"))],
        GlobalSecondaryIndexes=[{"IndexName": "by_n", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "n", "KeyType": "RANGE"}]}],
        BillingMode="PAY_PER_REQUEST")
    for p in range(20):
        for s in range(5):
            item = {"pk": {"S": f"p{p:02d}"}, "sk": {"S": f"s{4 - s}"}}
            if (p + s) % 3:  # a sparse index: some items carry no index key
                item |= {"g": {"S": "all"}, "n": {"N": str((p * 7 + s * 3) % 11)}}
            client.put_item(TableName=TABLE, Item=item)


def _pages(client, **kwargs) -> list[tuple[str, str]]:
    out, start = [], None
    while True:
        page = client.query(TableName=TABLE, Limit=7, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        out += [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return out


@mock_aws
def test_query_on_the_table_key_reads_its_partition_in_range_order_and_pages():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table_with_gsi(client)

    forward = _pages(client, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p03"}})
    backward = _pages(client, KeyConditionExpression="pk = :p AND sk > :s", ScanIndexForward=False,
                      ExpressionAttributeValues={":p": {"S": "p03"}, ":s": {"S": "s1"}})
    missing = _pages(client, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "nope"}})

    assert forward == [("p03", f"s{i}") for i in range(5)]
    assert backward == [("p03", "s4"), ("p03", "s3"), ("p03", "s2")]
    assert missing == []


@mock_aws
def test_query_on_an_index_keeps_the_index_order_with_table_keys_as_tie_breakers():
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table_with_gsi(client)
    expected = sorted(((int(i["n"]["N"]), i["pk"]["S"], i["sk"]["S"]) for i in client.scan(TableName=TABLE)["Items"]
                       if "g" in i), reverse=True)

    got = _pages(client, IndexName="by_n", KeyConditionExpression="g = :g", ScanIndexForward=False,
                 ExpressionAttributeValues={":g": {"S": "all"}})

    assert got == [(pk, sk) for _, pk, sk in expected]


@mock_aws
def test_query_on_the_table_key_never_lists_the_table(monkeypatch):
    client = boto3.client("dynamodb", region_name="us-east-1")
    _table_with_gsi(client)
    listed = []
    monkeypatch.setattr(moto_query, "_moto_all_items", lambda table: listed.append(table) or [])

    client.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p01"}})
    client.scan(TableName=TABLE)  # a Scan still lists everything, through moto's own all_items

    assert len(listed) == 1
