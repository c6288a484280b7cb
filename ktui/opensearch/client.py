"""The HTTP connection ktui gives opensearch-py: its own, plus the ``Retry-After`` header.

opensearch-py raises a ``TransportError`` for a 429 or 503 but drops the response's
headers, so a cluster's "come back in N seconds" would be lost. This connection notes the
header of each response (in the thread that made the request) and puts it on the error
as ``retry_after`` (seconds), which :func:`ktui.opensearch.errors.translate` carries on.
Imported only when a client is built: opensearch-py loads when history is first used.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

from opensearchpy import TransportError, Urllib3HttpConnection


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class RetryAfterConnection(Urllib3HttpConnection):
    """``Urllib3HttpConnection`` whose errors carry the answer's ``Retry-After``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen = threading.local()
        urlopen = self.pool.urlopen

        def noting(*call: Any, **options: Any) -> Any:
            response = urlopen(*call, **options)
            self._seen.retry_after = response.headers.get("Retry-After")
            return response

        self.pool.urlopen = noting

    def perform_request(self, *args: Any, **kwargs: Any) -> Any:
        self._seen.retry_after = None
        try:
            return super().perform_request(*args, **kwargs)
        except TransportError as error:
            error.retry_after = parse_retry_after(  # type: ignore[attr-defined]
                getattr(self._seen, "retry_after", None))
            raise
