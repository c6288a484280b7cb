"""The OpenSearch client's configuration, built from the typed ``[opensearch]`` settings.

:mod:`ktui.config` reads and checks settings.toml, the environment and the flags (one
policy: a bad value is a problem, the rest applies); :func:`config_from_settings` turns
that section into an :class:`OpenSearchConfig` for both the TUI and ``ktui events
--history``. The password is never read from the settings file, never kept on the
config's repr and never logged: it comes from ``OPENSEARCH_PASSWORD``, a URL given in
``KTUI_OPENSEARCH_URL`` or ``--opensearch-url`` (``https://user:pw@host``), or a callback
that asks once per session.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import field, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ktui.config import AWS_SERVICES, DEFAULT_INDEX, Flags, OpenSearchSettings
from ktui.feeds.errors import ConfigError
from ktui.records import record

__all__ = ["AWS_SERVICES", "DEFAULT_INDEX", "OpenSearchConfig", "build_client",
           "config_from_settings"]


@record
class OpenSearchConfig(OpenSearchSettings):
    """Connection settings for the history source: one ``[opensearch]`` table's settings
    (every field of :class:`OpenSearchSettings`, declared once there) and the password,
    which the settings never hold. Frozen like them: a changed copy is
    :func:`dataclasses.replace`."""

    password: str = field(default="", repr=False, compare=False)
    password_callback: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    """Asked once per session when a user is set and no password is known."""

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


def config_from_settings(section: OpenSearchSettings, environ: Mapping[str, str],
                         flags: Flags | None = None) -> OpenSearchConfig:
    """The client configuration for ``section`` (from :func:`ktui.config.load_settings`
    with the same ``environ`` and ``flags``), plus the password where one is given.

    Raises :class:`ConfigError` when no URL is configured: history is then unavailable,
    which is not a settings problem (the live view needs none of it).
    """
    if not section.url:
        raise ConfigError(
            "no OpenSearch URL",
            hint="set KTUI_OPENSEARCH_URL or OPENSEARCH_HOST, or url in [opensearch]",
        )
    # A password written into the URL is honoured from a variable or a flag (never from
    # the file): the settings keep the URL without it, so read it where it was given.
    flags = flags or Flags()
    given = {"--opensearch-url": flags.opensearch_url,
             "KTUI_OPENSEARCH_URL": environ.get("KTUI_OPENSEARCH_URL")}.get(section.url_from)
    url_password = ""
    if given:
        try:
            url_password = urlsplit(given.strip()).password or ""
        except ValueError:  # load_settings already refused such a URL
            url_password = ""
    settings = {f.name: getattr(section, f.name) for f in fields(OpenSearchSettings)}
    return OpenSearchConfig(
        **settings, password=environ.get("OPENSEARCH_PASSWORD") or url_password
    )


def build_client(config: OpenSearchConfig, password: str) -> Any:
    """An ``OpenSearch`` client for ``config`` (TLS on by default, one host, no sniffing)."""
    from opensearchpy import OpenSearch

    from ktui.opensearch.client import RetryAfterConnection

    kwargs: dict[str, Any] = {
        "hosts": [config.url],
        "timeout": config.request_timeout,
        "max_retries": 1,
        "retry_on_timeout": False,
        # 429 and 5xx are retried by HistorySource, after the pause the cluster asks for
        # (Retry-After) or a backoff; the client's own retry would come at once.
        "retry_on_status": (),
        # A remote cluster sends ~1 KB per event: gzip is worth it; on loopback it is not.
        "http_compress": not config.is_local,
        "connection_class": RetryAfterConnection,
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
