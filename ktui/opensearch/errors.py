"""opensearch-py exceptions and msearch item errors → one-line :class:`SourceError`s."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ktui.feeds.errors import Forbidden, SourceError, Unauthorized, Unreachable

_MAX_REASON = 160
T = TypeVar("T")


class PitMissing(Exception):
    """The point in time expired or was deleted (``search_context_missing_exception``)."""


class Overloaded(SourceError):
    """429 or 5xx: the cluster is busy or failing; worth asking again after a pause
    (``retry_after`` seconds when it said so)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retryable=True)
        self.retry_after = retry_after


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


def error_type_and_reason(info: Any) -> tuple[str, str]:
    """The root cause of an OpenSearch error body (``{"error": {...}}`` or the inner dict)."""
    error = info.get("error", info) if isinstance(info, Mapping) else info
    if isinstance(error, str):
        return "", error
    if not isinstance(error, Mapping):
        return "", ""
    causes = error.get("root_cause")
    cause = (
        causes[0]
        if isinstance(causes, list) and causes and isinstance(causes[0], Mapping)
        else error
    )
    kind = str(cause.get("type") or error.get("type") or "")
    reason = str(cause.get("reason") or error.get("reason") or "")
    caused_by = error.get("caused_by")
    if isinstance(caused_by, Mapping) and kind in ("", "search_phase_execution_exception"):
        kind = str(caused_by.get("type") or kind)
        reason = str(caused_by.get("reason") or reason)
    return kind, reason


@dataclass(frozen=True)
class RetryPolicy:
    """How a request answered 429 or 5xx is retried: ``attempts`` tries in all, waiting
    what ``Retry-After`` says (at most ``max_wait``) or else a doubling backoff."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0
    max_wait: float = 60.0

    def delay(self, attempt: int, error: Overloaded) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_wait)
        return min(self.first_delay * 2**attempt, self.max_delay)


def retrying(call: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None],
             between: Callable[[], None] | None = None) -> T:
    """``call()``, again after a pause while the cluster answers 429/5xx; the last
    attempt's error is raised. ``between`` runs after each pause (a superseded query
    stops there)."""
    for attempt in range(policy.attempts - 1):
        try:
            return call()
        except Overloaded as error:
            sleep(policy.delay(attempt, error))
            if between is not None:
                between()
    return call()


def from_status(
    status: int, info: Any, *, url: str, index: str, in_pit: bool = False,
    retry_after: float | None = None,
) -> SourceError | PitMissing:
    """An HTTP error status and body (a whole response or an msearch item).

    Inside a PIT, a missing index means one of the PIT's indices was deleted since.
    """
    kind, reason = error_type_and_reason(info)
    if kind == "search_context_missing_exception" or "search_context_missing" in str(info):
        return PitMissing(reason)
    if in_pit and status == 404:
        return PitMissing(reason)
    detail = f": {_one_line(reason)}" if reason else ""
    if status == 401:
        return Unauthorized(
            f"OpenSearch at {url} rejected the credentials (401)",
            hint="check OPENSEARCH_USER and OPENSEARCH_PASSWORD",
        )
    if status == 403:
        return Forbidden(
            f"OpenSearch denied access to {index} (403){detail}",
            hint="ask for read access to the index pattern",
        )
    if status == 404 and kind == "index_not_found_exception":
        return SourceError(f"no index matches {index}", hint="check the index pattern")
    if status == 429:
        return Overloaded(f"OpenSearch is overloaded (429){detail}", retry_after=retry_after)
    if status >= 500:
        return Overloaded(f"OpenSearch failed ({status}){detail}", retry_after=retry_after)
    if status == 400:
        return SourceError(f"OpenSearch refused the query{detail}")
    return SourceError(f"OpenSearch answered {status}{detail}")


def _cause(exc: BaseException) -> str:
    text = f"{exc!r} {getattr(exc, 'info', '')}".lower()
    for needle, short in (
        ("refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("getaddrinfo", "unknown host"),
        ("certificate verify failed", "certificate verify failed"),
        ("wrong version number", "TLS to a plain-HTTP port?"),
        ("reset by peer", "connection reset"),
        ("remote end closed", "connection closed"),
        ("timed out", "timed out"),
        ("unreachable", "network unreachable"),
    ):
        if needle in text:
            return short
    info = getattr(exc, "info", None)
    return type(info).__name__ if isinstance(info, BaseException) else type(exc).__name__


def translate(
    exc: BaseException, *, url: str, index: str, timeout: float
) -> SourceError | PitMissing:
    """Map an opensearch-py exception to a one-line SourceError (or PitMissing)."""
    from opensearchpy import exceptions as ose

    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, ose.ConnectionTimeout):
        return SourceError(
            f"OpenSearch at {url} did not answer within {timeout:g} s",
            hint="retry, or raise request_timeout",
            retryable=True,
        )
    if isinstance(exc, ose.SSLError):
        return Unreachable(
            f"TLS with {url} failed: {_cause(exc)}",
            hint="set ca_certs to the cluster's CA bundle",
            retryable=False,
        )
    if isinstance(exc, ose.ConnectionError):
        return Unreachable(f"cannot reach OpenSearch at {url}: {_cause(exc)}", retryable=True)
    if isinstance(exc, ose.TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        # Set by ktui.opensearch.client.RetryAfterConnection (the client drops headers).
        retry_after = getattr(exc, "retry_after", None)
        return from_status(status, exc.info, url=url, index=index,
                           retry_after=retry_after if isinstance(retry_after, float) else None)
    if isinstance(exc, ose.ImproperlyConfigured):
        return SourceError(f"OpenSearch client configuration: {_one_line(str(exc))}")
    return SourceError(f"OpenSearch request failed: {_one_line(repr(exc))}")
