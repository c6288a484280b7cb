"""ktui.config: settings.toml + environment + flags -> one typed, frozen Settings.

The policy under test: a wrong key or value costs that key only (it falls back to its
default or to the next source) and becomes one problem naming the file, the line where it
is known, and what was wrong; every other key still applies. Only regular files are read.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pytest

from ktui.config import (
    ArchiveSettings,
    Flags,
    OpenSearchSettings,
    Problem,
    Settings,
    UiSettings,
    load_settings,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(settings: Settings) -> list[str]:
    return [str(problem) for problem in settings.problems]


# -- defaults, types, frozen ------------------------------------------------------------


def test_no_file_gives_the_defaults_and_no_problem(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "settings.toml", environ={})
    assert settings == Settings()
    assert settings.ui == UiSettings(production_pattern="prod", max_events=200_000)
    assert settings.archive == ArchiveSettings(enabled=True, retention="7d", max_size="1GB")
    assert settings.archive.retention_seconds == 7 * 86400
    assert settings.archive.max_bytes == 1_000_000_000
    assert settings.opensearch == OpenSearchSettings()
    assert dict(settings.keys) == {} and dict(settings.clusters) == {}
    assert settings.problems == ()
    assert load_settings(None, environ={}) == Settings()


def test_every_section_is_typed(tmp_path: Path) -> None:
    path = write(tmp_path, """
[ui]
production_pattern = "prod|live"
max_events = 50000

[keys]
"types.warning" = "W"

[opensearch]
url = "https://os.example:9200/"
index = "kube-events-*"
user = "reader"
ca_certs = "/etc/ca.pem"
client_cert = "/etc/c.pem"
client_key = "/etc/k.pem"
verify_certs = "false"
request_timeout = 30
use_pit = false
pit_keep_alive = "2m"
namespace_limit = 500
aws_sigv4 = "aoss"
aws_region = "eu-west-1"

[opensearch.fields]
last_timestamp = "@timestamp"
message = "msg"

[archive]
enabled = false
retention = "36h"
max_size = "500MB"

[clusters]
"arn:aws:eks:eu-west-1:1:cluster/prod" = "prod"
dev = "dev-cluster"
""")
    settings = load_settings(path, environ={})
    assert settings.problems == ()
    assert settings.ui == UiSettings("prod|live", 50_000)
    assert dict(settings.keys) == {"types.warning": "W"}
    os_ = settings.opensearch
    assert (os_.url, os_.url_from) == ("https://os.example:9200", str(path))
    assert (os_.index, os_.user, os_.ca_certs) == ("kube-events-*", "reader", "/etc/ca.pem")
    assert (os_.client_cert, os_.client_key) == ("/etc/c.pem", "/etc/k.pem")
    assert os_.verify_certs is False and os_.use_pit is False
    assert (os_.request_timeout, os_.pit_keep_alive, os_.namespace_limit) == (30.0, "2m", 500)
    assert (os_.aws_sigv4, os_.aws_service, os_.aws_region) == (True, "aoss", "eu-west-1")
    assert dict(os_.fields) == {"last_timestamp": "@timestamp", "message": "msg"}
    assert settings.archive == ArchiveSettings(False, "36h", "500MB")
    assert settings.archive.retention_seconds == 36 * 3600
    assert settings.archive.max_bytes == 500_000_000
    assert dict(settings.clusters) == {"arn:aws:eks:eu-west-1:1:cluster/prod": "prod",
                                       "dev": "dev-cluster"}


def test_settings_are_frozen(tmp_path: Path) -> None:
    path = write(tmp_path, '[keys]\n"quit" = "ctrl+q"\n[clusters]\na = "b"\n')
    settings = load_settings(path, environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ui = UiSettings()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.opensearch.url = "https://elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.keys["quit"] = "q"  # type: ignore[index]
    with pytest.raises(TypeError):
        settings.clusters["a"] = "c"  # type: ignore[index]
    # Built by hand (tests, the UI's defaults), the tables are still read-only copies.
    keys = {"quit": "ctrl+q"}
    by_hand = Settings(keys=keys)
    keys["quit"] = "q"
    assert by_hand.keys["quit"] == "ctrl+q"


# -- one wrong key costs that key only --------------------------------------------------


def test_a_typo_elsewhere_keeps_the_production_pattern(tmp_path: Path) -> None:
    """The field report's case: a syntax error in another table used to drop the whole
    file, so the PROD banner silently went away."""
    path = write(tmp_path, """\
[ui]
production_pattern = "acc"

