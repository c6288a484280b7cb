"""``ktui events --history`` (and a history ``--view``) against the shared OpenSearch.

In-process through ``ktui.cli.main`` (stdout and stderr captured), and as a subprocess
where the environment or a terminal matters. The ground truth comes from the generated
documents (``truth.py``); event times are recomputed here from the raw documents.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ktui.cli import main
from ktui.model.event import format_time
from ktui.model.query import Query, parse_query
from ktui.model.timerange import TimeRange
from ktui.views.store import SavedView, ViewStore

from .conftest import Backend, Dataset
from .oracle import millis
from .proxy import FrontProxy
from .truth import truth_for

SINGLE = "eks-kubernetes-events*"
DAILY = "kube-events-*"
FILTER = "reason:BackOff,FailedScheduling kind:pod"  # old API and new API (series) events
OS_VARIABLES = (
    "KTUI_OPENSEARCH_URL",
    "KTUI_OPENSEARCH_INDEX",
    "OPENSEARCH_HOST",
    "OPENSEARCH_USER",
    "OPENSEARCH_PASSWORD",
)


@pytest.fixture
def config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backend: Backend, dataset: Dataset
) -> Path:
    """A clean environment: our own config dir and settings, only the backend's login."""
    monkeypatch.setenv("KTUI_CONFIG_DIR", str(tmp_path))
    for name in OS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if backend.user:
        monkeypatch.setenv("OPENSEARCH_USER", backend.user)
        monkeypatch.setenv("OPENSEARCH_PASSWORD", backend.password)
    write_settings(tmp_path, request_timeout=60)
    return tmp_path


