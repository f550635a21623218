"""A guard for the one way a Redis restart could stop a worker (kombu 5.7 Redis transport).

Every few seconds the worker's event loop asks the Redis transport to restore unacknowledged
messages whose visibility timeout has passed (``MultiChannelPoller.maybe_restore_messages``).
When the broker goes away, celery closes the consumer's connection, and closing a kombu
connection sets its transport's ``client`` to None; until the channel leaves the poller, the
next restore builds a Redis connection pool from ``transport.client.hostname`` and raises
``AttributeError: 'NoneType' object has no attribute 'hostname'``. kombu catches only
connection errors there, so the AttributeError escapes the event loop and celery ends the
worker ("Unrecoverable error"), taking the embedded beat with it.

:func:`install` makes that restore skip channels whose connection has been closed: the new
connection's poller restores the messages on its next cycle. The replaced function is kept
as ``maybe_restore_messages.unguarded`` (the regression test calls it to show the failure).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def install() -> None:
    """Guard kombu's Redis restore against closed connections (idempotent)."""
    from kombu.transport import redis as redis_transport

    poller = redis_transport.MultiChannelPoller
    unguarded = poller.maybe_restore_messages
    if hasattr(unguarded, "unguarded"):
        return

    def maybe_restore_messages(self):
        if any(_closed(channel) for channel in self._channels):
            log.info("restore of unacknowledged messages left to the next broker connection")
            return None
        return unguarded(self)

    maybe_restore_messages.unguarded = unguarded  # type: ignore[attr-defined]
    poller.maybe_restore_messages = maybe_restore_messages  # type: ignore[method-assign]


def _closed(channel) -> bool:
    """Whether ``channel`` belongs to a connection that has been closed."""
    transport = getattr(channel, "connection", None)
    return transport is None or getattr(transport, "client", None) is None
