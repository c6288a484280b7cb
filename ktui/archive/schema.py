"""The archive file: its tables, how a connection is opened, and what can go wrong.

One SQLite file (WAL mode) shared by every ktui process of the user. Two tables hold the
events:

- ``versions``: every version ktui saw of every event (ADDED, MODIFIED), keyed by
  (cluster, uid, resourceVersion), with the event's JSON as received: piece ``idx`` of
  ``blocks`` row ``block`` (schema 2), or zlib-compressed on its own in ``raw`` (schema 1
  rows, and events that came with theirs so: read back from the archive or OpenSearch).
- ``blocks``: the JSON of up to 32 versions written together, zlib-compressed as one
  (``data``), and where each piece ends in the whole (``ends``: little-endian uint32s), as
  :class:`ktui.model.rawblock.RawBlock` keeps them. One ``zlib.compress`` per 32 versions
  instead of one per version is ~7x less of the writer's CPU and ~4x fewer bytes (the
  keys, namespace, node and object a block's events share compress once). A block goes
  when no version refers to it any more (:mod:`ktui.archive.prune`).
- ``events``: one row per (cluster, uid): the newest version's normalised fields (what
  history filters, sorts and counts on) and, once the cluster deleted the event,
  ``expired_at``. A DELETED notice never replaces the last ADDED/MODIFIED version: it only
  sets ``expired_at``.

A cluster is its API server URL (``clusters``), so renaming a kube context loses nothing.
Every write is an idempotent upsert, so two recorders of one cluster store each version
once. ``PRAGMA user_version`` is the schema version; a file with a newer one, or a SQLite
file that is not an archive, is refused (and never touched). A schema 1 file is migrated
in place by the first writer that opens it (two columns, a table and a partial index:
nothing is rewritten, and its rows keep their ``raw``); readers read either.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMA_VERSION = 2
# Page cache per connection: the random-keyed indexes (uids) of a large archive need
# their inner pages cached, or every insert reads pages back (2 MB, the default, halved
# the write rate at 100,000 events).
CACHE_KIB = 65536
# A checkpoint (copying the WAL into the file, with an fsync) every 64 MB of WAL rather
# than SQLite's 4 MB: a commit of a storm's batch dirties thousands of index pages, and
# checkpointing after nearly every commit took most of the writer's time.
CHECKPOINT_PAGES = 16384
TABLES = frozenset({"meta", "clusters", "versions", "events"})  # schema 1's; 2 adds blocks

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY,
    server TEXT NOT NULL UNIQUE,
    context TEXT NOT NULL DEFAULT '',
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    cluster INTEGER NOT NULL,
    uid TEXT NOT NULL,
    rv TEXT NOT NULL,
    time REAL NOT NULL,
    count INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    raw BLOB,
    block INTEGER,
    idx INTEGER,
    UNIQUE (cluster, uid, rv)
);
CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL,
    ends BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_block ON versions (block) WHERE block IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
    cluster INTEGER NOT NULL,
    uid TEXT NOT NULL,
    rv TEXT NOT NULL,
    rv_num INTEGER,
    from_delete INTEGER NOT NULL DEFAULT 0,
    time REAL NOT NULL,
    first_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL COLLATE NOCASE,
    reason TEXT NOT NULL COLLATE NOCASE,
    message TEXT NOT NULL,
    kind TEXT NOT NULL,
    obj_name TEXT NOT NULL,
    obj_namespace TEXT NOT NULL,
    obj_uid TEXT NOT NULL,
    obj_api_version TEXT NOT NULL,
    obj_field_path TEXT NOT NULL,
    source_component TEXT NOT NULL,
    source_host TEXT NOT NULL,
    reporting_controller TEXT NOT NULL,
    reporting_instance TEXT NOT NULL,
    action TEXT NOT NULL,
    api TEXT NOT NULL,
    seen_at REAL NOT NULL,
    expired_at REAL,
    PRIMARY KEY (cluster, uid)
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (cluster, time, uid, type, namespace);
CREATE INDEX IF NOT EXISTS events_by_namespace ON events (cluster, namespace, time);
CREATE INDEX IF NOT EXISTS events_by_type ON events (cluster, type, time);
CREATE INDEX IF NOT EXISTS events_by_reason ON events (cluster, reason, time);
"""


class ArchiveError(Exception):
    """The archive cannot be used; ``str()`` is one line for the user."""


class ArchiveUnreadable(ArchiveError):
    """Not a SQLite file, damaged, another program's database or a newer ktui's archive.
    Permanent: nothing is written, and the file is left exactly as it is."""


class ArchiveLocked(ArchiveError):
    """Another connection holds the write lock longer than the busy timeout. Transient."""


class ArchiveUnwritable(ArchiveError):
    """The file or its directory cannot be created or written (permissions, read-only
    file system, disk full)."""


def cluster_key(server: str) -> str:
    """The archive's name for a cluster: its API server URL with the scheme and host in
    lower case and no trailing slash (``https://ABC.example.com/`` and
    ``https://abc.example.com`` are one cluster)."""
    text = server.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.rstrip("/")
    if not parts.scheme or not parts.netloc:
        return text.rstrip("/")
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def classify(error: sqlite3.Error, path: Path) -> ArchiveError:
    """An sqlite3 error as one of the three kinds above, with a line that names the file."""
    text = str(error)
    lowered = text.lower()
    code = getattr(error, "sqlite_errorcode", None)
    busy = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    if code in busy or "locked" in lowered or "busy" in lowered:
        return ArchiveLocked(f"archive {path} is locked by another program ({text})")
    damaged = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
    if code in damaged or "not a database" in lowered or "malformed" in lowered:
        return ArchiveUnreadable(
            f"archive {path} is not a readable ktui archive ({text}); it is left as it is"
        )
    return ArchiveUnwritable(f"archive {path}: {text}")


def connect(path: Path, *, busy_timeout: float = 5.0, create: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, checked schema.

    ``create=False`` (readers) never creates the file and never changes the schema.
    Raises :class:`ArchiveError`.
    """
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ArchiveUnwritable(
                f"archive {path}: cannot create {path.parent} ({error.strerror or error})"
            ) from None
    elif not path.exists():
        raise ArchiveUnwritable(f"no archive at {path} yet")
    mode = "rwc" if create else "rw"
    try:
        conn = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode={mode}",
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as error:
        raise classify(error, path) from None
    try:
        _prepare(conn, path, create)
    except sqlite3.Error as error:
        conn.close()
        raise classify(error, path) from None
    except ArchiveError:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    # Reading the schema first fails at once on a file that is not SQLite ("file is not
    # a database"), before anything could be written to it.
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise ArchiveUnreadable(
            f"archive {path} was written by a newer ktui (schema {version}); it is left as "
            "it is"
        )
    if names and not names >= TABLES:
        raise ArchiveUnreadable(
            f"archive {path} is another program's SQLite database; it is left as it is"
        )
    # NORMAL in WAL mode: a commit survives the process being killed (only a power loss
    # may take the last transactions), at a fraction of FULL's fsyncs.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    if not create:
        if not names:
            raise ArchiveUnwritable(f"no archive at {path} yet")
        return
    if not names:
        # Only on an empty file, before the first table: freed pages can then be given
        # back to the file system after pruning (PRAGMA incremental_vacuum).
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise ArchiveUnwritable(f"archive {path}: cannot use WAL mode (got {mode})")
    # The WAL is truncated to this after a checkpoint (a storm can grow it a lot).
    conn.execute("PRAGMA journal_size_limit = 67108864")
    conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
    if not names or version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if names:  # schema 1 (two writers may race here: the columns are looked at
                # inside the write transaction)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(versions)")}
                for column in ("block", "idx"):
                    if column not in columns:
                        conn.execute(f"ALTER TABLE versions ADD COLUMN {column} INTEGER")
            for statement in _DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def has_blocks(conn: sqlite3.Connection) -> bool:
    """Whether the file is of schema 2 (versions may refer to ``blocks``)."""
    return bool(conn.execute("PRAGMA user_version").fetchone()[0] >= 2)


def cluster_id(conn: sqlite3.Connection, server: str, context: str, now: float) -> int:
    """The id of ``server`` (a :func:`cluster_key`), created on first use; the context
    name is kept for information (the last one it was recorded under)."""
    conn.execute(
        "INSERT INTO clusters (server, context, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (server) DO UPDATE SET context = excluded.context, "
        "last_seen = excluded.last_seen",
        (server, context, now, now),
    )
    row = conn.execute("SELECT id FROM clusters WHERE server = ?", (server,)).fetchone()
    return int(row[0])


def find_cluster(conn: sqlite3.Connection, server: str) -> int | None:
    row = conn.execute("SELECT id FROM clusters WHERE server = ?", (server,)).fetchone()
    return None if row is None else int(row[0])
