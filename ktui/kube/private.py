"""A private (0700) directory for certificate and key material, removed on exit.

TLS libraries want client certificates and keys as files, while kubeconfigs often carry
them inline (``client-key-data``). The kubernetes client writes those to world-listable
temp files and removes them only at a clean exit; here they live in one 0700 directory
that is removed at exit and on SIGTERM/SIGINT (after which the previous handler runs).
Files are content-addressed and re-created on demand, so a process that survives a
SIGINT (a caught KeyboardInterrupt) can still reconnect.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import tempfile
import threading
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
        for signum in (signal.SIGTERM, signal.SIGINT):
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


def write_private(data: bytes, suffix: str = ".pem") -> str:
    """Write ``data`` to a 0600 file in the private directory; the same data, the same file."""
    name = hashlib.sha256(data).hexdigest()[:24] + suffix
    path = os.path.join(private_dir(), name)
    if not os.path.exists(path):
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(path + ".tmp", path)
    return path


def cleanup() -> None:
    """Remove the directory now (tests; a consumer that is done with every context)."""
    _cleanup()
