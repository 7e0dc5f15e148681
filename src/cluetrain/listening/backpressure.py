"""Back-pressure: listeners stop reading while triage is too far behind.

A stream that keeps reading while triage falls behind only moves the queue from the network
into the database, where it slows every page that counts untriaged messages. So when an
organisation's untriaged messages pass a high-water mark, its listeners stop reading until
triage brings them below a low-water mark. A stopped stream does not advance its cursor, so
nothing is lost: the relay or server keeps the events (or drops the idle connection, and the
listener resumes from its stored cursor when it reconnects).

``CLUETRAIN_LISTEN_HIGH_WATER`` and ``CLUETRAIN_LISTEN_LOW_WATER`` set the marks
(``settings.LISTEN_HIGH_WATER`` / ``LISTEN_LOW_WATER``).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

from cluetrain.listening.models import Message

log = logging.getLogger(__name__)

# How often a held listener looks again.
CHECK_SECONDS = 2.0


def marks() -> tuple[int, int]:
    """The (high, low) water marks; low is below high whatever the settings say."""
    high = max(1, int(settings.LISTEN_HIGH_WATER))
    low = max(1, int(settings.LISTEN_LOW_WATER))
    return high, min(low, max(high - 1, 0))


def backlog(organization_id: int, cap: int) -> int:
    """The organisation's untriaged messages, counted up to ``cap`` (the partial index's job)."""
    waiting = Message.objects.filter(organization_id=organization_id, triaged_at__isnull=True)
    return waiting.order_by().values("id")[:cap].count()


class Gate:
    """Whether one organisation's listeners may read now: shut above high water, open again
    below low water (the gap keeps a listener from flapping at the mark).

    ``check_every`` spares the database: while open, the backlog is counted at most that often.
    """

    def __init__(
        self,
        organization_id: int,
        *,
        high: int | None = None,
        low: int | None = None,
        check_every: float = 1.0,
    ) -> None:
        default_high, default_low = marks()
        self.organization_id = organization_id
        self.high = high if high is not None else default_high
        self.low = low if low is not None else min(default_low, self.high - 1)
        self.check_every = check_every
        self.shut = False
        self._checked_at = -1e9

    def is_open(self) -> bool:
        now = time.monotonic()
        if not self.shut and now - self._checked_at < self.check_every:
            return True
        self._checked_at = now
        waiting = backlog(self.organization_id, self.high + 1)
        if self.shut and waiting < self.low:
            self.shut = False
            log.info("Triage caught up (%d waiting): organisation %s listens again",
                     waiting, self.organization_id)  # fmt: skip
        elif not self.shut and waiting > self.high:
            self.shut = True
            log.warning("Triage is behind (%d waiting): organisation %s stops reading",
                        waiting, self.organization_id)  # fmt: skip
        return not self.shut

    def wait(self, stop: threading.Event, *, poll: float = CHECK_SECONDS) -> bool:
        """Block while the gate is shut; False when ``stop`` was set meanwhile."""
        while not self.is_open():
            if stop.wait(poll):
                return False
        return not stop.is_set()
