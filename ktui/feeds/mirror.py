"""The simplest consumer of a BatchChannel: a dict by uid that honours resets.

``ktui events`` prints from it, and the source tests compare it with the simulator's
ground truth. (The UI's store does the same with more bookkeeping.)
"""

from __future__ import annotations

from ktui.feeds.channel import Batch
from ktui.feeds.status import SourceStatus
from ktui.model.event import Event


class Mirror:
    """Events by uid after applying every batch; expired events stay, marked. A relist
    marks the events it no longer holds expired, as a DELETED would have (client-go's
    informers likewise emit a delete for what vanished while the watch was down)."""

    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.resets = 0
        self.coalesced = 0
        self.statuses: list[SourceStatus] = []

    def apply(self, batch: Batch) -> list[Event]:
        """Apply one batch; return the events that are new or changed (by resourceVersion
        or expiry, a relist's vanished events included), in no particular order."""
        changed: list[Event] = []
        if batch.reset:
            self.resets += 1
            previous = self.events
            scope = batch.reset_scope
            # the relist replaces its scope: every namespace, or the ones it names
            self.events = (
                {}
                if scope is None
                else {uid: e for uid, e in previous.items() if e.namespace not in scope}
            )
            for event in batch.upserts:
                self.events[event.uid] = event
                old = previous.get(event.uid)
                if old is None or old.resource_version != event.resource_version:
                    changed.append(event)
            for uid, old in previous.items():
                if uid not in self.events and (scope is None or old.namespace in scope):
                    # vanished while the watch was away: marked as a DELETED marks it
                    gone = old if old.expired else old.as_expired()
                    self.events[uid] = gone
                    if not old.expired:
                        changed.append(gone)
        else:
            for event in batch.upserts:
                self.events[event.uid] = event
            changed.extend(batch.upserts)
        for event in batch.deleted:
            self.events[event.uid] = event
            changed.append(event)
        self.coalesced += batch.coalesced
        if batch.status is not None:
            self.statuses.append(batch.status)
        return changed

    def live(self) -> dict[str, Event]:
        """The events not marked expired."""
        return {uid: e for uid, e in self.events.items() if not e.expired}
