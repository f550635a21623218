"""The Redis restart that ended a worker: kombu's periodic restore of unacknowledged messages
on a channel whose connection celery has just closed (fivesigma/broker_guard.py)."""

from __future__ import annotations

import pytest
from kombu import Connection, Consumer, Queue
from kombu.transport import redis as redis_transport

from fivesigma import broker_guard

pytestmark = [pytest.mark.integration]


@pytest.fixture
def closed_consumer(redis_broker):
    """A consuming channel in its transport's poller, whose connection is then closed as celery
    closes it when the broker goes away (the transport's client set to None)."""
    # a restore scans on every cycle (kombu's default: every tenth), so each call below is one
    connection = Connection(redis_broker.url, transport_options={"unacked_restore_throttle": 1})
    connection.connect()
    channel = connection.channel()
    queue = Queue("scoring", channel=channel)
    queue.declare()
    Consumer(channel, [queue], callbacks=[lambda body, message: None]).consume()
    poller = connection.transport.cycle
    poller.add(channel)
    poller.maybe_restore_messages()  # an open connection restores without error
    channel._disconnect_pools()
    transport = connection.transport
    connection._do_close_transport()
    assert transport.client is None
    yield poller
    poller.close()


def test_the_unguarded_restore_raises_the_error_that_ended_the_worker(closed_consumer):
    broker_guard.install()
    unguarded = redis_transport.MultiChannelPoller.maybe_restore_messages.unguarded
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'hostname'"):
        unguarded(closed_consumer)


def test_the_guarded_restore_leaves_a_closed_connection_alone(closed_consumer):
    broker_guard.install()
    broker_guard.install()  # idempotent: the worker and the tests may both install it
    assert closed_consumer.maybe_restore_messages() is None
