"""OpenSearchConfig.from_sources: precedence, validation, secrets kept out of sight."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from ktui.feeds.errors import ConfigError
from ktui.opensearch.config import DEFAULT_INDEX, OpenSearchConfig
from ktui.opensearch.source import HistorySource, format_total

WORKSHOP_ENV = {
    "OPENSEARCH_HOST": "search-demo.us-west-2.es.amazonaws.com",
    "OPENSEARCH_USER": "admin",
    "OPENSEARCH_PASSWORD": "Secr3t!",
}


def test_workshop_environment() -> None:
    config = OpenSearchConfig.from_sources({}, WORKSHOP_ENV, {})
    assert config.url == "https://search-demo.us-west-2.es.amazonaws.com"
    assert config.index == DEFAULT_INDEX == "eks-kubernetes-events*"
    assert (config.user, config.password) == ("admin", "Secr3t!")
    assert config.verify_certs and config.warning == ""
    assert "Secr3t!" not in repr(config)
    source = HistorySource(config)
    assert source.name == (
        "opensearch https://search-demo.us-west-2.es.amazonaws.com eks-kubernetes-events*"
    )


def test_url_precedence() -> None:
    env = {**WORKSHOP_ENV, "KTUI_OPENSEARCH_URL": "http://localhost:9200"}
    settings = {"url": "https://from-settings:9200"}
    assert OpenSearchConfig.from_sources(settings, WORKSHOP_ENV, {}).url == (
        "https://from-settings:9200"
    )
    assert OpenSearchConfig.from_sources(settings, env, {}).url == "http://localhost:9200"
    assert OpenSearchConfig.from_sources(settings, env, {"url": "https://flag:443/"}).url == (
        "https://flag:443"
    )


def test_credentials_in_the_url_are_split_off() -> None:
    config = OpenSearchConfig.from_sources({}, {}, {"url": "https://bob:pw@os.example:9200"})
    assert (config.url, config.user, config.password) == ("https://os.example:9200", "bob", "pw")
    assert config.display_url == "https://os.example:9200"


def test_settings_table() -> None:
    settings = {
        "url": "https://os:9200",
        "index": "kube-events-*",
        "verify_certs": False,
        "ca_certs": "/etc/ca.pem",
        "request_timeout": 30,
        "use_pit": "false",
        "aws_sigv4": "aoss",
        "aws_region": "eu-west-1",
        "fields": {"last_timestamp": "@timestamp", "message": "msg"},
    }
    config = OpenSearchConfig.from_sources(settings, {}, {})
    assert config.index == "kube-events-*" and config.request_timeout == 30.0
    assert config.warning == "TLS certificate verification is off for OpenSearch"
    assert not config.use_pit
    assert (config.aws_sigv4, config.aws_service, config.aws_region) == (True, "aoss", "eu-west-1")
    assert config.fields == {"last_timestamp": "@timestamp", "message": "msg"}


@pytest.mark.parametrize(
    ("settings", "environ", "message"),
    [
        ({}, {}, "no OpenSearch URL"),
        ({"url": "ftp://x"}, {}, "url must be an http or https URL"),
        ({"url": "https://x", "password": "p"}, {}, "must not hold the OpenSearch password"),
        ({"url": "https://x", "colour": "red"}, {}, "unknown opensearch setting 'colour'"),
        ({"url": "https://x", "verify_certs": "maybe"}, {}, "must be true or false"),
        ({"url": "https://x", "request_timeout": -1}, {}, "must be a positive number"),
        ({"url": "https://x", "fields": {"colour": "c"}}, {}, "unknown field 'colour'"),
        ({"url": "https://x", "aws_service": "s3"}, {}, "aws_service must be 'es' or 'aoss'"),
    ],
)
def test_bad_settings(settings: dict[str, Any], environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        OpenSearchConfig.from_sources(settings, environ, {})
    assert "\n" not in str(caught.value)


def test_missing_password_without_a_way_to_ask() -> None:
    config = OpenSearchConfig.from_sources({}, {"OPENSEARCH_HOST": "h", "OPENSEARCH_USER": "u"}, {})
    with pytest.raises(ConfigError, match="no password for OpenSearch user u"):
        _ = HistorySource(config).client


def test_sigv4_without_boto3_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_boto3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "boto3":
            raise ImportError("No module named 'boto3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    config = OpenSearchConfig.from_sources({"url": "https://x", "aws_sigv4": True}, {}, {})
    with pytest.raises(ConfigError, match="aws_sigv4 needs boto3") as caught:
        _ = HistorySource(config).client
    assert "pip install 'ktui[aws]'" in str(caught.value)


def test_format_total() -> None:
    assert format_total(10_000, True) == "≥ 10,000"
    assert format_total(1234, False) == "1,234"
