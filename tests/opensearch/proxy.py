"""A tiny real HTTP front for a real OpenSearch (or osmem) server, for failure cases.

It forwards requests unchanged, optionally after a delay (a slow cluster), or answers
like OpenSearch's security plugin does (401/403), or refuses the point-in-time API like a
cluster older than 2.4, or fails chosen requests with an overloaded cluster's status
(429/5xx, with Retry-After), or rewrites the body of real answers into shapes OpenSearch
never sends (something else answering at the URL). No mocks: opensearch-py talks HTTP to
it as to any cluster, and every answer starts as the real server's.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (method, path, the server's JSON answer, the request body) -> the JSON to send instead
# (only 200 answers are rewritten; the status stays).
Rewrite = Callable[[str, str, Any, bytes | None], Any]


@dataclass
class Failure:
    """Answer a request whose path contains ``path`` with ``status``, after letting
    ``skip`` such requests through."""

    status: int
    path: str = "_msearch"
    retry_after: str | None = None
    skip: int = 0
    body: dict[str, Any] = field(default_factory=lambda: {
        "error": {"type": "es_rejected_execution_exception", "reason": "rejected execution"},
        "status": 429,
    })

SECURITY_401 = {
    "error": {
        "root_cause": [
            {
                "type": "security_exception",
                "reason": "missing authentication credentials for REST request [/]",
            }
        ],
        "type": "security_exception",
        "reason": "missing authentication credentials for REST request [/]",
        "header": {"WWW-Authenticate": 'Basic realm="security" charset="UTF-8"'},
    },
    "status": 401,
}
SECURITY_403 = {
    "error": {
        "root_cause": [
            {
                "type": "security_exception",
                "reason": "no permissions for [indices:data/read/search] and User "
                "[name=reader, backend_roles=[], requestedTenant=null]",
            }
        ],
        "type": "security_exception",
        "reason": "no permissions for [indices:data/read/search] and User "
        "[name=reader, backend_roles=[], requestedTenant=null]",
    },
    "status": 403,
}


class FrontProxy:
    """``FrontProxy(backend, delay=..., status=..., refuse_pit=..., rewrite=...)``; use
    ``.url``. ``failures`` is a queue: each request matching the head's path takes it."""

    def __init__(
        self,
        backend: str,
        *,
        delay: float = 0.0,
        status: int | None = None,
        refuse_pit: bool = False,
        rewrite: Rewrite | None = None,
        failures: list[Failure] | None = None,
    ) -> None:
        self.backend = backend.rstrip("/")
        self.delay = delay
        self.status = status
        self.refuse_pit = refuse_pit
        self.rewrite = rewrite
        self.failures = list(failures or [])
        self.requests: list[str] = []
        self.failed: list[str] = []  # the requests answered from ``failures``
        self._failures_lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.requests.append(f"{self.command} {self.path}")
                if proxy.status in (401, 403):
                    payload = SECURITY_401 if proxy.status == 401 else SECURITY_403
                    extra = (
                        {"WWW-Authenticate": 'Basic realm="security"'}
                        if proxy.status == 401
                        else {}
                    )
                    return self._send(proxy.status, json.dumps(payload).encode(), extra)
                if proxy.refuse_pit and "/_search/point_in_time" in self.path:
                    # What OpenSearch < 2.4 answers for an unknown REST endpoint.
                    uri = self.path
                    payload = {
                        "error": f"no handler found for uri [{uri}] and method [{self.command}]"
                    }
                    return self._send(400, json.dumps(payload).encode(), {})
                failure = proxy.take_failure(self.path)
                if failure is not None:
                    extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                    payload = {**failure.body, "status": failure.status}
                    return self._send(failure.status, json.dumps(payload).encode(), extra)
                if proxy.delay:
                    time.sleep(proxy.delay)
                status, data, headers = proxy.forward(
                    self.command, self.path, body, dict(self.headers)
                )
                if proxy.rewrite is not None and status == 200:
                    data = json.dumps(proxy.rewrite(self.command, self.path,
                                                    json.loads(data), body)).encode()
                self._send(status, data, headers)

            def _send(self, status: int, data: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take_failure(self, path: str) -> Failure | None:
        with self._failures_lock:
            if not self.failures or self.failures[0].path not in path:
                return None
            if self.failures[0].skip > 0:
                self.failures[0].skip -= 1
                return None
            self.failed.append(path)
            return self.failures.pop(0)

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        keep = {
            k: v
            for k, v in headers.items()
            if k.lower() in ("content-type", "authorization", "accept")
        }
        request = urllib.request.Request(
            self.backend + path, data=body, method=method, headers=keep
        )
        context = None
        if os.environ.get("KTUI_TEST_OPENSEARCH_INSECURE"):
            context = ssl._create_unverified_context()
        try:
            with urllib.request.urlopen(request, timeout=60, context=context) as answer:
                return answer.status, answer.read(), {}
        except urllib.error.HTTPError as error:
            return error.code, error.read(), {}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FrontProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
