"""ViewStore: round trips, hand edits, problems, hostile names, atomicity."""

from __future__ import annotations

import os
import tomllib
import unicodedata
from pathlib import Path

import pytest

from ktui.model.timerange import TimeRange
from ktui.views.files import file_stem
from ktui.views.store import (
    SavedView,
    ViewError,
    ViewExists,
    ViewNotFound,
    ViewProblem,
    ViewStore,
)

FULL = SavedView(
    name="payments warnings",
    mode="history",
    query='reason~BackOff -kind:Job msg~"no space"',
    types=("Warning",),
    namespaces=("payments", "orders"),
    time_range=TimeRange.between(1714521600.0, 1714543200.5),
    sort="oldest",
    columns=("time", "type", "reason", "message"),
    context="prod-eu",
)


@pytest.fixture
def store(tmp_path: Path) -> ViewStore:
    return ViewStore(tmp_path / "views")


def files(store: ViewStore) -> dict[str, bytes]:
    """Everything in the directory except the lock, by name."""
    return {p.name: p.read_bytes() for p in store.directory.iterdir() if p.name != ".lock"}


def write(store: ViewStore, filename: str, text: str) -> Path:
    store.directory.mkdir(parents=True, exist_ok=True)
    path = store.directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def only_fatal(problems: list[ViewProblem]) -> list[ViewProblem]:
    return [p for p in problems if p.skipped]


# -- round trips --------------------------------------------------------------------


@pytest.mark.parametrize(
    "view",
    [
        FULL,
        SavedView("plain"),
        SavedView("relative", mode="history", time_range=TimeRange.last("90m")),
        SavedView("live with range", time_range=TimeRange.last("7d"), context="kind-kind"),
    ],
)
def test_every_field_round_trips(store: ViewStore, view: SavedView) -> None:
    store.save(view)
    views, problems = store.load_all()
    assert problems == []
    assert views == [view]
    assert store.get(view.name) == view


def test_a_missing_directory_is_empty_and_is_created_on_save(store: ViewStore) -> None:
    assert store.load_all() == ([], [])
    assert not store.directory.exists()
    path = store.save(SavedView("a"))
    assert path.parent == store.directory


def test_the_file_is_readable_toml(store: ViewStore) -> None:
    path = store.save(FULL)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#")
    data = tomllib.loads(text)
    assert data["schema"] == 1
    assert data["name"] == "payments warnings"
    assert data["range"] == {"from": "2024-05-01T00:00:00Z", "to": "2024-05-01T06:00:00.500000Z"}
    assert path.name == "payments-warnings.toml"


def test_views_sort_by_name_case_folded_then_exact(store: ViewStore) -> None:
    for name in ["b", "a", "C", "A", "ä"]:
        store.save(SavedView(name))
    assert [v.name for v in store.load_all()[0]] == ["A", "a", "b", "C", "ä"]


def test_save_refuses_an_existing_name_unless_asked(store: ViewStore) -> None:
    store.save(SavedView("x", query="oom"))
    with pytest.raises(ViewExists, match="'x' already exists"):
        store.save(SavedView("x", query="evicted"))
    assert store.get("x").query == "oom"
    store.save(SavedView("x", query="evicted"), overwrite=True)
    assert store.get("x").query == "evicted"
    assert len(files(store)) == 1


def test_save_refuses_a_bad_query(store: ViewStore) -> None:
    with pytest.raises(ViewError, match="unknown field"):
        store.save(SavedView("x", query="bogus:1"))
    assert store.load_all() == ([], [])


def test_unknown_names_list_the_known_ones(store: ViewStore) -> None:
    with pytest.raises(ViewNotFound, match=r"no saved view named 'x' \(there are none\)"):
        store.get("x")
    store.save(SavedView("b"))
    store.save(SavedView("a"))
    with pytest.raises(ViewNotFound) as caught:
        store.get("x")
    assert str(caught.value) == "no saved view named 'x' (known: 'a', 'b')"
    for call in (store.delete, store.path_of):
        with pytest.raises(ViewNotFound):
            call("x")
    with pytest.raises(ViewNotFound):
        store.rename("x", "y")


def test_delete(store: ViewStore) -> None:
    store.save(SavedView("a"))
    store.save(SavedView("b"))
    store.delete("a")
    assert [v.name for v in store.load_all()[0]] == ["b"]
    assert list(files(store)) == ["b.toml"]


