"""Where the OpenSearch history lives and how to log in: settings, environment, flags.

Precedence for the URL: an explicit ``url`` override (CLI), ``KTUI_OPENSEARCH_URL``, the
settings file's ``url``, then ``https://$OPENSEARCH_HOST`` (the EKS workshop's variables).
The password is never read from the settings file, never kept on the config's repr and
never logged: it comes from an override, ``OPENSEARCH_PASSWORD``, or a callback that asks
once per session.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ktui.feeds.errors import ConfigError

DEFAULT_INDEX = "eks-kubernetes-events*"
AWS_SERVICES = ("es", "aoss")

_BOOL_TEXT = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


@dataclass
class OpenSearchConfig:
    """Connection settings for the history source (one ``[opensearch]`` table)."""

    url: str = ""
    """``https://host:9200``; http is allowed (a local or port-forwarded cluster)."""
    index: str = DEFAULT_INDEX
    """Index pattern, comma-separated patterns allowed (``kube-events-*``)."""
    user: str = ""
    password: str = field(default="", repr=False, compare=False)
    password_callback: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    """Asked once per session when a user is set and no password is known."""
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
    fields: dict[str, str] = field(default_factory=dict)
    """Canonical field name → document path, for indices written with a custom ``layout``."""
    use_pit: bool = True
    """Page inside a point in time where the cluster allows it."""
    pit_keep_alive: str = "1m"
    namespace_limit: int = 1000
    """Size of the namespace terms aggregation (more namespaces → counts approximate)."""

    @property
    def warning(self) -> str:
        """A standing caveat to show in the status line, or ""."""
        if not self.verify_certs and self.url.startswith("https:"):
            return "TLS certificate verification is off for OpenSearch"
        return ""

    @property
    def display_url(self) -> str:
        """The URL without any user:password part."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

    @property
    def is_local(self) -> bool:
        host = urlsplit(self.url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @classmethod
    def from_sources(
        cls, settings: Mapping[str, Any], environ: Mapping[str, str], overrides: Mapping[str, Any]
    ) -> OpenSearchConfig:
        """Merge the settings table, the environment and explicit overrides (flags).

        Raises :class:`ConfigError` (one line) for unknown keys, bad values or no URL.
        """
        known = {f.name for f in fields(cls)} - {"password", "password_callback"}
        if "password" in settings:
            raise ConfigError(
                "the settings file must not hold the OpenSearch password",
                hint="use OPENSEARCH_PASSWORD or let ktui ask",
            )
        for source, table in (("opensearch", settings), ("override", overrides)):
            unknown = sorted(
                set(table)
                - known
                - ({"password", "password_callback", "host"} if source == "override" else {"host"})
            )
            if unknown:
                raise ConfigError(
                    f"unknown {source} setting '{unknown[0]}'",
                    hint="known: " + ", ".join(sorted(known)),
                )
        merged: dict[str, Any] = {k: v for k, v in settings.items() if v is not None}
        merged.update({k: v for k, v in overrides.items() if v is not None})
        config = cls()
        config.url = _pick_url(settings, environ, overrides)
        config.index = _text(
            merged.get("index") or environ.get("KTUI_OPENSEARCH_INDEX") or DEFAULT_INDEX, "index"
        )
        config.user = _text(
            overrides.get("user") or settings.get("user") or environ.get("OPENSEARCH_USER") or "",
            "user",
        )
        config.password = _text(
            overrides.get("password") or environ.get("OPENSEARCH_PASSWORD") or "", "password"
        )
        config.password_callback = overrides.get("password_callback")
        url_user, url_password = _url_credentials(config.url)
        if url_user:
            config.user = config.user or url_user
            config.password = config.password or url_password
            config.url = _strip_credentials(config.url)
        for name in ("ca_certs", "client_cert", "client_key", "aws_region", "pit_keep_alive"):
            if name in merged:
                setattr(config, name, _text(merged[name], name))
        for name in ("verify_certs", "use_pit"):
            if name in merged:
                setattr(config, name, _bool(merged[name], name))
        sigv4 = merged.get("aws_sigv4", False)
        if isinstance(sigv4, str) and sigv4.lower() in AWS_SERVICES:
            config.aws_sigv4, config.aws_service = True, sigv4.lower()
        else:
            config.aws_sigv4 = _bool(sigv4, "aws_sigv4")
        if "aws_service" in merged:
            config.aws_service = _text(merged["aws_service"], "aws_service").lower()
        if config.aws_service not in AWS_SERVICES:
            raise ConfigError(f"aws_service must be 'es' or 'aoss', not '{config.aws_service}'")
        if "request_timeout" in merged:
            config.request_timeout = _positive(merged["request_timeout"], "request_timeout")
        if "namespace_limit" in merged:
            config.namespace_limit = int(_positive(merged["namespace_limit"], "namespace_limit"))
        config.fields = _field_table(merged.get("fields", {}))
        if config.client_key and not config.client_cert:
            raise ConfigError("client_key needs client_cert")
        return config


def _pick_url(
    settings: Mapping[str, Any], environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> str:
    for raw, what in (
        (overrides.get("url"), "url"),
        (environ.get("KTUI_OPENSEARCH_URL"), "KTUI_OPENSEARCH_URL"),
        (settings.get("url"), "url"),
        (
            overrides.get("host") or settings.get("host") or environ.get("OPENSEARCH_HOST"),
            "OPENSEARCH_HOST",
        ),
    ):
        if raw:
            return _normal_url(_text(raw, what), what)
    raise ConfigError(
        "no OpenSearch URL",
        hint="set KTUI_OPENSEARCH_URL or OPENSEARCH_HOST, or url in [opensearch]",
    )


def _normal_url(raw: str, what: str) -> str:
    text = raw.strip()
    if "://" not in text:
        text = "https://" + text  # OPENSEARCH_HOST is a bare host name in the workshop
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{what} must be an http or https URL, not '{parts.scheme}://'")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{what} has a bad port") from None
    if not parts.hostname:
        raise ConfigError(f"{what} has no host name")
    return text.rstrip("/")


def _url_credentials(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.username or "", parts.password or ""


def _strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"opensearch setting '{name}' must be a string")
    return value


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.strip().lower()]
    raise ConfigError(f"opensearch setting '{name}' must be true or false")


def _positive(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"opensearch setting '{name}' must be a number") from None
    if number <= 0 or isinstance(value, bool):
        raise ConfigError(f"opensearch setting '{name}' must be a positive number")
    return number


def _field_table(value: Any) -> dict[str, str]:
    from ktui.opensearch.mapping import FIELD_PATHS

    if not isinstance(value, Mapping):
        raise ConfigError("opensearch setting 'fields' must be a table of name = \"path\"")
    table: dict[str, str] = {}
    for name, path in value.items():
        if name not in FIELD_PATHS:
            raise ConfigError(
                f"unknown field '{name}' in [opensearch.fields]",
                hint="known: " + ", ".join(FIELD_PATHS),
            )
        if not isinstance(path, str) or not path:
            raise ConfigError(f"[opensearch.fields] {name} must be a document path")
        table[name] = path
    return table


def build_client(config: OpenSearchConfig, password: str) -> Any:
    """An ``OpenSearch`` client for ``config`` (TLS on by default, one host, no sniffing)."""
    from opensearchpy import OpenSearch, Urllib3HttpConnection

    kwargs: dict[str, Any] = {
        "hosts": [config.url],
        "timeout": config.request_timeout,
        "max_retries": 1,
        "retry_on_timeout": False,
        # A remote cluster sends ~1 KB per event: gzip is worth it; on loopback it is not.
        "http_compress": not config.is_local,
        "connection_class": Urllib3HttpConnection,
        "pool_maxsize": 4,
    }
    if config.url.startswith("https:"):
        kwargs["verify_certs"] = config.verify_certs
        # We show our own one-line warning instead of urllib3's per-request one.
        kwargs["ssl_show_warn"] = False
        if config.ca_certs:
            kwargs["ca_certs"] = config.ca_certs
        if config.client_cert:
            kwargs["client_cert"] = config.client_cert
        if config.client_key:
            kwargs["client_key"] = config.client_key
        if not config.verify_certs:
            kwargs["ssl_assert_hostname"] = False
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    if config.aws_sigv4:
        kwargs["http_auth"] = _sigv4_auth(config)
    elif config.user:
        kwargs["http_auth"] = (config.user, password)
    return OpenSearch(**kwargs)


def _sigv4_auth(config: OpenSearchConfig) -> Any:
    try:
        import boto3  # optional extra: ktui[aws]
    except ImportError:
        raise ConfigError(
            "aws_sigv4 needs boto3, which is not installed", hint="pip install 'ktui[aws]'"
        ) from None
    from opensearchpy import Urllib3AWSV4SignerAuth

    session = boto3.Session()
    credentials = session.get_credentials()  # refreshable: SSO, roles, IMDS
    if credentials is None:
        raise ConfigError(
            "aws_sigv4 is on but no AWS credentials were found",
            hint="aws configure, AWS_PROFILE or an instance role",
        )
    region = config.aws_region or session.region_name
    if not region:
        raise ConfigError("aws_sigv4 needs a region", hint="set aws_region or AWS_REGION")
    return Urllib3AWSV4SignerAuth(credentials, region, config.aws_service)
