"""Running listeners: one thread per source, reconnecting with back-off, stopping cleanly.

Each source runs in its own thread so that one slow feed or broken server never holds up
another. A failure is written on the source (status and last error, shown on the sources
page) and retried after a growing pause (2 s, 4 s, … at most ``MAX_BACKOFF``). Stopping sets
one event that every thread watches; a stream stops between two batches, and its cursor is
the one stored with the last batch taken in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from django.db import close_old_connections, connection

from cluetrain.listening.backpressure import Gate
from cluetrain.listening.models import Source, SourceKind
from cluetrain.listening.services import mark_failing, mark_listening
from cluetrain.listening.streams.base import Listener, error_text

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def listener_for(source: Source) -> Listener:
    """The listener of ``source``'s kind."""
    if source.kind == SourceKind.FEED:
        from cluetrain.listening.streams.feeds import FeedListener

        return FeedListener(source)
    if source.kind == SourceKind.MASTODON:
        from cluetrain.listening.streams.mastodon import MastodonListener

        return MastodonListener(source)
    if source.kind == SourceKind.BLUESKY:
        from cluetrain.listening.streams.bluesky import BlueskyListener

        return BlueskyListener(source)
    raise ValueError(f"Nothing listens to {source.get_kind_display()} sources.")


def sources(organization_slug: str = "", source_id: int | None = None) -> list[Source]:
    """The enabled sources to listen to (imports are archives, not listened to)."""
    query = Source.objects.filter(enabled=True).exclude(kind=SourceKind.IMPORT)
    if organization_slug:
        query = query.filter(organization__slug=organization_slug)
    if source_id is not None:
        query = query.filter(pk=source_id)
    return list(query.select_related("organization", "voice").order_by("pk"))


def poll_once(source: Source) -> int:
    """Fetch what is new from ``source`` once (a stream reads until it has caught up)."""
    listener = listener_for(source)
    try:
        new = listener.poll()
    except Exception as exc:
        log.warning("%s failed: %s", source, error_text(exc))
        mark_failing(source, error_text(exc))
        raise
    finally:
        listener.close()
    mark_listening(source)
    return new


def run_source(source: Source, stop: threading.Event, *, own_thread: bool = False) -> None:
    """Listen to ``source`` until ``stop`` is set (the body of its thread).

    ``own_thread``: the database connection is this thread's own, to be refreshed between
    rounds (a long-lived connection may have been dropped by the server) and closed at the end.
    """
    backoff = 2.0
    gate = Gate(source.organization_id)
    listener: Listener | None = None
    try:
        while not stop.is_set():
            try:
                if not gate.wait(stop):
                    return
                fresh = Source.objects.select_related("organization", "voice").get(pk=source.pk)
                if not fresh.enabled:
                    log.info("%s was switched off", fresh)
                    return
                if listener is None:
                    listener = listener_for(fresh)
                if listener.streaming:
                    listener.run(stop, gate)
                else:
                    new = listener.poll()
                    log.debug("%s: %d new", fresh, new)
                mark_listening(fresh)
                backoff = 2.0
                pause = 0.0 if listener.streaming else listener.interval
            except Source.DoesNotExist:
                return
            except Exception as exc:
                log.warning("%s failed: %s (again in %.0f s)", source, error_text(exc), backoff)
                mark_failing(source, error_text(exc))
                if listener is not None:
                    listener.close()
                listener = None
                pause, backoff = backoff, min(backoff * 2, MAX_BACKOFF)
            finally:
                if own_thread:
                    close_old_connections()
            if stop.wait(pause):
                return
    finally:
        if listener is not None:
            listener.close()
        if own_thread:
            connection.close()


def start(all_sources: Iterable[Source], stop: threading.Event) -> list[threading.Thread]:
    """One thread per source; join them after setting ``stop``."""
    threads = []
    for source in all_sources:
        thread = threading.Thread(
            target=run_source,
            args=(source, stop),
            kwargs={"own_thread": True},
            name=f"listen-{source.pk}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads
