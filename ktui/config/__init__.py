"""settings.toml + the environment + flags -> one typed, frozen :class:`Settings`.

    [ui]
    production_pattern = "prod|live"   # contexts matching this get the red banner
    max_events = 200000                # retained per context; the oldest go first

    [keys]                             # remap by binding id (see `?` and the README)
    "types.warning" = "W"

    [opensearch]                       # see README: History mode
    url = "https://search.example:9200"

    [archive]                          # the local event archive (a later feature)
    enabled = true
    retention = "7d"
    max_size = "1GB"

    [clusters]                         # kube context -> the exporter's clusterName
    "arn:aws:eks:eu-west-1:1:cluster/prod" = "prod"

One policy for every key: a wrong key or value costs that key only. It falls back to the
next source or its default and becomes one :class:`Problem` (file, line where known,
what); every other key still applies, even after a syntax error elsewhere in the file
(the line is skipped). The CLI prints the problems, the TUI shows them at start-up.

Precedence: a flag, then a ``KTUI_*`` variable, then the file, then the workshop's
shared ``OPENSEARCH_HOST``/``OPENSEARCH_USER``, then the default. Passwords are never
read from this file and never kept here: ``OPENSEARCH_PASSWORD`` or a prompt supply them
to the client (:func:`ktui.opensearch.config.config_from_settings`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ktui.config.exporter_fields import FIELD_PATHS
from ktui.config.file import UNSET, Located, Problem, read_toml
from ktui.records import record

__all__ = [
    "AWS_SERVICES", "DEFAULT_INDEX", "ArchiveSettings", "Flags",
    "OpenSearchSettings", "Problem", "Settings", "UiSettings", "load_settings",
]

DEFAULT_INDEX = "eks-kubernetes-events*"
AWS_SERVICES = ("es", "aoss")
_BOOL_TEXT = {"1": True, "true": True, "yes": True, "on": True,
              "0": False, "false": False, "no": False, "off": False}
# Patterns, not compiled ones: re compiles (and caches) them when first used, which the
# start-up of the TUI does not need.
_DURATION = r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$"
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$"  # case-insensitive
_BYTES = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _frozen(table: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(table))


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@record
class Flags:
    """The command-line flags that override settings (None: not given)."""

    opensearch_url: str | None = None
    index: str | None = None


@record
class UiSettings:
    production_pattern: str = "prod"
    """Regular expression (case-insensitive) naming production contexts."""
    max_events: int = 200_000
    """Events retained per context before the oldest are dropped."""


@record
class OpenSearchSettings:
    """Where history lives and how to reach it; no password, ever. The client's
    configuration (:class:`ktui.opensearch.config.OpenSearchConfig`) is these fields plus
    the password, which only it holds."""

    url: str = ""
    """Normalised (scheme, no trailing slash, no credentials); "" when none is set.
    ``https://host:9200``; http is allowed (a local or port-forwarded cluster)."""
    url_from: str = ""
    """Which source gave the URL: the file's path, a variable's or a flag's name."""
    index: str = DEFAULT_INDEX
    """Index pattern, comma-separated patterns allowed (``kube-events-*``)."""
    user: str = ""
    ca_certs: str = ""
    client_cert: str = ""
    client_key: str = ""
    verify_certs: bool = True
    aws_sigv4: bool = False
    """Sign requests with SigV4 (boto3's default credential chain; ``pip install ktui[aws]``)."""
    aws_service: str = "es"
    """``es`` for managed domains, ``aoss`` for OpenSearch Serverless."""
    aws_region: str = ""
    request_timeout: float = 10.0
    """Seconds the client waits; the server is asked to stop a little earlier."""
    fields: Mapping[str, str] = field(default_factory=_empty)
    """Canonical field name -> document path (a custom exporter ``layout``)."""
    use_pit: bool = True
    """Page inside a point in time where the cluster allows it."""
    pit_keep_alive: str = "1m"
    namespace_limit: int = 1000
    """Size of the namespace terms aggregation (more namespaces -> counts approximate)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _frozen(self.fields))


@record
class ArchiveSettings:
    """The local event archive (parsed and checked now; used by a later feature)."""

    enabled: bool = True
    retention: str = "7d"
    max_size: str = "1GB"

    @property
    def retention_seconds(self) -> float:
        return _duration(self.retention) or _duration(ArchiveSettings.retention) or 0.0

    @property
    def max_bytes(self) -> int:
        return _size(self.max_size) or _size(ArchiveSettings.max_size) or 0


@record
class Settings:
    ui: UiSettings = field(default_factory=UiSettings)
    keys: Mapping[str, str] = field(default_factory=_empty)
    """Binding id -> comma-separated keys, passed to Textual's keymap."""
    opensearch: OpenSearchSettings = field(default_factory=OpenSearchSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    clusters: Mapping[str, str] = field(default_factory=_empty)
    """Kube context name -> the cluster name its events carry in OpenSearch."""
    problems: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", _frozen(self.keys))
        object.__setattr__(self, "clusters", _frozen(self.clusters))

    # The explorer (ui/app.py) still reads these two flat; they go with its rewrite.


def load_settings(path: Path | None, environ: Mapping[str, str] = os.environ,
                  flags: Flags | None = None) -> Settings:
    """Read ``path`` (a missing file is fine), then the environment, then ``flags``."""
    flags = flags or Flags()
    problems: list[Problem] = []
    sink = problems.append
    data = read_toml(path, sink) if path is not None else Located({}, "settings", sink)
    env = {name: value for name, value in environ.items() if value.strip()}
    known = ("archive", "clusters", "keys", "opensearch", "ui")
    for name in data.names():
        if name not in known:
            data.problem(name, f"[{name}] is not a known table (known: {', '.join(known)}); "
                         "ignored")
    return Settings(
        ui=_ui(data.section("ui"), env, problems),
        keys=_strings(data.section("keys"), "a key list"),
        opensearch=_opensearch(data.section("opensearch"), env, flags, problems),
        archive=_archive(data.section("archive")),
        clusters=_strings(data.section("clusters"), "a cluster name"),
        # In file order, then the variables and flags: easiest to fix top to bottom.
        problems=tuple(sorted(problems, key=lambda p: (p.file != data.file, p.line or 0))),
    )


def _elsewhere(problems: list[Problem], source: str) -> Callable[[str], None]:
    """A reporter for a variable or a flag (no line; the name says where)."""
    return lambda what: problems.append(Problem(source, None, what))


# -- sections ---------------------------------------------------------------------------


def _unknown(table: Located, known: set[str]) -> None:
    for key in table.names():
        if key not in known:
            table.problem(key, f"unknown key '{key}' (known: {', '.join(sorted(known))}); "
                          "ignored")


def _ui(table: Located, env: Mapping[str, str], problems: list[Problem]) -> UiSettings:
    _unknown(table, {"production_pattern", "max_events"})
    default = UiSettings()
    pattern = default.production_pattern
    candidates = [(table.get("production_pattern"), table.problem_at("production_pattern")),
                  (env.get("KTUI_PRODUCTION_PATTERN", UNSET),
                   _elsewhere(problems, "KTUI_PRODUCTION_PATTERN"))]
    for value, report in reversed(candidates):  # the strongest source first
        if value is UNSET:
            continue
        if not isinstance(value, str):
            report(f"must be a string; using '{pattern}'")
            continue
        try:
            re.compile(value)
        except re.error as error:
            report(f"{value!r} is not a regular expression ({error}); using the next setting")
            continue
        pattern = value
        break
    max_events = table.get("max_events")
    if max_events is UNSET:
        max_events = default.max_events
    elif type(max_events) is not int or max_events < 1000:
        table.problem_at("max_events")(
            f"must be an integer >= 1000; using {default.max_events}")
        max_events = default.max_events
    return UiSettings(pattern, max_events)


def _strings(table: Located, what: str) -> dict[str, str]:
    """A table of name = "text" (keys, clusters); anything else is a problem."""
    result: dict[str, str] = {}
    for key in table.names():
        value = table.get(key)
        if isinstance(value, str) and value.strip():
            result[key] = value
        else:
            table.problem(key, f"'{key}' must be {what} in quotes; ignored")
    return result


def _archive(table: Located) -> ArchiveSettings:
    _unknown(table, {"enabled", "retention", "max_size"})
    default = ArchiveSettings()
    enabled = _checked(table, "enabled", _as_bool, default.enabled, "true or false")
    retention = _checked(table, "retention", lambda v: v if _duration(v) else None,
                         default.retention, "a duration such as 12h or 7d")
    max_size = _checked(table, "max_size", _as_size, default.max_size,
                        "a size such as 500MB or 2GB")
    return ArchiveSettings(enabled, retention, max_size)


def _opensearch(table: Located, env: Mapping[str, str], flags: Flags,
                problems: list[Problem]) -> OpenSearchSettings:
    names = {f.name for f in fields(OpenSearchSettings)} - {"url_from"}
    _unknown(table, names | {"host", "password"})
    if table.get("password") is not UNSET:
        table.problem("password", "the settings file must not hold the OpenSearch password; "
                      "ignored (use OPENSEARCH_PASSWORD or let ktui ask)")
    default = OpenSearchSettings()
    values: dict[str, Any] = {}
    url, url_from, url_user = _url(table, env, flags, problems)
    values["url"], values["url_from"] = url, url_from
    index = default.index
    for value, report in (
        (flags.index, _elsewhere(problems, "--index")),
        (env.get("KTUI_OPENSEARCH_INDEX", UNSET),
         _elsewhere(problems, "KTUI_OPENSEARCH_INDEX")),
        (table.get("index"), table.problem_at("index")),
    ):
        if value is None or value is UNSET:
            continue
        if isinstance(value, str) and value.strip():
            index = value.strip()
            break
        report("must be a non-empty index pattern; using the next setting")
    values["index"] = index
    user = _checked(table, "user", _as_text, "", "a string")
    values["user"] = user or url_user or env.get("OPENSEARCH_USER", "")
    for name in ("ca_certs", "client_cert", "client_key", "aws_region", "pit_keep_alive"):
        values[name] = _checked(table, name, _as_text, getattr(default, name), "a string")
    for name in ("verify_certs", "use_pit"):
        values[name] = _checked(table, name, _as_bool, getattr(default, name), "true or false")
    sigv4 = table.get("aws_sigv4")
    service = _checked(table, "aws_service", lambda v: v.lower() if isinstance(v, str)
                       and v.lower() in AWS_SERVICES else None, default.aws_service,
                       "'es' or 'aoss'")
    if isinstance(sigv4, str) and sigv4.lower() in AWS_SERVICES:
        values["aws_sigv4"], service = True, sigv4.lower()
    else:
        values["aws_sigv4"] = _checked(table, "aws_sigv4", _as_bool, False,
                                       "true, false, 'es' or 'aoss'")
    values["aws_service"] = service
    values["request_timeout"] = float(_checked(
        table, "request_timeout", _as_positive, default.request_timeout, "a positive number"))
    values["namespace_limit"] = int(_checked(
        table, "namespace_limit", lambda v: v if type(v) is int and v > 0 else None,
        default.namespace_limit, "a positive integer"))
    if values["client_key"] and not values["client_cert"]:
        table.problem("client_key", "client_key needs client_cert; ignored")
        values["client_key"] = ""
    values["fields"] = _fields(table.section("fields"))
    return OpenSearchSettings(**values)


def _url(table: Located, env: Mapping[str, str], flags: Flags,
         problems: list[Problem]) -> tuple[str, str, str]:
    """The first good URL, where it came from, and a user name written into it."""
    host_from_file = table.get("host")
    candidates: list[tuple[object, str, Callable[[str], None], bool]] = [
        (flags.opensearch_url, "--opensearch-url", _elsewhere(problems, "--opensearch-url"),
         False),
        (env.get("KTUI_OPENSEARCH_URL", UNSET), "KTUI_OPENSEARCH_URL",
         _elsewhere(problems, "KTUI_OPENSEARCH_URL"), False),
        (table.get("url"), table.file, table.problem_at("url"), True),
        (host_from_file, table.file, table.problem_at("host"), True),
        (env.get("OPENSEARCH_HOST", UNSET), "OPENSEARCH_HOST",
         _elsewhere(problems, "OPENSEARCH_HOST"), False),
    ]
    for raw, source, report, in_file in candidates:
        if raw is None or raw is UNSET:
            continue
        if not isinstance(raw, str) or not raw.strip():
            report("must be an http or https URL in quotes")
            continue
        url, problem = _normal_url(raw)
        if problem:
            report(problem)
            continue
        parts = urlsplit(url)
        if parts.password and in_file:
            report("holds a password, which the settings file must not: it is ignored "
                   "(use OPENSEARCH_PASSWORD or let ktui ask)")
        netloc = parts.netloc.rsplit("@", 1)[-1]
        bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return bare, source, parts.username or ""
    return "", "", ""


def _fields(table: Located) -> dict[str, str]:
    result: dict[str, str] = {}
    for name in table.names():
        value = table.get(name)
        if name not in FIELD_PATHS:  # what [opensearch.fields] may remap
            table.problem(name, f"unknown field '{name}' (known: "
                          f"{', '.join(FIELD_PATHS)}); ignored")
        elif not isinstance(value, str) or not value.strip():
            table.problem(name, f"{name} must be a document path in quotes; ignored")
        else:
            result[name] = value.strip()
    return result


# -- values -----------------------------------------------------------------------------


def _checked(table: Located, key: str, convert: Callable[[Any], Any], default: Any,
             wanted: str) -> Any:
    value = table.get(key)
    if value is UNSET:
        return default
    converted = convert(value)
    if converted is None:
        table.problem_at(key)(f"must be {wanted}; using {_show(default)}")
        return default
    return converted


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _as_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _BOOL_TEXT.get(value.strip().lower())
    return None


def _as_positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def _as_size(value: Any) -> str | None:
    if type(value) is int and value > 0:
        return f"{value}B"
    return value if isinstance(value, str) and _size(value) else None


def _duration(text: str) -> float | None:
    match = re.match(_DURATION, text) if isinstance(text, str) else None
    if not match or float(match.group(1)) <= 0:
        return None
    return float(match.group(1)) * _SECONDS[match.group(2)]


def _size(text: str) -> int | None:
    match = re.match(_SIZE, text, re.IGNORECASE) if isinstance(text, str) else None
    if not match or float(match.group(1)) <= 0:
        return None
    return int(float(match.group(1)) * _BYTES[(match.group(2) or "b").lower()])


def _normal_url(raw: str) -> tuple[str, str]:
    """(the URL, "") or ("", what is wrong with it)."""
    text = raw.strip()
    if "://" not in text:
        text = "https://" + text  # OPENSEARCH_HOST is a bare host name in the workshop
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "", "has a bad host or port"
    if parts.scheme not in ("http", "https"):
        return "", f"must be an http or https URL, not '{parts.scheme}://'"
    if not parts.hostname:
        return "", "has no host name"
    return text.rstrip("/"), ""