def test_rename_moves_the_file_with_the_name(store: ViewStore) -> None:
    store.save(FULL)
    path = store.rename(FULL.name, "Zahlungen")
    assert path.name == "zahlungen.toml"
    assert list(files(store)) == ["zahlungen.toml"]
    from dataclasses import replace

    assert store.get("Zahlungen") == replace(FULL, name="Zahlungen")
    with pytest.raises(ViewNotFound):
        store.get(FULL.name)


def test_rename_to_a_taken_name_is_refused(store: ViewStore) -> None:
    store.save(SavedView("a"))
    store.save(SavedView("b"))
    with pytest.raises(ViewExists):
        store.rename("a", "b")
    assert {v.name for v in store.load_all()[0]} == {"a", "b"}


def test_rename_changing_only_case_keeps_one_file(store: ViewStore) -> None:
    store.save(SavedView("prod"))
    path = store.rename("prod", "Prod")
    assert path.name == "prod.toml"
    assert [v.name for v in store.load_all()[0]] == ["Prod"]
    assert store.rename("Prod", "Prod") == path  # no-op


# -- hand edits ---------------------------------------------------------------------

HAND = """\
# my favourite view
name = "oom"          # the name is what counts, not the file name
mode = "history"
query = "oom"
types = ["Warning"]
note = "kept by ktui"   # not a ktui key

# the last ninety minutes
[range]
since = "1.5h"
"""


def test_a_hand_written_file_loads_as_written(store: ViewStore) -> None:
    write(store, "whatever-i-like.toml", HAND)
    views, problems = store.load_all()
    assert views == [SavedView("oom", mode="history", query="oom", types=("Warning",),
                               time_range=TimeRange.last("90m"))]
    assert [(p.message, p.skipped) for p in problems] == [("unknown key 'note' ignored", False)]


def test_a_re_save_keeps_comments_spelling_and_unknown_keys(store: ViewStore) -> None:
    path = write(store, "whatever-i-like.toml", HAND)
    store.save(SavedView("oom", mode="history", query="oom reason:Evicted", types=("Warning",),
                         time_range=TimeRange.last("90m")), overwrite=True)
    text = path.read_text(encoding="utf-8")
    for kept in ("# my favourite view", "# the name is what counts", 'note = "kept by ktui"',
                 "# the last ninety minutes", 'since = "1.5h"'):
        assert kept in text
    assert 'query = "oom reason:Evicted"' in text
    assert "schema = 1" in text
    assert list(files(store)) == ["whatever-i-like.toml"]


def test_a_changed_range_is_rewritten(store: ViewStore) -> None:
    path = write(store, "x.toml", HAND)
    store.save(SavedView("oom", mode="history", query="oom", types=("Warning",),
                         time_range=TimeRange.last("6h")), overwrite=True)
    assert tomllib.loads(path.read_text())["range"] == {"since": "6h"}
    assert "# my favourite view" in path.read_text()


def test_a_rename_keeps_comments_and_unknown_keys(store: ViewStore) -> None:
    write(store, "whatever-i-like.toml", HAND)
    path = store.rename("oom", "out of memory")
    text = path.read_text(encoding="utf-8")
    assert "# my favourite view" in text and 'note = "kept by ktui"' in text
    assert 'name = "out of memory"' in text
    assert list(files(store)) == ["out-of-memory.toml"]


def test_toml_datetimes_are_accepted_for_absolute_ranges(store: ViewStore) -> None:
    write(store, "a.toml", 'name = "a"\nmode = "history"\n[range]\n'
          "from = 2024-05-01T02:00:00+02:00\nto = 2024-05-01T06:00:00Z\n")
    assert store.get("a").time_range == TimeRange.between(1714521600.0, 1714543200.0)


def test_secret_looking_keys_are_flagged(store: ViewStore) -> None:
    write(store, "a.toml", 'name = "a"\nos_password = "hunter2"\n')
    views, problems = store.load_all()
    assert [v.name for v in views] == ["a"]
    assert "looks like a secret" in problems[0].message
    assert not problems[0].skipped


# -- problems -----------------------------------------------------------------------

BROKEN = {
    "corrupt.toml": ('name = "corrupt"\nquery = "unterminated\n', "not valid TOML"),
    "types.toml": ('name = "types"\ntypes = "Warning"\n', "'types' must be a list"),
    "schema.toml": ('schema = 2\nname = "future"\n', "unknown schema version 2"),
    "schemastr.toml": ('schema = "1"\nname = "s"\n', "'schema' must be the integer 1"),
    "noname.toml": ('query = "oom"\n', "no 'name' key"),
    "blank.toml": ('name = "  "\n', "non-blank"),
    "mode.toml": ('name = "m"\nmode = "replay"\n', "mode must be one of"),
    "query.toml": ('name = "q"\nquery = "bogus:1"\n', "unknown field 'bogus'"),
    "range.toml": ('name = "r"\n[range]\nsince = "soon"\n', "range:"),
    "halfrange.toml": ('name = "h"\n[range]\nfrom = "2024-05-01T00:00:00Z"\n', "both from and to"),
    "binary.toml": ("\udcff", "not UTF-8"),
}


