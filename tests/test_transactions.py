"""chalicelib.dynamo.Transaction against the moto server: a cancellation names the items whose condition
failed, whatever kind of write each is and in whatever order they were added."""
from __future__ import annotations

import awscalls
import pytest
from pynamodb.exceptions import TransactWriteError

pytestmark = pytest.mark.api


@pytest.fixture
def models(client):  # the client fixture's session has created the tables
    from chalicelib import keys
    from chalicelib.models import Counter

    return keys, Counter


def test_items_are_sent_in_the_order_they_were_added(models):
    from chalicelib.dynamo import Transaction

    keys, Counter = models
    tx = Transaction()
    tx.update(Counter("tx-order-a"), actions=[Counter.n.add(1)])
    tx.put(Counter("tx-order-b", n=1))
    tx.delete(Counter("tx-order-c"))
    start = len(awscalls.RECORDED)
    tx.commit()
    (_, operation, brief), = [c for c in awscalls.RECORDED[start:] if c[1] == "TransactWriteItems"]
    assert [kind for kind, _ in brief["Items"]] == ["Update", "Put", "Delete"]  # PynamoDB's would be D, P, U


@pytest.mark.parametrize("first_kind", ["update", "put"])
def test_a_failed_condition_is_named_by_its_item_not_its_position(models, first_kind):
    from chalicelib.dynamo import ConditionsFailed, Transaction

    keys, Counter = models
    Counter(f"tx-exists-{first_kind}", n=1).save()
    tx = Transaction()
    if first_kind == "update":  # an update first, then a put: PynamoDB would send the put first
        tx.update(Counter(f"tx-missing-{first_kind}"), actions=[Counter.n.add(1)],
                  condition=Counter.key.exists(), name="must exist")
        tx.put(Counter(f"tx-exists-{first_kind}", n=2), condition=Counter.key.does_not_exist(), name="must be new")
    else:
        tx.put(Counter(f"tx-exists-{first_kind}", n=2), condition=Counter.key.does_not_exist(), name="must be new")
        tx.update(Counter(f"tx-missing-{first_kind}"), actions=[Counter.n.add(1)],
                  condition=Counter.key.exists(), name="must exist")
    tx.update(Counter(f"tx-fine-{first_kind}"), actions=[Counter.n.add(1)], name="fine")
    with pytest.raises(ConditionsFailed) as failed:
        tx.commit()
    assert failed.value.names == {"must exist", "must be new"}
    # All or nothing: the unconditioned item was not written either.
    assert int(Counter.get(f"tx-exists-{first_kind}").n) == 1
    with pytest.raises(Counter.DoesNotExist):
        Counter.get(f"tx-fine-{first_kind}")


def test_only_the_failing_item_is_named(models):
    from chalicelib.dynamo import ConditionsFailed, Transaction

    keys, Counter = models
    tx = Transaction()
    tx.put(Counter("tx-one-new"), condition=Counter.key.does_not_exist(), name="new")
    tx.update(Counter("tx-one-missing"), actions=[Counter.n.add(1)], condition=Counter.key.exists(), name="old")
    with pytest.raises(ConditionsFailed) as failed:
        tx.commit()
    assert failed.value.names == {"old"}


def test_a_failure_that_is_not_a_condition_stays_a_transact_write_error(models):
    from chalicelib.dynamo import ConditionsFailed, Transaction

    keys, Counter = models
    tx = Transaction()
    tx.put(Counter("tx-twice"), name="a")
    tx.update(Counter("tx-twice"), actions=[Counter.n.add(1)], name="b")  # one item twice: a validation error
    with pytest.raises(TransactWriteError) as failed:
        tx.commit()
    assert not isinstance(failed.value, ConditionsFailed)
