"""config_from_settings: the one way from settings, environment and flags to the client's
configuration (precedence, secrets kept out of sight, what is refused)."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ktui.config import Flags, OpenSearchSettings, load_settings
from ktui.config.exporter_fields import FIELD_PATHS
from ktui.feeds.errors import ConfigError
from ktui.opensearch.config import DEFAULT_INDEX, OpenSearchConfig, config_from_settings
from ktui.opensearch.mapping import field_map
from ktui.opensearch.source import HistorySource, format_total

WORKSHOP_ENV = {
    "OPENSEARCH_HOST": "search-demo.us-west-2.es.amazonaws.com",
    "OPENSEARCH_USER": "admin",
    "OPENSEARCH_PASSWORD": "Secr3t!",
}


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "settings.toml"


def build(path: Path, table: str = "", environ: Mapping[str, str] | None = None,
          flags: Flags | None = None) -> OpenSearchConfig:
    """What both the TUI and ``ktui events --history`` do: load, then build."""
    path.write_text(f"[opensearch]\n{table}\n", encoding="utf-8")
    environ = environ or {}
    settings = load_settings(path, environ, flags)
    assert settings.problems == ()
    return config_from_settings(settings.opensearch, environ, flags)


def test_workshop_environment(settings_file: Path) -> None:
    config = build(settings_file, "", WORKSHOP_ENV)
    assert config.url == "https://search-demo.us-west-2.es.amazonaws.com"
    assert config.index == DEFAULT_INDEX == "eks-kubernetes-events*"
    assert (config.user, config.password) == ("admin", "Secr3t!")
    assert config.verify_certs and config.warning == ""
    assert "Secr3t!" not in repr(config)
    source = HistorySource(config)
    assert source.name == (
        "opensearch https://search-demo.us-west-2.es.amazonaws.com eks-kubernetes-events*"
    )


def test_url_precedence(settings_file: Path) -> None:
    env = {**WORKSHOP_ENV, "KTUI_OPENSEARCH_URL": "http://localhost:9200"}
    table = 'url = "https://from-settings:9200"'
    assert build(settings_file, table, WORKSHOP_ENV).url == "https://from-settings:9200"
    assert build(settings_file, table, env).url == "http://localhost:9200"
    flags = Flags(opensearch_url="https://flag:443/")
    assert build(settings_file, table, env, flags).url == "https://flag:443"


def test_credentials_in_a_flag_or_variable_url_are_split_off(settings_file: Path) -> None:
    config = build(settings_file, "", {}, Flags(opensearch_url="https://bob:pw@os.example:9200"))
    assert (config.url, config.user, config.password) == ("https://os.example:9200", "bob", "pw")
    assert config.display_url == "https://os.example:9200"
    config = build(settings_file, "", {"KTUI_OPENSEARCH_URL": "http://al:pw2@localhost:9200"})
    assert (config.url, config.user, config.password) == ("http://localhost:9200", "al", "pw2")
    # OPENSEARCH_PASSWORD wins over one written into the URL
    config = build(settings_file, "", {"KTUI_OPENSEARCH_URL": "http://al:pw2@localhost:9200",
                                       "OPENSEARCH_PASSWORD": "env"})
    assert config.password == "env"


def test_settings_table(settings_file: Path) -> None:
    table = """
url = "https://os:9200"
index = "kube-events-*"
verify_certs = false
ca_certs = "/etc/ca.pem"
request_timeout = 30
use_pit = "false"
aws_sigv4 = "aoss"
aws_region = "eu-west-1"
namespace_limit = 50
pit_keep_alive = "5m"
[opensearch.fields]
last_timestamp = "@timestamp"
message = "msg"
"""
    config = build(settings_file, table)
    assert config.index == "kube-events-*" and config.request_timeout == 30.0
    assert config.warning == "TLS certificate verification is off for OpenSearch"
    assert not config.use_pit and config.ca_certs == "/etc/ca.pem"
    assert (config.namespace_limit, config.pit_keep_alive) == (50, "5m")
    assert (config.aws_sigv4, config.aws_service, config.aws_region) == (True, "aoss", "eu-west-1")
    assert config.fields == {"last_timestamp": "@timestamp", "message": "msg"}


def test_the_client_reads_every_field_the_settings_let_a_user_move(settings_file: Path) -> None:
    """[opensearch.fields] accepts a name only if the client's field map reads it there:
    each moved field is looked up at its new path; a name the client does not know is a
    problem, not silently ignored."""
    names = sorted(FIELD_PATHS)
    table = "[opensearch.fields]\n" + "".join(f'{name} = "moved.{name}"\n' for name in names)
    config = build(settings_file, f'url = "https://os:9200"\n{table}')
    moved = {name: {"type": "keyword"} for name in names}
    index = {"events": {"mappings": {"properties": {"moved": {"properties": moved}}}}}
    fields = field_map(index, config.fields)
    for name in names:
        assert (fields[name].path, fields[name].keyword) == (f"moved.{name}", f"moved.{name}")
    settings_file.write_text('[opensearch.fields]\ncolour = "c"\n', encoding="utf-8")
    [problem] = load_settings(settings_file, {}).problems
    assert "unknown field 'colour'" in problem.what and "creation_timestamp" in problem.what


def test_the_client_config_is_the_settings_plus_the_password(settings_file: Path) -> None:
    table = """