def write_broken(store: ViewStore) -> dict[str, bytes]:
    store.directory.mkdir(parents=True)
    for filename, (text, _) in BROKEN.items():
        data = b"\xff\xfe" if filename == "binary.toml" else text.encode()
        (store.directory / filename).write_bytes(data)
    return files(store)


def test_broken_files_are_reported_and_left_alone(store: ViewStore) -> None:
    before = write_broken(store)
    store.save(SavedView("good"))
    views, problems = store.load_all()
    assert [v.name for v in views] == ["good"]
    reported = {p.path.name: p.message for p in problems}
    assert set(reported) == set(BROKEN)
    for filename, (_, fragment) in BROKEN.items():
        assert fragment in reported[filename], filename
        assert "\n" not in reported[filename]
    assert all(p.skipped for p in problems)
    after = files(store)
    assert {k: after[k] for k in before} == before


def test_a_view_for_an_unknown_context_is_reported_not_loaded(store: ViewStore) -> None:
    store.save(SavedView("eu", context="prod-eu"))
    store.save(SavedView("any"))
    before = files(store)
    views, problems = store.load_all(known_contexts={"prod-us"})
    assert [v.name for v in views] == ["any"]
    assert "'prod-eu', which is not in your kubeconfig" in problems[0].message
    assert [v.name for v in store.load_all()[0]] == ["any", "eu"]  # without a context set
    assert files(store) == before


def test_duplicate_names_load_once(store: ViewStore) -> None:
    write(store, "a.toml", 'name = "same"\nquery = "first"\n')
    write(store, "b.toml", 'name = "same"\nquery = "second"\n')
    views, problems = store.load_all()
    assert [(v.name, v.query) for v in views] == [("same", "first")]
    assert problems[0].path.name == "b.toml" and "a.toml" in problems[0].message


def test_a_corrupt_file_in_the_way_refuses_the_save(store: ViewStore) -> None:
    path = write(store, "prod.toml", 'name = "prod"\nquery = "oops\n')
    before = path.read_bytes()
    with pytest.raises(ViewError, match=r"prod\.toml is in the way and cannot be read"):
        store.save(SavedView("prod"))
    assert path.read_bytes() == before
    assert list(files(store)) == ["prod.toml"]


def test_a_view_that_does_not_load_is_never_overwritten(store: ViewStore) -> None:
    path = write(store, "future.toml", 'schema = 2\nname = "future"\n')
    before = path.read_bytes()
    for attempt in (lambda: store.save(SavedView("future"), overwrite=True),
                    lambda: store.rename("future", "past"), lambda: store.get("future")):
        with pytest.raises(ViewError, match="unknown schema version 2"):
            attempt()
    assert files(store) == {"future.toml": before}
    store.delete("future")  # an explicit delete by name is honoured
    assert files(store) == {}


def test_other_views_take_the_next_file_name_when_one_is_taken(store: ViewStore) -> None:
    write(store, "prod.toml", 'schema = 2\nname = "PROD"\n')  # readable name, unknown schema
    path = store.save(SavedView("prod"))
    assert path.name != "prod.toml"
    assert store.get("prod").name == "prod"


# -- names --------------------------------------------------------------------------

HOSTILE = [
    "../../etc/passwd", "a/b", "a\\b", "\x00", "nul\x00byte", "..", ".", "CON", "con", "Con",
    "x" * 300, "y" * 300 + "z", "경고", "경고!", "경고?", "🎉", "🎉🎉", "שלום", "\u202eevil",
    "a b", "a-b", "A B", "a.b", "a_b", "line\nbreak", "tab\there", " padded ", ".lock",
    "ẞ", "ß", "ss", "SS", "café", "cafe\u0301 x",
]


