"""Client certificates and keys loaded into an SSLContext without staying on disk.

OpenSSL (and so ``ssl.SSLContext.load_cert_chain``) reads a client certificate and key
only from a path, while kubeconfigs and exec plugins hand them over as bytes
(``client-key-data``). urllib3 would even re-read the files on every connection, so they
would have to stay on disk for the life of the process, and a process that dies of a
signal it cannot catch (SIGKILL, or SIGHUP when the terminal goes away) would leave the
key behind. Instead the bytes are loaded once into an SSLContext that the connection pool
shares, from an anonymous in-memory file (``memfd_create``: it has no name in any
directory) where the platform has one, else from a 0600 file in a 0700 directory that is
removed as soon as OpenSSL has read it.

:func:`private_dir` remains for the legacy ``auth-provider`` loader of the kubernetes
client, which writes the cluster's CA there (public material, never a key: the loader is
never handed the client certificate or key); it is removed at exit and on
SIGTERM/SIGINT/SIGHUP.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_lock = threading.Lock()
_dir: str | None = None
_installed = False


def _cleanup() -> None:
    global _dir
    with _lock:
        path, _dir = _dir, None
    if path:
        shutil.rmtree(path, ignore_errors=True)


def _chain(signum: int, previous: Any) -> None:
    def handler(sig: int, frame: FrameType | None) -> None:
        _cleanup()
        if callable(previous):
            previous(sig, frame)
        elif previous != signal.SIG_IGN:
            # The default action: die of the same signal, as if we had not been here.
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)

    signal.signal(signum, handler)


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(_cleanup)
    # Signal handlers can only be set from the main thread; atexit still covers the rest.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            _chain(signum, signal.getsignal(signum))


def private_dir() -> str:
    """The directory, created (0700) on first use."""
    global _dir
    with _lock:
        if _dir is None or not os.path.isdir(_dir):
            _dir = tempfile.mkdtemp(prefix="ktui-kube-")
            os.chmod(_dir, 0o700)
        path = _dir
    _install()
    return path


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def _memory_file(data: bytes) -> Iterator[str | None]:
    """A path to an anonymous in-memory file holding ``data``, or None where there is
    no such thing (no memfd_create, or no /proc to name it by)."""
    create = getattr(os, "memfd_create", None)
    if create is None or not os.path.isdir("/proc/self/fd"):
        yield None
        return
    try:
        fd = create("ktui-tls", getattr(os, "MFD_CLOEXEC", 0))
    except OSError:
        yield None
        return
    try:
        _write_all(fd, data)
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


@contextlib.contextmanager
def _short_lived_file(data: bytes) -> Iterator[str]:
    """A 0600 file in a fresh 0700 directory holding ``data``, removed on leaving."""
    directory = tempfile.mkdtemp(prefix="ktui-tls-")
    try:
        path = os.path.join(directory, "material.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _transient_path(data: bytes) -> Iterator[str]:
    with _memory_file(data) as path:
        if path is not None:
            yield path
            return
    with _short_lived_file(data) as path:
        yield path


def load_client_cert(
    context: ssl.SSLContext,
    cert_pem: bytes,
    key_pem: bytes,
    password: Callable[[], bytes] | None = None,
) -> None:
    """Load a client certificate and key into ``context`` (``password`` as for
    ``load_cert_chain``); nothing stays on disk after this returns, or raises
    ``ssl.SSLError`` for material OpenSSL cannot read."""
    with _transient_path(cert_pem) as cert_path, _transient_path(key_pem) as key_path:
        context.load_cert_chain(cert_path, key_path, password)


def cleanup() -> None:
    """Remove the directory now (tests; a consumer that is done with every context)."""
    _cleanup()
