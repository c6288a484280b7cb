"""``ktui --view NAME``: what is refused before the UI starts, as one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.cli import main
from ktui.views.store import SavedView, ViewStore

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "http://127.0.0.1:9"}
users:
- name: me
  user: {token: not-a-real-token}
contexts:
- name: dev
  context: {cluster: one, user: me}
current-context: dev
"""


@pytest.fixture
def views(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ViewStore:
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path / "config"))
    return ViewStore(tmp_path / "config" / "views")


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    return str(path)


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_an_unknown_view_names_the_saved_ones(
    views: ViewStore, kubeconfig: str, capsys: pytest.CaptureFixture[str]
) -> None:
    views.save(SavedView("payments", types=("Warning",)))
    views.save(SavedView("[red]odd[/]"))
    assert main(["--kubeconfig", kubeconfig, "--view", "nope"]) == 2
    # the store's own line, as `ktui events --view` and `ktui views show` say it
    assert _error(capsys) == "ktui: no saved view named 'nope' (known: '[red]odd[/]', 'payments')"


def test_a_corrupt_view_is_reported_and_left_alone(
    views: ViewStore, kubeconfig: str, capsys: pytest.CaptureFixture[str]
) -> None:
    views.directory.mkdir(parents=True)
    broken = views.directory / "broken.toml"
    broken.write_bytes(b'name = "broken"\nquery = [unclosed\n')
    assert main(["--kubeconfig", kubeconfig, "--view", "broken"]) == 2
    line = _error(capsys)
    assert line.startswith("ktui: saved view 'broken': ") and "broken.toml: not valid TOML" in line
    assert broken.read_bytes() == b'name = "broken"\nquery = [unclosed\n'


def test_view_and_query_together_are_refused(
    views: ViewStore, kubeconfig: str, capsys: pytest.CaptureFixture[str]
) -> None:
    views.save(SavedView("mine"))
    assert main(["--kubeconfig", kubeconfig, "--view", "mine", "--query", "type:Warning"]) == 2
    assert _error(capsys) == "ktui: use either --view or --query, not both"


def test_a_view_for_a_context_not_in_the_kubeconfig(
    views: ViewStore, kubeconfig: str, capsys: pytest.CaptureFixture[str]
) -> None:
    views.save(SavedView("prod", context="prod-eu"))
    assert main(["--kubeconfig", kubeconfig, "--view", "prod"]) == 2
    assert _error(capsys) == ("ktui: view prod is for context 'prod-eu', which is not in "
                              "the kubeconfig")


def test_the_demo_started_for_want_of_a_kubeconfig_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14.10: the note under the header's DEMO badge says why and what to do."""
    from ktui.cli.ui_cmd import demo_hint

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    hint = demo_hint(None)
    assert hint.startswith(f"No kubeconfig ({tmp_path}/.kube/config does not exist): these ")
    assert hint.endswith("For a cluster: ktui --kubeconfig PATH, or set KUBECONFIG")
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    assert demo_hint(None).startswith("No kubeconfig (/nonexistent (from KUBECONFIG) does not")
    assert demo_hint("/given/by/flag") == ""  # --kubeconfig: its own error if missing
    (tmp_path / "kc").write_text("")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kc"))
    assert demo_hint(None) == ""
