"""The connection to OpenSearch that history searches share: the client (its password
asked once), every call's errors turned into one line, 429/5xx retried, the index
pattern's mapping, and multi-searches with their answers checked."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ktui.feeds.errors import ConfigError, SourceError
from ktui.opensearch.config import OpenSearchConfig, build_client
from ktui.opensearch.errors import RetryPolicy, from_status, retrying, translate
from ktui.opensearch.mapping import FieldMap, field_map
from ktui.opensearch.paging import Cursor
from ktui.opensearch.shape import obj, responses_of, status_of

_MAPPING_TTL = 300.0  # a new daily index may add a field (a first eventTime-only event)


class Connection:
    """One OpenSearch endpoint and index pattern; :class:`~ktui.opensearch.source.HistorySource`
    queries through it."""

    def __init__(self, config: OpenSearchConfig, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.retry, self._sleep = retry or RetryPolicy(), sleep  # for 429/5xx answers
        self._client: Any = None
        self._password: str | None = None
        self._fields: FieldMap | None = None
        self._fields_at = 0.0
        self._preference = f"ktui-{uuid.uuid4().hex[:12]}"

    @property
    def warning(self) -> str:
        return self.config.warning

    # -- connection -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            password = self.config.password
            if self.config.user and not password and not self.config.aws_sigv4:
                if self._password is None:
                    if self.config.password_callback is None:
                        raise ConfigError(
                            f"no password for OpenSearch user {self.config.user}",
                            hint="set OPENSEARCH_PASSWORD",
                        )
                    self._password = self.config.password_callback()  # once per session
                password = self._password
            self._client = build_client(self.config, password)
        return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, request_timeout=self.config.request_timeout, **kwargs)
        except Exception as exc:  # every client failure becomes one clear line
            error = translate(
                exc,
                url=self.config.display_url,
                index=self.config.index,
                timeout=self.config.request_timeout,
            )
            raise error from None

    @property
    def _server_timeout_ms(self) -> int:
        # The server stops a little before the client gives up, so partial results arrive.
        return max(100, int(self.config.request_timeout * 800))

    def fields(self, refresh: bool = False) -> FieldMap:
        """The index pattern's mapping, read on first use and every few minutes."""
        now = time.monotonic()
        if self._fields is None or refresh or now - self._fields_at > _MAPPING_TTL:
            answer = retrying(lambda: self._call(
                "read the mapping", self.client.indices.get_mapping, index=self.config.index
            ), self.retry, self._sleep)
            if not obj(answer, "the mapping"):
                raise SourceError(
                    f"no index matches {self.config.index}", hint="check the index pattern"
                )
            self._fields = field_map(answer, self.config.fields)
            self._fields_at = now
        return self._fields

    def _msearch_once(
        self, bodies: list[dict[str, Any]], cursor: Cursor | None
    ) -> list[Mapping[str, Any]]:
        lines: list[dict[str, Any]] = []
        for body in bodies:
            if cursor is not None and cursor.pit_id:
                lines += [
                    {},
                    {
                        **body,
                        "pit": {"id": cursor.pit_id, "keep_alive": self.config.pit_keep_alive},
                    },
                ]
            else:
                lines += [{"index": self.config.index, "preference": self._preference}, body]
        answer = self._call("search", self.client.msearch, body=lines)
        responses = responses_of(answer, len(bodies))
        for item in responses:
            if "error" in item:
                raise from_status(
                    status_of(item),
                    item,
                    url=self.config.display_url,
                    index=self.config.index,
                    in_pit=bool(cursor is not None and cursor.pit_id),
                )
            if cursor is not None and isinstance(item.get("pit_id"), str) and item["pit_id"]:
                cursor.pit_id = item["pit_id"]
        return responses