[opensearch]
url = "https://os.example"
verify_certs = ture
index = "kube-events-*"
""")
    settings = load_settings(path, environ={})
    assert settings.ui.production_pattern == "acc"
    assert settings.opensearch.url == "https://os.example"
    assert settings.opensearch.index == "kube-events-*"
    assert settings.opensearch.verify_certs is True  # the broken line only
    [problem] = settings.problems
    assert (problem.file, problem.line) == (str(path), 6)
    assert "not valid TOML" in problem.what
    assert str(problem).startswith(f"{path}:6: ")


def test_several_syntax_errors_each_cost_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, """\
[ui]
max_events = 20O000
production_pattern = "acc"
[keys]
"quit" = ctrl+q
"types.warning" = "W"
""")
    settings = load_settings(path, environ={})
    assert settings.ui.production_pattern == "acc"
    assert settings.ui.max_events == 200_000
    assert dict(settings.keys) == {"types.warning": "W"}
    assert [(p.line, "not valid TOML" in p.what) for p in settings.problems] == [
        (2, True), (5, True)]


def test_a_broken_table_header_does_not_pour_its_keys_into_the_table_above(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, """\
[keys]
"quit" = "ctrl+q"
[opensearch
url = "https://os.example"
[ui]
production_pattern = "acc"
""")
    settings = load_settings(path, environ={})
    assert dict(settings.keys) == {"quit": "ctrl+q"}  # not a binding named "url"
    assert settings.opensearch.url == ""
    assert settings.ui.production_pattern == "acc"
    assert [p.line for p in settings.problems] == [3]


def test_wrong_values_fall_back_one_by_one_with_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, """\
[ui]
production_pattern = "acc"
max_events = "many"
colour = "red"

[opensearch]
url = "https://os.example"
request_timeout = -1
verify_certs = "maybe"
colour = "blue"
index = 7

[opensearch.fields]
message = "msg"
colour = "c"

[archive]
retention = "a week"
max_size = "lots"

[clusters]
good = "prod"
bad = 3

[colours]
x = 1
""")
    settings = load_settings(path, environ={})
    assert settings.ui == UiSettings("acc", 200_000)
    os_ = settings.opensearch
    assert os_.url == "https://os.example" and os_.request_timeout == 10.0
    assert os_.verify_certs is True and os_.index == OpenSearchSettings().index
    assert dict(os_.fields) == {"message": "msg"}
    assert settings.archive == ArchiveSettings()
    assert dict(settings.clusters) == {"good": "prod"}
    found = {(p.line, p.what.split(" ")[0]) for p in settings.problems}
    assert found == {
        (3, "[ui]"), (4, "[ui]"), (8, "[opensearch]"), (9, "[opensearch]"),
        (10, "[opensearch]"), (11, "[opensearch]"), (15, "[opensearch.fields]"),
        (18, "[archive]"), (19, "[archive]"), (23, "[clusters]"), (25, "[colours]"),
    }
    text = "\n".join(problems(settings))
    assert "max_events must be an integer >= 1000; using 200000" in text
    assert "unknown key 'colour'" in text and "[colours] is not a known table" in text
    assert all(p.file == str(path) for p in settings.problems)


def test_a_bad_pattern_keeps_the_default(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[ui]\nproduction_pattern = "prod("\n'), {})
    assert settings.ui.production_pattern == "prod"
    [problem] = settings.problems
    assert problem.line == 2 and "production_pattern" in problem.what


def test_a_table_that_is_not_a_table(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'ui = "big"\n[keys]\nquit = "ctrl+q"\n'), {})
    assert settings.ui == UiSettings() and dict(settings.keys) == {"quit": "ctrl+q"}
    assert [(p.line, p.what) for p in settings.problems] == [
        (1, "[ui] must be a table; ignored")]


# -- secrets ----------------------------------------------------------------------------


def test_a_password_in_the_file_is_refused_and_never_kept(tmp_path: Path) -> None:
    path = write(tmp_path, """\
[opensearch]
url = "https://bob:hunter2@os.example:9200"
password = "hunter2"
""")
    settings = load_settings(path, environ={})
    assert settings.opensearch.url == "https://os.example:9200"
    assert settings.opensearch.user == "bob"
    assert "hunter2" not in repr(settings)
    assert not any("hunter2" in line for line in problems(settings))
    assert [p.line for p in settings.problems] == [2, 3]
    assert all("password" in p.what for p in settings.problems)
    assert not hasattr(settings.opensearch, "password")


# -- only regular files -----------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    os.mkfifo(path)
    result: list[Settings] = []
    # Opening a pipe for reading blocks until a writer comes: run it aside so a
    # regression fails here instead of hanging the suite.
    reader = threading.Thread(target=lambda: result.append(load_settings(path, {})),
                              daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive(), "load_settings blocked on a named pipe"
    [settings] = result
    assert settings.ui == UiSettings()
    [problem] = settings.problems
    assert problem.file == str(path) and "not a regular file" in problem.what


def test_a_directory_and_bad_bytes_are_problems_not_crashes(tmp_path: Path) -> None:
    directory = tmp_path / "dir.toml"
    directory.mkdir()
    assert "not a regular file" in load_settings(directory, {}).problems[0].what
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'[ui]\nproduction_pattern = "\xff"\n')
    settings = load_settings(binary, {})
    assert settings.ui == UiSettings() and "UTF-8" in settings.problems[0].what


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    real = write(tmp_path, '[ui]\nproduction_pattern = "acc"\n')
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert load_settings(link, {}).ui.production_pattern == "acc"


# -- the environment and the flags ------------------------------------------------------


FILE = """\
[ui]
production_pattern = "acc"
[opensearch]
url = "https://from-file:9200"
index = "file-index-*"
user = "file-user"
"""


def test_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, FILE)
    env = {
        "KTUI_PRODUCTION_PATTERN": "live",
        "KTUI_OPENSEARCH_URL": "http://localhost:9200",
        "KTUI_OPENSEARCH_INDEX": "env-index-*",
        "OPENSEARCH_HOST": "workshop.example",
        "OPENSEARCH_USER": "env-user",
    }
    settings = load_settings(path, env)
    assert settings.problems == ()
    assert settings.ui.production_pattern == "live"
    os_ = settings.opensearch
    assert (os_.url, os_.url_from) == ("http://localhost:9200", "KTUI_OPENSEARCH_URL")
    assert os_.index == "env-index-*"
    # OPENSEARCH_* are the workshop's shared variables: the file's own value wins.
    assert os_.user == "file-user"


def test_the_workshop_variables_fill_in_what_the_file_leaves_out(tmp_path: Path) -> None:
    env = {"OPENSEARCH_HOST": "search.example", "OPENSEARCH_USER": "admin",
           "OPENSEARCH_PASSWORD": "Secr3t!"}
    settings = load_settings(write(tmp_path, "[ui]\n"), env)
    assert settings.opensearch.url == "https://search.example"
    assert settings.opensearch.url_from == "OPENSEARCH_HOST"
    assert settings.opensearch.user == "admin"
    assert "Secr3t!" not in repr(settings)


def test_flags_override_the_environment(tmp_path: Path) -> None:
    env = {"KTUI_OPENSEARCH_URL": "http://localhost:9200", "KTUI_OPENSEARCH_INDEX": "e-*"}
    flags = Flags(opensearch_url="https://flag:443/", index="flag-*")
    settings = load_settings(write(tmp_path, FILE), env, flags)
    assert (settings.opensearch.url, settings.opensearch.url_from) == (
        "https://flag:443", "--opensearch-url")
    assert settings.opensearch.index == "flag-*"


def test_a_bad_environment_value_is_a_problem_and_the_next_source_applies(
    tmp_path: Path,
) -> None:
    env = {"KTUI_PRODUCTION_PATTERN": "(", "KTUI_OPENSEARCH_URL": "ftp://x"}
    settings = load_settings(write(tmp_path, FILE), env)
    assert settings.ui.production_pattern == "acc"
    assert settings.opensearch.url == "https://from-file:9200"
    assert sorted((p.file, p.line) for p in settings.problems) == [
        ("KTUI_OPENSEARCH_URL", None), ("KTUI_PRODUCTION_PATTERN", None)]
    assert not any(p.from_flag for p in settings.problems)


def test_a_bad_flag_is_a_problem_marked_as_from_a_flag(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FILE), {}, Flags(opensearch_url="ftp://x"))
    [problem] = settings.problems
    assert problem.from_flag and problem.file == "--opensearch-url"
    assert str(problem) == "--opensearch-url: must be an http or https URL, not 'ftp://'"


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    env = {"KTUI_PRODUCTION_PATTERN": "", "KTUI_OPENSEARCH_URL": " "}
    settings = load_settings(write(tmp_path, FILE), env)
    assert settings.ui.production_pattern == "acc"
    assert settings.opensearch.url == "https://from-file:9200"
    assert settings.problems == ()


def test_problem_text() -> None:
    assert str(Problem("/c/settings.toml", 3, "[ui] x")) == "/c/settings.toml:3: [ui] x"
    assert str(Problem("/c/settings.toml", None, "gone")) == "/c/settings.toml: gone"
