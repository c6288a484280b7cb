"""Reading owners from the cluster for the live lens, in one worker thread.

:class:`ktui.kube.owners.OwnerReader` answers lookups from its cache (no I/O, safe on
the UI thread) and fetches in a thread. :class:`OwnerFetcher` keeps one reader per
context, over the connection of that context's running source (a new connection, after
a restart, gets a new reader), and one daemon thread that fetches what the lens sends
(:meth:`submit`); the lens takes the keys read (:meth:`take`) and makes its resolver
forget the answers that consulted them. Nothing here blocks the UI thread, and nothing
fails the view: a forbidden read is the reader's quiet fallback to the naming rules.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktui.kube.owners import OwnerReader

Key = tuple[str, str, str]
SourceOf = Callable[[str], Any]  # context -> its running source (a KubeSource), or None


class OwnerFetcher:
    """One reader per context and the thread that fills them."""

    def __init__(self, source_of: SourceOf,
                 make_reader: Callable[[Any], OwnerReader] | None = None) -> None:
        self.source_of = source_of
        self._make_reader = make_reader
        self._readers: dict[str, tuple[object, OwnerReader]] = {}  # context -> (conn, reader)
        self._queue: queue.Queue[tuple[str, OwnerReader, list[Key]] | None] = queue.Queue()
        self._done: list[tuple[str, set[Key]]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.pending = 0  # fetches queued or running, for tests and the curious

    def reader(self, context: str) -> OwnerReader | None:
        """The context's reader, over its source's current connection (None before the
        source connected, or for a source that is not the Kubernetes API's)."""
        try:
            source = self.source_of(context)
        except Exception:  # a context that is not shown (any more)
            source = None
        conn = getattr(source, "conn", None)
        known = self._readers.get(context)
        if conn is None:
            return known[1] if known is not None else None
        if known is not None and known[0] is conn:
            return known[1]
        reader = self._new_reader(conn)
        self._readers[context] = (conn, reader)
        return reader

    def _new_reader(self, conn: Any) -> OwnerReader:
        if self._make_reader is not None:
            return self._make_reader(conn)
        from ktui.kube.owners import OwnerReader  # urllib3: not before the first paint

        return OwnerReader(conn)

    def submit(self, context: str, keys: Iterable[Key]) -> None:
        """Read the ownerReferences of ``keys`` (objects of ``context``) in the thread."""
        reader = self.reader(context)
        if reader is None:
            return
        wanted = reader.wanted(keys)
        if not wanted:
            return
        with self._lock:
            self.pending += 1
        self._queue.put((context, reader, wanted))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="ktui-owners", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            context, reader, keys = item
            try:
                read = reader.fetch(keys)
            except Exception:  # never raises, says the reader; a bug must not kill the thread
                read = set()
            with self._lock:
                self.pending -= 1
                if read:
                    self._done.append((context, read))

    @property
    def idle(self) -> bool:
        """Nothing queued, running, or read and not yet taken (tests wait on it)."""
        with self._lock:
            return self.pending == 0 and not self._done

    def take(self) -> list[tuple[str, set[Key]]]:
        """What was read since the last call: (context, keys read)."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
