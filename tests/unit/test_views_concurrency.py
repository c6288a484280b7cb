"""Several processes saving at once lose nothing (lock + atomic replace)."""

from __future__ import annotations

import multiprocessing
import tomllib
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from ktui.views.store import SavedView, ViewExists, ViewStore

WORKERS = 6
# Names that all map to the same file stem, so the processes race for the same files.
CLASHING = ["Same", "same", "SAME", "same!", "same?", "same/"]


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _save_many(directory: str, worker: int, barrier: Barrier, results: Any) -> None:
    store = ViewStore(directory)
    barrier.wait()
    for j in range(10):
        store.save(SavedView(f"w{worker}-{j}", query=f"reason:R{worker}x{j}"))
    store.save(SavedView(CLASHING[worker], query=f"reason:C{worker}"))
    for j in range(10):  # everyone rewrites one shared view
        store.save(SavedView("shared", query=f"reason:S{worker}x{j}"), overwrite=True)
    try:
        store.save(SavedView("first wins", query=f"reason:F{worker}"))
        results.put(("won", worker))
    except ViewExists:
        results.put(("lost", worker))


def test_concurrent_saves_from_several_processes(tmp_path: Path) -> None:
    directory = tmp_path / "views"
    ctx = _context()
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_save_many, args=(str(directory), i, barrier, results))
        for i in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    store = ViewStore(directory)
    views, problems = store.load_all()
    assert problems == []
    by_name = {v.name: v for v in views}
    expected = {f"w{i}-{j}" for i in range(WORKERS) for j in range(10)}
    expected |= set(CLASHING) | {"shared", "first wins"}
    assert set(by_name) == expected
    for i in range(WORKERS):
        assert by_name[CLASHING[i]].query == f"reason:C{i}"
        for j in range(10):
            assert by_name[f"w{i}-{j}"].query == f"reason:R{i}x{j}"
    # The shared view is one complete save, in exactly one file.
    assert by_name["shared"].query.startswith("reason:S")
    holders = [p for p in directory.glob("*.toml")
               if tomllib.loads(p.read_text())["name"] == "shared"]
    assert len(holders) == 1
    # Exactly one process created "first wins"; the others were told it exists.
    winners = [w for outcome, w in outcomes if outcome == "won"]
    assert len(winners) == 1
    assert by_name["first wins"].query == f"reason:F{winners[0]}"
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) == [".lock"]


def _rename_and_save(directory: str, worker: int, barrier: Barrier) -> None:
    store = ViewStore(directory)
    barrier.wait()
    for j in range(5):
        store.save(SavedView(f"tmp {worker}-{j}"))
        store.rename(f"tmp {worker}-{j}", f"Tmp {worker}-{j}")  # same stem: in place
        store.rename(f"Tmp {worker}-{j}", f"done {worker} {j}")
        if j % 2:
            store.delete(f"done {worker} {j}")


@pytest.mark.parametrize("workers", [4])
def test_concurrent_renames_and_deletes(tmp_path: Path, workers: int) -> None:
    ctx = _context()
    barrier = ctx.Barrier(workers)
    processes = [ctx.Process(target=_rename_and_save, args=(str(tmp_path), i, barrier))
                 for i in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    views, problems = ViewStore(tmp_path).load_all()
    assert problems == []
    assert {v.name for v in views} == {
        f"done {i} {j}" for i in range(workers) for j in range(5) if not j % 2
    }
    assert len(list(tmp_path.glob("*.toml"))) == len(views)