def test_hostile_and_unicode_names_save_as_separate_safe_files(store: ViewStore) -> None:
    for name in HOSTILE:
        store.save(SavedView(name, query="oom"))
    names = [unicodedata.normalize("NFC", n) for n in HOSTILE]
    saved = sorted(p for p in store.directory.iterdir() if p.name != ".lock")
    assert len(saved) == len(names)
    for path in saved:
        assert path.parent == store.directory
        assert path.suffix == ".toml" and not path.name.startswith(".")
        assert len(path.name.encode()) < 120
        assert path.name.isprintable() and "/" not in path.name and "\\" not in path.name
        assert path.stem.split("-")[0] not in {"con", "prn", "aux", "nul"} or "-" in path.stem
    views, problems = store.load_all()
    assert problems == []
    assert sorted(v.name for v in views) == sorted(names)
    for name in names:
        assert store.get(name).name == name
    assert not (store.directory.parent / "etc").exists()


def test_case_and_dropped_characters_do_not_merge_views(store: ViewStore) -> None:
    group = ["Prod", "prod", "PROD", "prod!", "prod?", "prod/", "prod\x00"]
    assert len({file_stem(n) for n in group}) == 1
    for i, name in enumerate(group):
        store.save(SavedView(name, query=f"reason:R{i}"))
    for i, name in enumerate(group):
        assert store.get(name).query == f"reason:R{i}"
    assert len(files(store)) == len(group)


def test_a_symlinked_view_is_written_through_the_link(store: ViewStore, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "a.toml"
    real.parent.mkdir()
    real.write_text('name = "a"\n# mine\n')
    store.directory.mkdir()
    (store.directory / "a.toml").symlink_to(real)
    store.save(SavedView("a", query="oom"), overwrite=True)
    assert (store.directory / "a.toml").is_symlink()
    assert 'query = "oom"' in real.read_text() and "# mine" in real.read_text()


# -- atomicity ----------------------------------------------------------------------


def test_a_failing_rename_leaves_the_old_file_and_no_temp_files(
    store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(SavedView("a", query="oom"))
    before = files(store)

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ktui.views.files.os.replace", fail)
    with pytest.raises(ViewError, match="No space left on device"):
        store.save(SavedView("a", query="evicted"), overwrite=True)
    with pytest.raises(ViewError):
        store.save(SavedView("new"))
    with pytest.raises(ViewError):
        store.rename("a", "b")
    monkeypatch.undo()
    assert files(store) == before
    assert store.get("a").query == "oom"


def test_a_crash_while_writing_leaves_the_old_file(
    store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(SavedView("a", query="oom"))
    before = files(store)
    real_write = os.write

    def half_then_die(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[:10]))
        raise KeyboardInterrupt  # not an OSError: cleanup must still happen

    monkeypatch.setattr("ktui.views.files.os.write", half_then_die)
    with pytest.raises(KeyboardInterrupt):
        store.save(SavedView("a", query="evicted"), overwrite=True)
    monkeypatch.undo()
    assert files(store) == before


def test_temp_files_left_by_a_real_crash_are_not_views(store: ViewStore) -> None:
    store.save(SavedView("a"))
    (store.directory / ".tmp-abc.toml.part").write_text('name = "half')
    assert store.load_all() == ([SavedView("a")], [])


# -- write guards -------------------------------------------------------------------


def test_float_noise_in_an_absolute_range_round_trips(store: ViewStore) -> None:
    shifted = TimeRange.between(1714521600.0, 1714543200.0).shifted(-1 / 3)
    view = SavedView("shifted", mode="history", time_range=shifted)
    assert view.time_range is not None and view.time_range.start is not None
    assert abs(view.time_range.start - (shifted.start or 0)) < 1e-6
    store.save(view)
    assert store.get("shifted") == view


def test_a_document_that_does_not_read_back_falls_back_to_a_fresh_one(
    store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ktui.views import toml as views_toml

    path = write(store, "a.toml", 'name = "a"  # mine\n')
    real_apply = views_toml._apply
    calls: list[int] = []

    def broken_first(view: SavedView, document: object) -> bytes:
        calls.append(1)
        data = real_apply(view, document)  # type: ignore[arg-type]
        return data.replace(b'query = "oom"', b'query = "bogus:1"') if len(calls) == 1 else data

    monkeypatch.setattr(views_toml, "_apply", broken_first)
    store.save(SavedView("a", query="oom"), overwrite=True)
    assert store.get("a") == SavedView("a", query="oom")
    assert "# mine" not in path.read_text()

    monkeypatch.setattr(views_toml, "_apply", lambda view, document: b"not = [toml")
    before = path.read_bytes()
    with pytest.raises(ViewError, match="cannot be written"):
        store.save(SavedView("a", query="evicted"), overwrite=True)
    assert path.read_bytes() == before