url = "https://os:9200"
index = "kube-*"
user = "reader"
ca_certs = "/ca.pem"
client_cert = "/c.pem"
client_key = "/k.pem"
verify_certs = false
aws_sigv4 = true
aws_service = "aoss"
aws_region = "eu-west-1"
request_timeout = 3
use_pit = false
pit_keep_alive = "2m"
namespace_limit = 7
[opensearch.fields]
message = "msg"
"""
    settings_file.write_text(f"[opensearch]\n{table}\n", encoding="utf-8")
    environ = {"OPENSEARCH_PASSWORD": "Secr3t!"}
    section = load_settings(settings_file, environ).opensearch
    config = config_from_settings(section, environ)
    for name in (f.name for f in dataclasses.fields(OpenSearchSettings)):
        assert getattr(config, name) == getattr(section, name), name
    assert config.password == "Secr3t!" and "Secr3t!" not in repr(config)


def test_no_url_is_the_one_thing_the_builder_refuses(settings_file: Path) -> None:
    with pytest.raises(ConfigError, match="no OpenSearch URL") as caught:
        build(settings_file, 'index = "x-*"')
    assert "KTUI_OPENSEARCH_URL" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('url = "ftp://x"', "url must be an http or https URL"),
        ('password = "p"', "must not hold the OpenSearch password"),
        ('colour = "red"', "unknown key 'colour'"),
        ('verify_certs = "maybe"', "verify_certs must be true or false"),
        ("request_timeout = -1", "request_timeout must be a positive number"),
        ('aws_service = "s3"', "aws_service must be 'es' or 'aoss'"),
        ('client_key = "/k.pem"', "client_key needs client_cert"),
        ('[opensearch.fields]\ncolour = "c"', "unknown field 'colour'"),
    ],
)
def test_a_bad_setting_is_a_problem_and_the_rest_still_builds(
    settings_file: Path, table: str, problem: str
) -> None:
    settings_file.write_text(f'[opensearch]\nindex = "kept-*"\n{table}\n', encoding="utf-8")
    env = {"OPENSEARCH_HOST": "os.example"}
    settings = load_settings(settings_file, env)
    [found] = settings.problems
    assert problem in found.what and found.line is not None and "\n" not in str(found)
    config = config_from_settings(settings.opensearch, env)
    assert config.index == "kept-*"
    assert config.url in ("https://os.example", "https://x")
    assert config.verify_certs and config.request_timeout == 10.0 and not config.client_key
    assert config.aws_service == "es" and config.fields == {} and config.password == ""


def test_the_tui_asks_the_session_for_a_missing_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ktui.cli.ui_cmd import make_history

    monkeypatch.delenv("OPENSEARCH_PASSWORD", raising=False)
    monkeypatch.delenv("KTUI_OPENSEARCH_URL", raising=False)
    session = make_history(OpenSearchSettings(url="https://os:9200", user="reader"))
    session.ask_password = lambda: "typed"  # what the app's modal prompt answers
    source = session.source()
    assert isinstance(source, HistorySource) and source.config.password_callback is not None
    assert source.config.password_callback() == "typed"
    monkeypatch.setenv("OPENSEARCH_PASSWORD", "from-env")
    source = make_history(OpenSearchSettings(url="https://os:9200", user="reader")).source()
    assert isinstance(source, HistorySource) and source.config.password_callback is None
    assert source.config.password == "from-env"


def test_missing_password_without_a_way_to_ask(settings_file: Path) -> None:
    config = build(settings_file, "", {"OPENSEARCH_HOST": "h", "OPENSEARCH_USER": "u"})
    with pytest.raises(ConfigError, match="no password for OpenSearch user u"):
        _ = HistorySource(config).client


def test_sigv4_without_boto3_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, settings_file: Path
) -> None:
    real_import = builtins.__import__

    def no_boto3(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "boto3":
            raise ImportError("No module named 'boto3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    config = build(settings_file, 'url = "https://x"\naws_sigv4 = true')
    with pytest.raises(ConfigError, match="aws_sigv4 needs boto3") as caught:
        _ = HistorySource(config).client
    assert "pip install 'ktui[aws]'" in str(caught.value)


def test_format_total() -> None:
    assert format_total(10_000, True) == "≥ 10,000"
    assert format_total(1234, False) == "1,234"
