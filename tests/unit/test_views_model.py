"""SavedView (validation, Query round trip) and the file-name mapping."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from ktui.model.query import QueryError, parse_query
from ktui.model.timerange import TimeRange
from ktui.views.files import candidate_names, file_stem
from ktui.views.store import SavedView, ViewError, show_name


def test_defaults() -> None:
    view = SavedView("x")
    assert (view.mode, view.query, view.types, view.namespaces) == ("live", "", (), ())
    assert (view.time_range, view.sort, view.columns, view.context) == (None, "newest", (), None)


def test_lists_become_tuples_and_an_empty_context_is_none() -> None:
    view = SavedView("x", types=["Warning"], columns=["time"], context="")  # type: ignore[arg-type]
    assert view.types == ("Warning",)
    assert view.columns == ("time",)
    assert view.context is None
    hash(view)  # frozen and hashable: usable as a dict key by the UI


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"name": ""}, "non-blank"),
        ({"name": " \t"}, "non-blank"),
        ({"name": "\ud800"}, "Unicode"),
        ({"name": 3}, "text"),
        ({"name": "x", "mode": "replay"}, "mode"),
        ({"name": "x", "sort": "random"}, "sort"),
        ({"name": "x", "types": "Warning"}, "list"),
        ({"name": "x", "namespaces": [1]}, "text"),
        ({"name": "x", "time_range": {"since": "6h"}}, "TimeRange"),
    ],
)
def test_invalid_views_are_refused(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ViewError, match=fragment):
        SavedView(**kwargs)


def test_names_are_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "café 한국")
    assert decomposed != "café 한국"
    assert SavedView(decomposed).name == "café 한국"


def test_from_state_and_to_query_round_trip() -> None:
    query = parse_query("reason~BackOff -kind:Job").with_types(["Warning"]).with_namespaces(
        ["b", "a"]
    )
    range_ = TimeRange.last("6h")
    view = SavedView.from_state("v", query, mode="history", time_range=range_, sort="oldest",
                                columns=["time", "reason"], context="prod")
    assert view.namespaces == ("a", "b")
    assert view.time_range == range_
    assert view.columns == ("time", "reason")
    back = view.to_query()
    assert back.text == query.text
    assert back.terms == query.terms
    assert back.types == query.types
    assert back.namespaces == query.namespaces


def test_to_query_reports_a_bad_query() -> None:
    with pytest.raises(QueryError):
        SavedView("x", query="nosuchfield:1").to_query()


def test_show_name_keeps_a_message_on_one_line() -> None:
    assert show_name("한국 🎉") == "'한국 🎉'"
    assert "\n" not in show_name("a\nb")
    assert "\u202e" not in show_name("a\u202eb")


# -- file names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, stem",
    [
        ("Payments Warnings", "payments-warnings"),
        ("../../etc/passwd", "etc-passwd"),
        ("a/b", "a-b"),
        ("a\\b", "a-b"),
        ("..", "view"),
        (".", "view"),
        (".hidden", "hidden"),
        ("\x00", "view"),
        ("🎉🎉", "view"),
        ("CON", "con-view"),
        ("lpt1", "lpt1-view"),
        ("nul.txt", "nul-txt"),
        ("경고 이벤트", "경고-이벤트"),
        ("שלום\u200f", "שלום"),
        ("ＦＵＬＬ", "full"),  # NFKC: full-width letters
        ("snake_case", "snake_case"),
    ],
)
def test_file_stems(name: str, stem: str) -> None:
    assert file_stem(name) == stem


def test_file_stems_are_bounded_in_bytes() -> None:
    assert len(file_stem("x" * 300).encode()) <= 64
    korean = file_stem("가" * 300)
    assert len(korean.encode()) <= 64
    assert set(korean) == {"가"}  # cut at a character boundary


def test_candidates_start_readable_then_disambiguate() -> None:
    names = list(candidate_names("Prod"))
    assert names[0] == "prod.toml"
    assert names[1].startswith("prod-") and names[1].endswith(".toml")
    assert len(set(names)) == len(names)
    assert list(candidate_names("prod"))[1] != names[1]  # the hash is of the true name
    for name in names:
        assert "/" not in name and not name.startswith(".")
