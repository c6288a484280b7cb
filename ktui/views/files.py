"""File-system helpers for saved views: safe file names, atomic writes, a directory lock.

Kept apart from :mod:`ktui.views.store` so the TOML mapping reads on its own. Stdlib
only, like the rest of :mod:`ktui.model`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import unicodedata
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX; on Windows saves are still atomic, only the cross-process lock is lost.
    import fcntl
except ImportError:  # pragma: no cover - not exercised on the platforms we test
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".toml"
LOCK_NAME = ".lock"
TEMP_PREFIX = ".tmp-"

# Bytes, not characters: file systems limit names in bytes (usually 255) and a Korean
# syllable is three bytes in UTF-8. Leaves room for "-<hash>-<n>.toml".
_MAX_STEM_BYTES = 64
# Windows refuses these as file names whatever the extension; views/ may be synced there.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)


def file_stem(name: str) -> str:
    """A readable, safe file stem for a view name.

    Letters, digits and combining marks from any script are kept (so Korean or Hebrew
    names stay recognisable); everything else, including ``/``, ``.``, spaces, control
    and bidi characters and emoji, becomes ``-``. Case is folded because views/ may live
    on a case-insensitive file system. Many names share a stem; :func:`candidate_names`
    disambiguates, and the true name is always the one inside the file.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    chars = [
        ch if ch == "_" or unicodedata.category(ch)[0] in "LNM" else "-" for ch in folded
    ]
    stem = "-".join(part for part in "".join(chars).split("-") if part).strip("_")
    encoded = stem.encode("utf-8")
    if len(encoded) > _MAX_STEM_BYTES:
        stem = encoded[:_MAX_STEM_BYTES].decode("utf-8", "ignore").rstrip("-_")
    if not stem:
        stem = "view"
    if stem in _RESERVED:
        stem += "-view"
    return stem


def name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def candidate_names(name: str, limit: int = 50) -> Iterator[str]:
    """File names to try, in order: ``stem.toml``, ``stem-<hash>.toml``, then numbered.

    Deterministic, so the same name always probes the same files, and the hash makes a
    second collision very unlikely (only names with equal stems compete for them).
    """
    stem = file_stem(name)
    yield stem + SUFFIX
    hashed = f"{stem}-{name_hash(name)}"
    yield hashed + SUFFIX
    for n in range(2, limit):
        yield f"{hashed}-{n}{SUFFIX}"


def is_view_file(path: Path) -> bool:
    """A file :meth:`ViewStore.load_all` should read: ``*.toml``, not hidden (the lock
    and half-written temp files are hidden)."""
    return path.suffix == SUFFIX and not path.name.startswith(".") and path.is_file()


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/.lock`` for a read-decide-write.

    ``flock`` locks belong to the open file, so this also serialises threads of one
    process that each call it. The lock file is never deleted: deleting it would let
    two processes lock two different inodes.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers, and a crash at any moment, see
    either the old content or the new, never a mix or nothing.

    The temp file sits in the same directory (``os.replace`` is only atomic within one
    file system) and is fsynced before the rename so the new name never points at
    unwritten blocks. On any failure the temp file is removed and the old file is
    untouched. A symlinked view file (dotfile managers) is written through the link.
    """
    if path.is_symlink():
        path = path.resolve()
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(6)}{SUFFIX}.part")
    # O_EXCL: never reuse someone else's file; 0o666 lets the umask decide, as for any
    # file the user creates (views hold no secrets).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; best effort (not every platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
