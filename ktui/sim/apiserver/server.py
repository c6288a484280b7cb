"""The HTTP side: routing, auth, discovery, list/get. Watches live in watch.py, the
representations (Table, PartialObjectMetadata) in tables.py."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ktui.sim.apiserver import discovery, workloads
from ktui.sim.apiserver.auth import (
    Grant,
    access_review,
    forbidden,
    not_found,
    rules_review,
    status,
    unauthorized,
)
from ktui.sim.apiserver.backend import Backend
from ktui.sim.apiserver.paging import EXPIRED_CONTINUE, decode_continue, encode_continue
from ktui.sim.apiserver.routes import parse_route, verb_of
from ktui.sim.apiserver.selectors import SelectorError, build_filter
from ktui.sim.apiserver.store import Snapshot, Version
from ktui.sim.apiserver.tables import (
    JSON,
    Output,
    negotiate,
    partial_meta,
    table_head,
    table_row,
)
from ktui.sim.apiserver.watch import serve_watch

log = logging.getLogger(__name__)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

API_OF_GROUP = {"": "v1", "events.k8s.io": "events.k8s.io/v1"}
_PREFIX = {api: f'{{"kind":"Event","apiVersion":"{api}",'.encode() for api in API_OF_GROUP.values()}

GZIP_THRESHOLD = 128 * 1024  # kube-apiserver's defaultGzipThresholdBytes
GZIP_LEVEL = 1  # and its defaultGzipContentEncodingLevel


def list_item(v: Version, api: str) -> bytes:
    """A list item: as the apiserver sends it, without kind/apiVersion."""
    b = v.bytes_for(api)
    prefix = _PREFIX[api]
    return b"{" + b[len(prefix):] if b.startswith(prefix) else b


class SimHTTPServer(ThreadingHTTPServer):
    """A threading server that remembers its connections so stop() can cut them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], backend: Backend,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.backend = backend
        self.ssl_context = ssl_context
        self.connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # the TLS handshake runs here, in the connection's thread, not in accept()
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        tls.settimeout(None)
        with self._conn_lock:
            self.connections.discard(request)
            self.connections.add(tls)
        try:
            Handler(tls, client_address, self)
        finally:
            with self._conn_lock:
                self.connections.discard(tls)
            try:
                tls.close()
            except OSError:
                pass

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self._conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    """One request. Keep-alive HTTP/1.1; watches stream chunked JSON lines."""

    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle plus the
    # client's delayed ACK costs ~40 ms per paged list request
    disable_nagle_algorithm = True
    server: SimHTTPServer
    server_version = "ktui-sim"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        return self.server.backend

    def _client_cn(self) -> str | None:
        """The common name of the client certificate the TLS handshake verified, if any."""
        sock = self.connection
        if not isinstance(sock, ssl.SSLSocket):
            return None
        cert: dict[str, Any] = dict(sock.getpeercert() or {})
        for rdn in cert.get("subject", ()):
            for pair in rdn:
                if pair[0] == "commonName":
                    return str(pair[1])
        return None

    def send_bytes(self, code: int, body: bytes, ctype: str = JSON,
                   headers: dict[str, str] | None = None, cut: int | None = None) -> None:
        """Send one response; ``cut``: only that many bytes of the body, then close."""
        if (self.backend.gzip and len(body) >= GZIP_THRESHOLD
                and "gzip" in (self.headers.get("Accept-Encoding") or "").lower()):
            body = gzip.compress(body, GZIP_LEVEL)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
            self.backend.count("gzipped")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if cut is not None:
            body = body[:cut]
        buffered = getattr(self, "_headers_buffer", None)
        if isinstance(buffered, list):  # CPython: send head and body in one write
            buffered.append(b"\r\n")
            head = b"".join(buffered)
            buffered.clear()
            self.wfile.write(head + body)
        else:  # pragma: no cover
            self.end_headers()
            self.wfile.write(body)
        if cut is not None:  # the answer interrupted: the connection goes away mid-body
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_obj(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(code, _dumps(obj).encode(), headers=headers)

    def send_status(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.send_obj(int(body["code"]), body, headers)

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # -- routing ------------------------------------------------------------------------
    def dispatch(self, method: str) -> None:
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:  # a simulator bug: answer like an apiserver, keep serving
            log.exception("ktui-sim: %s %s failed", method, self.path)
            self.close_connection = True
            try:
                self.send_status(status(500, "InternalError",
                                        f"Internal error occurred: {exc!r}"))
            except OSError:
                pass

    def _dispatch(self, method: str) -> None:
        body = self.read_body()
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        b = self.backend
        grant = b.tokens.resolve(self.headers.get("Authorization"), self._client_cn())
        if grant is None:
            self.send_status(unauthorized())
            return
        route = parse_route(path)
        watch = query.get("watch", "").lower() in ("1", "true")
        if route is not None and route[3] == "watch":
            watch = True
        verb = verb_of(method, route, watch)
        failure = b.faults.take_failure(path, verb, method)
        if failure is not None:
            self.send_failure(*failure)
            return
        if path in ("/healthz", "/livez", "/readyz"):
            self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        elif route is not None:
            group, ns, name, _ = route
            if method != "GET":
                self.send_status(status(405, "MethodNotAllowed",
                                        f"the server does not allow this method on the "
                                        f"requested resource ({method})"))
            elif name is not None:
                self.get_event(grant, group, ns, name, query)
            else:
                self.list_events(grant, group, ns, query, watch)
        elif method == "GET" and b.workloads is not None and (
                workload := workloads.parse_route(path)) is not None:
            workloads.serve(self, b.workloads, grant, workload, query, b.counters)
        elif method == "POST" and path.startswith("/apis/authorization.k8s.io/v1/"):
            self.review(grant, path, body)
        elif method == "GET":
            self.serve_static(grant, path)
        else:
            self.send_status(status(405, "MethodNotAllowed",
                                    "the server does not allow this method on the requested "
                                    "resource"))

    def send_failure(self, code: int, retry_after: int | None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        if code == 429:
            body = status(429, "TooManyRequests", "Too many requests, please try again later.",
                          {"retryAfterSeconds": retry_after or 1})
        elif code == 503:
            body = status(503, "ServiceUnavailable", "the server is currently unable to "
                          "handle the request", {"retryAfterSeconds": retry_after or 1})
        else:
            body = status(code, "InternalError", "Internal error occurred: injected fault",
                          {"causes": [{"message": "injected fault"}]})
        self.send_status(body, headers)

    def serve_static(self, grant: Grant, path: str) -> None:
        host = self.headers.get("Host") or "127.0.0.1"
        doc: Any
        if path == "/version":
            doc = discovery.VERSION
        elif path == "/api":
            doc = discovery.api_versions(host)
        elif path == "/api/v1":
            doc = discovery.CORE_V1
        elif path == "/apis":
            doc = discovery.API_GROUP_LIST
        elif path.startswith("/apis/") and path.count("/") == 2:
            doc = discovery.GROUP.get(path.split("/")[2])
        elif path.startswith("/apis/") and path.count("/") == 3 and path.endswith("/v1"):
            doc = discovery.GROUP_VERSION.get(path.split("/")[2])
        elif path == "/api/v1/namespaces":
            self.list_namespaces(grant)
            return
        else:
            doc = None
        if doc is None:
            self.send_status(status(404, "NotFound",
                                    "the server could not find the requested resource", {}))
        else:
            self.send_obj(200, doc)

    def review(self, grant: Grant, path: str, body: bytes) -> None:
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            self.send_status(status(400, "BadRequest", "invalid JSON body"))
            return
        if not isinstance(req, dict):
            req = {}
        if path.endswith("/selfsubjectaccessreviews"):
            self.send_obj(201, access_review(grant, req))
        elif path.endswith("/selfsubjectrulesreviews"):
            self.send_obj(201, rules_review(grant, req))
        else:
            self.send_status(status(404, "NotFound",
                                    "the server could not find the requested resource", {}))

    def list_namespaces(self, grant: Grant) -> None:
        if not grant.allows("list", "", None, "namespaces"):
            self.send_status(forbidden(grant.user, "list", "", None, resource="namespaces"))
            return
        store = self.backend.store
        items = [{"metadata": {"name": ns, "uid": f"ns-{ns}", "resourceVersion": "1"},
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
                 for ns in sorted(set(store.namespaces()) | {"default", "kube-system"})]
        self.send_obj(200, {"kind": "NamespaceList", "apiVersion": "v1",
                            "metadata": {"resourceVersion": str(store.rv)}, "items": items})

    # -- events -------------------------------------------------------------------------
    def get_event(self, grant: Grant, group: str, ns: str | None, name: str,
                  query: dict[str, str]) -> None:
        if not grant.allows("get", group, ns):
            self.send_status(forbidden(grant.user, "get", group, ns, name))
            return
        v = self.backend.store.get(ns or "", name)
        if v is None:
            self.send_status(not_found("events", group, name))
            return
        out = negotiate(self.headers.get("Accept"), query.get("includeObject"))
        api = API_OF_GROUP[group]
        if out is None:
            self.send_status(status(406, "NotAcceptable", "only application/json is served"))
        elif out.table:
            meta = {"resourceVersion": str(v.rv)}
            body = (table_head(out.table, meta, True)
                    + table_row(v, api, out, self.backend.now()) + b"]}")
            self.send_bytes(200, body, f"{JSON};as=Table;v={out.table};g=meta.k8s.io")
        elif out.meta_only:
            self.send_bytes(200, partial_meta(v))
        else:
            self.send_bytes(200, v.bytes_for(api))

    def list_events(self, grant: Grant, group: str, ns: str | None, query: dict[str, str],
                    watch: bool) -> None:
        verb = "watch" if watch else "list"
        if not grant.allows(verb, group, ns):
            self.send_status(forbidden(grant.user, verb, group, ns))
            return
        try:
            keep = build_filter(ns, query)
        except SelectorError as exc:
            self.send_status(status(400, "BadRequest", str(exc)))
            return
        out = negotiate(self.headers.get("Accept"), query.get("includeObject"))
        if out is None:
            self.send_status(status(406, "NotAcceptable", "only application/json is served"))
            return
        api = API_OF_GROUP[group]
        if watch:
            serve_watch(self, api, keep, query, out)
            return
        self.send_list(api, keep, query, out)

    def send_list(self, api: str, keep: Callable[[Version], bool] | None,
                  query: dict[str, str], out: Output) -> None:
        store = self.backend.store
        token = query.get("continue", "")
        try:
            limit = max(0, int(query.get("limit") or 0))
        except ValueError:
            self.send_status(status(400, "BadRequest", "invalid limit"))
            return
        snap: Snapshot | None
        if token:
            try:
                sid, offset = decode_continue(token)
            except SelectorError as exc:
                self.send_status(status(400, "BadRequest", str(exc)))
                return
            snap = None
            if not self.backend.faults.take_expired_continue():
                snap = store.load_snapshot(sid)
                if snap is None:
                    self.backend.faults.record("expired_continue_ttl")
            if snap is None:
                self.send_status(status(410, "Expired", EXPIRED_CONTINUE))
                return
        else:
            snap = store.snapshot(keep)
            sid, offset = "", 0
        end = offset + limit if limit else len(snap.items)
        page = snap.items[offset:end]
        meta: dict[str, Any] = {"resourceVersion": str(snap.rv)}
        if end < len(snap.items):
            if not sid:
                sid = store.save_snapshot(snap)
            meta["continue"] = encode_continue(snap.rv, sid, end, page[-1])
            if not query.get("fieldSelector") and not query.get("labelSelector"):
                # like the apiserver: no count when a selector filters the list
                meta["remainingItemCount"] = len(snap.items) - end
        if out.table:
            now = self.backend.now()
            body = (table_head(out.table, meta, True)
                    + b",".join(table_row(v, api, out, now) for v in page) + b"]}")
            self.send_bytes(200, body, f"{JSON};as=Table;v={out.table};g=meta.k8s.io")
            return
        if out.meta_only:
            head = (b'{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1",'
                    b'"metadata":' + _dumps(meta).encode() + b',"items":[')
            self.send_bytes(200, head + b",".join(partial_meta(v) for v in page) + b"]}")
            return
        head = (f'{{"kind":"EventList","apiVersion":"{api}","metadata":{_dumps(meta)},'
                f'"items":[').encode()
        faults = self.backend.faults
        items = [*faults.take_odd_list_items(), *(list_item(v, api) for v in page)]
        self.send_bytes(200, head + b",".join(items) + b"]}", cut=faults.take_list_cut())