def write_settings(directory: Path, **values: Any) -> None:
    lines = ["[opensearch]"]
    if os.environ.get("KTUI_TEST_OPENSEARCH_INSECURE"):
        lines.append("verify_certs = false")
    lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    (directory / "settings.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def events(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["events", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def history(backend: Backend, index: str, *argv: str) -> list[str]:
    return ["--history", "--opensearch-url", backend.url, "--index", backend.prefix + index,
            *argv]  # fmt: skip


def span(start: float, end: float) -> list[str]:
    return ["--from", format_time(start), "--to", format_time(end)]


def window(dataset: Dataset) -> TimeRange:
    """Thirty hours inside the data, crossing a day boundary (two daily indices)."""
    return TimeRange.between(dataset.start + 6 * 3600, dataset.start + 36 * 3600)


def everything(dataset: Dataset) -> TimeRange:
    return TimeRange.between(dataset.start - 86400, dataset.end + 86400)


def records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def parse_rfc3339(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def chain_time(doc: Mapping[str, Any]) -> float:
    """series.lastObservedTime → lastTimestamp → eventTime → firstTimestamp → created."""
    series = doc.get("series") or {}
    metadata = doc.get("metadata") or {}
    for value in (
        series.get("lastObservedTime"),
        doc.get("lastTimestamp"),
        doc.get("eventTime"),
        doc.get("firstTimestamp"),
        metadata.get("creationTimestamp"),
    ):
        if value:
            return parse_rfc3339(value)
    raise AssertionError(f"no time in {doc}")


def check_listing(
    got: list[dict[str, Any]], docs: list[Mapping[str, Any]], want_uids: set[str]
) -> None:
    """Exactly the expected events, once each, oldest first, each at its chain time (the
    latest time any stored copy of it has)."""
    uids = [r["uid"] for r in got]
    assert len(uids) == len(set(uids)), "an event was printed twice"
    assert set(uids) == want_uids
    latest: dict[str, float] = {}
    for doc in docs:
        uid = doc["metadata"]["uid"]
        latest[uid] = max(latest.get(uid, 0.0), chain_time(doc))
    times = [millis(parse_rfc3339(r["last_seen"])) for r in got]
    assert times == [millis(latest[r["uid"]]) for r in got]
    assert times == sorted(times), "not oldest first"


def busiest_warning_namespace(dataset: Dataset, time_range: TimeRange) -> str:
    truth = truth_for(dataset.single, parse_query(FILTER).with_types({"Warning"}), time_range)
    counts: dict[str, int] = {}
    for event in truth.events:
        counts[event.namespace] = counts.get(event.namespace, 0) + 1
    return max(counts, key=lambda ns: counts[ns])


# -- what is listed ------------------------------------------------------------------


@pytest.mark.parametrize("index", [SINGLE, DAILY])
def test_type_namespace_and_query_select_exactly_the_truth(
    backend: Backend,
    dataset: Dataset,
    config_dir: Path,
    capsys: pytest.CaptureFixture[str],
    index: str,
) -> None:
    time_range = window(dataset)
    ns = busiest_warning_namespace(dataset, time_range)
    code, out, err = events(
        capsys, *history(backend, index, *span(*time_range.bounds())),
        "--type", "warning", "-n", ns, "--query", FILTER, "-o", "jsonl",
    )  # fmt: skip
    assert code == 0, err
    assert err == ""
    query = parse_query(FILTER).with_types({"Warning"}).with_namespaces({ns})
    stored = dataset.single if index == SINGLE else dataset.daily
    truth = truth_for(stored, query, time_range)
    assert len(truth.events) >= 20
    assert any(doc.get("series") for doc in truth.docs)  # new-API events are in it
    got = records(out)
    assert len(got) == len(truth.events)
    check_listing(got, truth.docs, {e.uid for e in truth.events})
    assert {(r["type"], r["namespace"], r["object"]["kind"]) for r in got} == {
        ("Warning", ns, "Pod")
    }
    assert {r["reason"] for r in got} == {"BackOff", "FailedScheduling"}
    assert all(r["api"] == "exporter" and r["count_is_lower_bound"] for r in got)
    if index == DAILY:  # every send is a document there: de-duplicated on uid
        assert len(truth.docs) > len(truth.events)


def test_free_words_and_negation_in_query(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    time_range = window(dataset)
    code, out, err = events(
        capsys, *history(backend, SINGLE, *span(*time_range.bounds())),
        "-A", "--query", "memory -kind:Node", "-o", "json",
    )  # fmt: skip
    assert code == 0, err
    truth = truth_for(dataset.single, parse_query("memory -kind:Node"), time_range)
    got = json.loads(out)
    assert len(got) == len(truth.events) > 0
    check_listing(got, truth.docs, {e.uid for e in truth.events})
    assert {r["reason"] for r in got} == {"FailedScheduling"}  # "5 Insufficient memory."


def test_more_than_ten_thousand_events_page_through(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    time_range = everything(dataset)
    code, out, err = events(
        capsys, *history(backend, SINGLE, *span(*time_range.bounds()), "-o", "jsonl")
    )
    assert code == 0, err
    truth = truth_for(dataset.single, Query(), time_range)
    assert len(truth.events) > 10_000
    got = records(out)
    assert len(got) == len(truth.events)
    check_listing(got, truth.docs, {e.uid for e in truth.events})
    assert out.isascii()


def test_since_is_relative_to_now(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --since N: the last N seconds before the command's "now", taken between two clocks
    # read here; the window starts mid-data, so events drop out as "now" moves on.
    seconds = int(time.time() - (dataset.start + 1.5 * 86400))
    before = time.time()
    code, out, err = events(
        capsys, *history(backend, SINGLE, "--since", f"{seconds}s", "-o", "jsonl")
    )
    after = time.time()
    assert code == 0, err
    got = {r["uid"] for r in records(out)}
    widest = truth_for(dataset.single, Query(), TimeRange.between(before - seconds, after))
    narrowest = truth_for(dataset.single, Query(), TimeRange.between(after - seconds, before))
    assert {e.uid for e in narrowest.events} <= got <= {e.uid for e in widest.events}
    assert 4000 < len(got) < 10_000
    # The default is the last hour: the data is older; the table format says so.
    truth = truth_for(dataset.single, Query(), TimeRange.last("1h"))
    code, out, err = events(capsys, *history(backend, SINGLE))
    if not truth.events:
        assert (code, out, err) == (0, "", "No events found.\n")
    else:  # pragma: no cover - a clock set back into the data
        assert code == 0 and len(out.splitlines()) == 1 + len(truth.events)


def test_table_escapes_control_characters(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = parse_rfc3339("2026-11-18T09:00:00Z")
    code, out, err = events(
        capsys, *history(backend, "odd-events-*", *span(start, start + 7200), "-n", "odd")
    )
    assert code == 0, err
    lines = out.splitlines()
    assert re.match(r"LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$", lines[0])  # one namespace
    assert len(lines) == 1 + 5  # odd-1..odd-6 but the one without metadata (no namespace)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out)
    assert r"Back-off [/] \x1b[2J restarting" in out
    code, out, err = events(capsys, *history(backend, "odd-events-*", *span(start, start + 7200)))
    assert code == 0, err
    assert out.splitlines()[0].startswith("NAMESPACE ")  # every namespace: the column is back


# -- saved history views -------------------------------------------------------------------


def test_history_view(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    time_range = window(dataset)
    ns = busiest_warning_namespace(dataset, time_range)
    view = SavedView("payments history", mode="history", query=FILTER, types=("Warning",),
                     namespaces=(ns,), time_range=time_range)  # fmt: skip
    ViewStore(config_dir / "views").save(view)
    source = ["--opensearch-url", backend.url, "--index", backend.prefix + SINGLE]
    code, out, err = events(capsys, "--view", "payments history", *source, "-o", "jsonl")
    assert code == 0, err
    truth = truth_for(dataset.single, view.to_query(), time_range)
    assert len(truth.events) >= 20
    check_listing(records(out), truth.docs, {e.uid for e in truth.events})
    # Flags on the command line win over the view's: here the query and the range.
    later = TimeRange.between(time_range.bounds()[1], time_range.bounds()[1] + 86400)
    code, out, err = events(capsys, "--view", "payments history", *source, "-o", "jsonl",
                            "--query", "reason:Unhealthy", *span(*later.bounds()))  # fmt: skip
    assert code == 0, err
    query = parse_query("reason:Unhealthy").with_types({"Warning"}).with_namespaces({ns})
    truth = truth_for(dataset.single, query, later)
    assert truth.events
    check_listing(records(out), truth.docs, {e.uid for e in truth.events})
    code, out, err = events(capsys, "--view", "payments history", *source, "--watch")
    assert code == 2 and out == ""
    assert err == "ktui: --watch cannot follow OpenSearch history " \
                  "(view 'payments history' is a history view)\n"  # fmt: skip
    ViewStore(config_dir / "views").save(SavedView("no range", mode="history"))
    code, out, err = events(capsys, "--view", "no range", *source, "-o", "jsonl")
    assert code == 0, err
    truth = truth_for(dataset.single, Query(), TimeRange.last("1h"))  # the default range
    assert len(records(out)) == len(truth.events)
    code, out, err = events(capsys, "--view", "nope", *source)
    assert (code, out) == (2, "")
    assert err == "ktui: no saved view named 'nope' (known: 'no range', 'payments history')\n"


# -- errors: one line, the right exit code -------------------------------------------------


def one_line(code: int, out: str, err: str, want: int) -> str:
    assert code == want, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_refused_port(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    line = one_line(
        *events(capsys, "--history", "--opensearch-url", f"http://127.0.0.1:{port}"), want=1
    )
    assert line == f"ktui: cannot reach OpenSearch at http://127.0.0.1:{port}: connection refused"


def test_index_pattern_matching_nothing(
    backend: Backend, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for pattern in ("nothing-here-*", "nothing-here"):
        line = one_line(*events(capsys, *history(backend, pattern)), want=1)
        assert line == f"ktui: no index matches {backend.prefix}{pattern} (check the index pattern)"


def test_usage_errors_exit_2_before_any_request(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # never contacted: each fails before
    cases = {
        ("--watch",): "ktui: --watch cannot follow OpenSearch history",
        ("--from", "yesterday"): "ktui: --from needs an RFC 3339 time, got 'yesterday'",
        ("--from", "2026-11-18T10:00:00Z", "--to", "2026-11-18T09:00:00Z"):
            "ktui: the end of a time range must come after its start",
        ("--to", "2026-11-18T09:00:00Z"): "ktui: --to needs --from",
        ("--since", "soon"): "ktui: 'soon' is not a duration like 15m, 6h or 7d",
        ("--since", "1h", "--from", "2026-11-18T10:00:00Z"):
            "ktui: use either --since or --from/--to, not both",
        ("--query", "reason~("): "ktui: invalid --query:",
    }  # fmt: skip
    for extra, start in cases.items():
        line = one_line(*events(capsys, "--history", "--opensearch-url", url, *extra), want=2)
        assert line.startswith(start), (extra, line)
    for bad, start in (
        ("ftp://host", "ktui: --opensearch-url: must be an http or https URL, not 'ftp://'"),
        ("http://[::1", "ktui: --opensearch-url: has a bad host or port"),
        ("http://host:99999", "ktui: --opensearch-url: has a bad host or port"),
    ):
        line = one_line(*events(capsys, "--history", "--opensearch-url", bad), want=2)
        assert line.startswith(start), (bad, line)
    # Without OpenSearch, history is the archive, which needs the kubeconfig's cluster.
    monkeypatch.setenv("KUBECONFIG", str(config_dir / "no-such-kubeconfig"))
    monkeypatch.setenv("KTUI_DATA_DIR", str(config_dir / "data"))
    (config_dir / "settings.toml").write_text("", encoding="utf-8")
    line = one_line(*events(capsys, "--history"), want=2)
    assert line.startswith("ktui: no OpenSearch URL (set KTUI_OPENSEARCH_URL")
    assert line.endswith("and for the archive: no kubeconfig found: "
                         f"{config_dir / 'no-such-kubeconfig'} (from KUBECONFIG) does not exist")
    line = one_line(*events(capsys, "--history", "--archive", "--index", "x"), want=2)
    assert line == "ktui: --index reads OpenSearch; it cannot go with --archive"
    line = one_line(*events(capsys, "--archive", "-A"), want=2)
    assert line == ("ktui: --archive needs --history, or a range (--since) to merge history "
                    "with the live list")
    assert not (config_dir / "data").exists()
    # A range without --history is the merged timeline, which needs the live context.
    line = one_line(*events(capsys, "--since", "1h", "-A"), want=2)
    assert line == ("ktui: no kubeconfig found: "
                    f"{config_dir / 'no-such-kubeconfig'} (from KUBECONFIG) does not exist")
    assert not (config_dir / "data").exists()


@pytest.mark.parametrize(
    ("status", "start"),
    [
        (401, "ktui: OpenSearch at {url} rejected the credentials (401)"),
        (403, "ktui: OpenSearch denied access to eks-kubernetes-events* (403): no permissions"),
    ],
)
def test_security_answers_without_secrets(
    backend: Backend,
    config_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    start: str,
) -> None:
    with FrontProxy(backend.url, status=status) as proxy:
        host = proxy.url.removeprefix("http://")
        monkeypatch.setenv("OPENSEARCH_PASSWORD", "hunter2-secret")
        line = one_line(
            *events(capsys, "--history", "--opensearch-url", f"http://reader:urlpass@{host}",
                    "--index", "eks-kubernetes-events*"),
            want=1,
        )  # fmt: skip
    assert line.startswith(start.format(url=proxy.url)), line
    assert "hunter2" not in line and "urlpass" not in line and "reader@" not in line


def test_timeout_from_settings(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_settings(config_dir, request_timeout=0.3, index=backend.prefix + SINGLE)
    with FrontProxy(backend.url, delay=1.5) as proxy:
        line = one_line(*events(capsys, "--history", "--opensearch-url", proxy.url), want=1)
    assert line.startswith(f"ktui: OpenSearch at {proxy.url} did not answer within 0.3 s")


def test_a_broken_line_in_settings_is_a_warning_and_the_rest_applies(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The index comes from the file although another line of it does not parse."""
    write_settings(config_dir, request_timeout=60, index=backend.prefix + SINGLE)
    path = config_dir / "settings.toml"
    text = path.read_text(encoding="utf-8") + "namespace_limit = 1O0\n[ui]\ncolour = 1\n"
    path.write_text(text, encoding="utf-8")
    broken = text.splitlines().index("namespace_limit = 1O0") + 1
    code, out, err = events(capsys, "--history", "--opensearch-url", backend.url,
                            *span(dataset.start, dataset.end), "-A", "-o", "jsonl")
    assert code == 0 and len(records(out)) == len(dataset.single_docs)
    assert err.splitlines() == [
        f"ktui: warning: settings: {path}:{broken}: not valid TOML (Expected newline or "
        "end of document after a statement); "
        "line ignored",
        f"ktui: warning: settings: {path}:{broken + 2}: [ui] unknown key 'colour' "
        "(known: max_events, production_pattern); ignored",
    ]


def test_no_password_without_a_terminal(
    backend: Backend, config_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("OPENSEARCH_USER", "reader")
    monkeypatch.delenv("OPENSEARCH_PASSWORD", raising=False)
    line = one_line(*events(capsys, *history(backend, SINGLE)), want=2)
    assert line == "ktui: no password for OpenSearch user reader (set OPENSEARCH_PASSWORD)"


# -- as a process: the environment, a terminal ----------------------------------------------


def clean_env(config_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OS_VARIABLES}
    env.update(KTUI_CONFIG_DIR=str(config_dir), KUBECONFIG="/nonexistent", **extra)
    return env


def test_environment_url_wins_and_no_kubeconfig_or_textual(
    backend: Backend, dataset: Dataset, config_dir: Path
) -> None:
    if backend.user:
        pytest.skip("the proxy below has no login")
    time_range = window(dataset)
    args = [*span(*time_range.bounds()), "--index", backend.prefix + SINGLE, "-n", "orders",
            "--type", "Warning", "-o", "jsonl", "--context", "my-label"]  # fmt: skip
    code = (
        "import sys; from ktui.cli import main; rc = main(sys.argv[1:]);"
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)"
    )
    env = clean_env(
        config_dir,
        KTUI_OPENSEARCH_URL=backend.url,
        OPENSEARCH_HOST=f"127.0.0.1:{free_port()}",  # loses to KTUI_OPENSEARCH_URL
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "events", "--history", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    truth = truth_for(
        dataset.single, Query().with_types({"Warning"}).with_namespaces({"orders"}), time_range
    )
    got = records(done.stdout)
    check_listing(got, truth.docs, {e.uid for e in truth.events})
    assert got and {r["context"] for r in got} == {"eks-workshop"}  # clusterName wins
    # --opensearch-url wins over the environment.
    done = subprocess.run(
        [sys.executable, "-m", "ktui.cli", "events", "--history", *args,
         "--opensearch-url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 1 and "connection refused" in done.stderr


def test_password_asked_once_on_a_terminal(
    backend: Backend, dataset: Dataset, config_dir: Path
) -> None:
    if backend.user:
        pytest.skip("the backend checks real credentials")
    time_range = window(dataset)
    with FrontProxy(backend.url) as proxy:  # forwards; osmem does not check the login
        env = clean_env(config_dir, OPENSEARCH_USER="reader")
        argv = [sys.executable, "-m", "ktui.cli", "events", "--history", "--opensearch-url",
                proxy.url, "--index", backend.prefix + SINGLE, *span(*time_range.bounds()),
                "-n", "orders", "--type", "Warning", "-o", "jsonl"]  # fmt: skip
        pid, fd = pty.fork()
        if pid == 0:  # the child: a session with this pty as its terminal
            try:
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(127)
        output = b""
        deadline = time.monotonic() + 120
        sent = False
        status = None
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:  # EIO: the child closed the terminal
                        chunk = b""
                    if not chunk:
                        break
                    output += chunk
                if not sent and b"password" in output:
                    os.write(fd, b"not-shown-anywhere\n")
                    sent = True
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(fd)
    text = output.decode().replace("\r\n", "\n")
    assert os.waitstatus_to_exitcode(status) == 0, text
    prompt = f"OpenSearch password for reader at {proxy.url}: "
    assert text.count("password") == 1 and text.startswith(prompt), text
    assert "not-shown-anywhere" not in text  # not echoed, not printed
    truth = truth_for(
        dataset.single, Query().with_types({"Warning"}).with_namespaces({"orders"}), time_range
    )
    got = records(text[len(prompt) :].strip())
    check_listing(got, truth.docs, {e.uid for e in truth.events})
    assert got


def test_raw_prints_the_documents_as_stored(
    backend: Backend, dataset: Dataset, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14.8: `-o raw-jsonl` (and `-o raw`) with --history: the exporter's documents
    exactly as stored, one per event, oldest first; `-o raw` holds them in one v1 List."""
    time_range = window(dataset)
    argv = [*history(backend, SINGLE, *span(*time_range.bounds())), "-A", "--query", FILTER]
    code, out, err = events(capsys, *argv, "-o", "raw-jsonl")
    assert code == 0, err
    truth = truth_for(dataset.single, parse_query(FILTER), time_range)
    stored = {doc["metadata"]["uid"]: doc for doc in truth.docs}
    got = records(out)
    assert len(got) == len(truth.events) == len(stored) > 0
    assert {doc["metadata"]["uid"]: doc for doc in got} == stored
    assert [millis(chain_time(doc)) for doc in got] == sorted(
        millis(chain_time(doc)) for doc in got)
    code, out, err = events(capsys, *argv, "-o", "raw")
    assert code == 0, err
    document = json.loads(out)
    assert (document["apiVersion"], document["kind"]) == ("v1", "List")
    assert document["items"] == got
