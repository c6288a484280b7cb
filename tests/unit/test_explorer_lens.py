"""The incident lens's state in the explorer (ktui.explorer.grouping, reports): which
grouping, regrouping as events arrive (throttled by its cost), the opened group's view,
the messages a row shows, rollout ticks, and reports written without replacing a file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ktui.explorer.feed import Mode
from ktui.explorer.grouping import GroupView, Lens, parse_grouping, recent_messages
from ktui.explorer.reports import view_markdown, write_report
from ktui.explorer.rollout_ticks import RolloutTicks
from ktui.model.event import Event, format_time, from_core_v1
from ktui.model.grouping import OWNER, REASON, group_events
from ktui.model.query import parse_query
from ktui.model.report import Heading
from ktui.model.rollouts import rollouts
from ktui.model.store import EventStore

T0 = 1_763_800_000.0
_uids = iter(range(10**9))
POD_A = "scenario-a-5f8b9c7d6-x2x9k"
POD_B = "scenario-b-cff56c84-xn9hh"
WRONG_IMAGE = ('Failed to pull image "wrong-image": rpc error: code = Unknown desc = pull '
               "access denied")


def ev(name: str, reason: str, at: float, *, kind: str = "Pod", ns: str = "test",
       type: str = "Warning", message: str = "") -> Event:
    uid = f"x{next(_uids)}"
    return from_core_v1({
        "metadata": {"namespace": ns, "name": f"{name}.{uid}", "uid": uid},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns, "uid": f"u-{name}"},
        "reason": reason, "type": type, "message": message or f"{reason} of {name}",
        "lastTimestamp": format_time(T0 + at),
    }, context="demo")


def scenario() -> list[Event]:
    return [
        ev("scenario-b", "ScalingReplicaSet", 0, kind="Deployment", type="Normal",
           message="Scaled up replica set scenario-b-cff56c84 to 1"),
        ev(POD_B, "Failed", 10, message=WRONG_IMAGE),
        ev(POD_B, "Failed", 10, message="Error: ErrImagePull"),
        ev(POD_B, "BackOff", 20, type="Normal", message='Back-off pulling image "wrong-image"'),
        ev(POD_B, "Failed", 20, message="Error: ImagePullBackOff"),
        ev(POD_A, "FailedMount", 15, message='secret "misspelt-secret-name" not found'),
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Timer:
    """What a regroup costs, as the lens measures it: ``cost`` seconds each time."""

    def __init__(self, cost: float) -> None:
        self.cost, self.now = cost, 0.0

    def __call__(self) -> float:
        self.now += self.cost  # between two reads: one regroup
        return self.now


def test_parse_grouping() -> None:
    assert [parse_grouping(w) for w in ("owner", " Reason ", "object", "none", "")] == [
        "owner", "reason", "object", None, None]
    with pytest.raises(ValueError, match="unknown grouping 'pods'"):
        parse_grouping("pods")


def test_o_cycles_none_owner_reason_none() -> None:
    lens = Lens()
    assert [lens.cycle() for _ in range(4)] == ["owner", "reason", None, "owner"]
    lens.set("object")
    assert lens.cycle() is None  # from object grouping (a command), o turns it off


def test_rows_follow_the_store_and_the_filter_applies_first() -> None:
    store = EventStore()
    store.apply(scenario())
    lens = Lens()
    lens.set(OWNER)
    assert lens.update(store, Mode.LIVE, ("demo",))
    by_display = {g.display: g for g in lens.groups}
    assert by_display["deployment/scenario-b"].size == 5
    assert by_display["deployment/scenario-a"].size == 1
    assert not lens.update(store, Mode.LIVE, ("demo",))  # nothing changed: no regroup
    store.set_query(parse_query("type:Warning"))
    assert lens.update(store, Mode.LIVE, ("demo",))  # a filter change regroups at once
    assert {g.display: g.size for g in lens.groups} == {
        "deployment/scenario-b": 3, "deployment/scenario-a": 1}


def test_regrouping_during_a_storm_is_throttled_by_its_cost() -> None:
    clock = Clock()
    store = EventStore()
    store.apply(scenario())
    lens = Lens(clock=clock, timer=Timer(cost=0.08))  # 80 ms a regroup: 200,000 events
    lens.set(OWNER)
    assert lens.update(store, Mode.LIVE, ("demo",))
    assert lens.interval() == pytest.approx(0.8)  # a tenth of the UI thread at most
    store.apply([ev(POD_A, "FailedMount", 30)])
    clock.now = 0.25
    assert not lens.update(store, Mode.LIVE, ("demo",))  # the next pump: too soon
    assert lens.groups[-1].display != "deployment/scenario-a" or lens.groups[-1].size == 1
    clock.now = 0.8
    assert lens.update(store, Mode.LIVE, ("demo",))  # then the counts catch up
    assert {g.display: g.size for g in lens.groups}["deployment/scenario-a"] == 2
    store.apply([ev(POD_A, "FailedMount", 31)])
    clock.now = 0.9
    assert lens.update(store, Mode.LIVE, ("demo",), force=True)  # a key press: at once
    cheap = Lens(clock=clock, timer=Timer(cost=0.002))
    cheap.set(REASON)
    cheap.update(store, Mode.LIVE, ("demo",))
    store.apply([ev(POD_A, "FailedMount", 32)])
    assert cheap.interval() == pytest.approx(0.02)
    clock.now = 0.93
    assert cheap.update(store, Mode.LIVE, ("demo",))  # cheap: on every pump


def test_an_opened_group_is_a_live_view_of_its_events() -> None:
    store = EventStore()
    store.apply(scenario())
    lens = Lens()
    lens.set(OWNER)
    lens.update(store, Mode.LIVE, ("demo",))
    group = next(g for g in lens.groups if g.display == "deployment/scenario-b")
    view = lens.open(group)
    assert lens.opened is not None and not lens.showing_groups
    assert view.visible == group.events and len(view) == 5
    newest = view.visible[-1]
    assert view.get(newest.uid) is newest and view.get("nope") is None
    assert view.index_of_visible(newest) == 4
    store.apply([ev(POD_B, "Failed", 40, message="Error: ImagePullBackOff again")])
    assert lens.update(store, Mode.LIVE, ("demo",), force=True)
    assert lens.view is view and len(view) == 6  # the same view, grown
    assert view.get(view.visible[-1].uid) is view.visible[-1]
    store.set_query(parse_query("ns:other"))
    lens.update(store, Mode.LIVE, ("demo",))
    assert view.group is None and view.visible == []  # filtered out: empty, still open
    lens.close()
    assert lens.showing_groups and lens.view.group is None


def test_a_row_leads_with_the_recurring_warning_that_started_first() -> None:
    groups = group_events(sorted(scenario(), key=lambda e: e.time), OWNER)
    b = next(g for g in groups if g.display == "deployment/scenario-b")
    assert b.shown.message == "Error: ImagePullBackOff"  # the latest warning...
    # ...comes after the message that names the image; the two that only name a state
    # come last
    assert [e.message for e in recent_messages(b, 3)] == [
        WRONG_IMAGE, "Error: ErrImagePull", "Error: ImagePullBackOff"]
    assert [e.message for e in recent_messages(b, 1)] == [WRONG_IMAGE]
    normal = group_events([ev("web-1", "Pulled", 1, type="Normal")], OWNER)[0]
    assert [e.reason for e in recent_messages(normal, 3)] == ["Pulled"]


def test_warnings_that_stopped_recurring_come_after_those_that_go_on() -> None:
    events = [
        # an hour ago: scheduling failed, then was solved
        ev("web-1", "FailedScheduling", -3600, message="0/3 nodes: Insufficient cpu"),
        # now: the container crashes, started first, then its back-off
        ev("web-1", "Failed", 0, message="Error: failed to start: exec: not found"),
        ev("web-1", "BackOff", 30, message="Back-off restarting failed container"),
    ]
    group = group_events(events, OWNER)[0]
    assert [e.reason for e in recent_messages(group, 3)] == [
        "Failed", "BackOff", "FailedScheduling"]


def test_rollout_ticks_come_from_every_event_of_the_allowed_namespaces() -> None:
    store = EventStore()
    store.apply([*scenario(), ev("api", "ScalingReplicaSet", 5, kind="Deployment",
                                 ns="payments", type="Normal",
                                 message="Scaled up replica set api-7f8dc97569 to 1")])
    store.set_query(parse_query("type:Warning"))  # w hides the (Normal) rollouts' events...
    ticks = RolloutTicks()
    every, chosen = ticks.times(store, T0 - 60, T0 + 60)
    assert every == [T0, T0 + 5] and chosen == []  # ...not their ticks
    every, chosen = ticks.times(store, T0 - 60, T0 + 60, {"test"},
                                ("Deployment", "test", "scenario-b"))
    assert every == [T0] and chosen == [T0]
    assert ticks.times(store, T0 + 1, T0 + 60) == ([T0 + 5], [])  # the window's only
    assert ticks.times(None, 0, 1) == ([], [])


def test_reports_are_the_views_markdown_and_never_replace_a_file(tmp_path: Path) -> None:
    events = sorted(scenario(), key=lambda e: e.time)
    groups = group_events(events, OWNER)
    heading = Heading("demo", "type:Warning", written=T0)
    text = view_markdown(heading, events, groups, OWNER)
    assert "Grouped by:** owner" in text and "deployment/scenario-b" in text
    assert "Grouped by" not in view_markdown(heading, events, None, None)
    first = write_report(text, "arn:aws:eks:eu-west-1:1:cluster/prod", T0, tmp_path)
    second = write_report("other", "arn:aws:eks:eu-west-1:1:cluster/prod", T0, tmp_path)
    assert first.name == "arn_aws_eks_eu-west-1_1_cluster_prod-20251122T082640Z.md"
    assert second.name == "arn_aws_eks_eu-west-1_1_cluster_prod-20251122T082640Z-2.md"
    assert first.read_text(encoding="utf-8") == text and first.parent == tmp_path


def test_the_report_directory_is_under_the_data_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KTUI_DATA_DIR", str(tmp_path / "data"))
    path = write_report("# x\n", "demo", T0)
    assert path.parent == tmp_path / "data" / "reports" and path.read_text() == "# x\n"


def test_group_view_of_nothing() -> None:
    view = GroupView(None)
    assert view.visible == [] and view.get("x") is None and len(view) == 0


def test_groupings_of_the_same_events_are_kept_and_unchanged_groups_reused() -> None:
    store = EventStore()
    store.apply(scenario())
    lens = Lens()
    lens.set(OWNER)
    assert lens.update(store, Mode.LIVE, ("demo",))
    everything, regroups = lens.groups, lens.regroups
    store.set_query(parse_query("type:Warning"))
    assert lens.update(store, Mode.LIVE, ("demo",))
    warnings = lens.groups
    assert {g.display: g.size for g in warnings} == {
        "deployment/scenario-b": 3, "deployment/scenario-a": 1}
    # a, then w again: the rows of the same events come back as they were, not regrouped
    store.set_query(parse_query(""))
    assert lens.update(store, Mode.LIVE, ("demo",))
    assert lens.groups is everything and lens.regroups == regroups + 1
    store.set_query(parse_query("type:Warning"))
    assert lens.update(store, Mode.LIVE, ("demo",))
    assert lens.groups is warnings and lens.regroups == regroups + 1
    # o round to reason and back to owner: the same
    lens.set(REASON)
    lens.update(store, Mode.LIVE, ("demo",))
    lens.set(OWNER)
    assert lens.update(store, Mode.LIVE, ("demo",)) and lens.groups is warnings
    # an event arrives: its group is worked out again, the other group is the one kept
    # (with what was worked out of it), and an old grouping is never shown for new events
    store.set_query(parse_query(""))
    # large groups (a small one's details cost less than looking for it)
    store.apply([ev(POD_B, "Failed", 30 + i / 1000, message=WRONG_IMAGE) for i in range(600)]
                + [ev(POD_A, "FailedMount", 30 + i / 1000) for i in range(600)])
    assert lens.update(store, Mode.LIVE, ("demo",))
    before = {g.display: g for g in lens.groups}
    assert before["deployment/scenario-b"].warnings == 603  # worked out, kept in the group
    store.apply([ev(POD_A, "FailedMount", 40, message="again")])
    assert lens.update(store, Mode.LIVE, ("demo",), force=True)
    after = {g.display: g for g in lens.groups}
    assert after["deployment/scenario-b"] is before["deployment/scenario-b"]
    assert after["deployment/scenario-a"] is not before["deployment/scenario-a"]
    assert after["deployment/scenario-a"].size == 602
    store.set_query(parse_query("type:Warning"))
    assert lens.update(store, Mode.LIVE, ("demo",))
    assert lens.groups is not warnings  # kept for older events: not shown for these
    assert {g.display: g.size for g in lens.groups} == {
        "deployment/scenario-b": 603, "deployment/scenario-a": 602}


def test_each_kind_of_grouping_keeps_its_own() -> None:
    store = EventStore()
    store.apply(scenario())
    lens = Lens()
    lens.set(REASON)
    lens.update(store, Mode.LIVE, ("demo",))
    by_reason = lens.groups
    lens.set(OWNER)
    for text in ("type:Warning", "ns:test", "", "type:Normal"):  # owner rows, four filters
        store.set_query(parse_query(text))
        lens.update(store, Mode.LIVE, ("demo",))
    store.set_query(parse_query(""))
    lens.set(REASON)
    assert lens.update(store, Mode.LIVE, ("demo",)) and lens.groups is by_reason


def test_rollout_ticks_read_only_the_events_that_arrived() -> None:
    def scaled(name: str, at: float, rs: str) -> Event:
        return ev(name, "ScalingReplicaSet", at, kind="Deployment", type="Normal",
                  message=f"Scaled up replica set {rs} to 1")

    store = EventStore(max_events=8)
    store.apply([*scenario(), scaled("api", 5, "api-7f8dc97569")])
    ticks = RolloutTicks()
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0, T0 + 5]
    # arrivals: the same ticks as reading every event again, the new ReplicaSet's too
    store.apply([scaled("api", 30, "api-5d6c8b9f4")])
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0, T0 + 5, T0 + 30]
    # the two oldest evicted (8 at most): all read again, their ticks gone
    store.apply([scaled("web", 40, "web-6b8d9c5f7"), ev(POD_A, "FailedMount", 50)])
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0 + 30, T0 + 40]
    assert [r.time for r in rollouts(store.all_events)] == [T0 + 30, T0 + 40]


def test_rollout_ticks_of_a_big_store_are_read_again_in_a_thread() -> None:
    """After an eviction all events are read again: a big store's in a thread (~100 ms
    of Python at 200,000, every pump of a storm at the cap), the ticks it had shown
    meanwhile; a small one's at once."""
    def scaled(name: str, at: float, rs: str) -> Event:
        return ev(name, "ScalingReplicaSet", at, kind="Deployment", type="Normal",
                  message=f"Scaled up replica set {rs} to 1")

    store = EventStore(max_events=len(scenario()) + 2)
    store.apply([*scenario(), scaled("api", 5, "api-7f8dc97569")])
    ticks = RolloutTicks(inline=4)  # "big": more than 4 events
    assert ticks.times(store, T0 - 60, T0 + 600) == ([], [])  # read in a thread: none yet
    assert ticks.settle(10)
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0, T0 + 5]
    store.apply([scaled("web", 40, "web-6b8d9c5f7")])  # an arrival: read at once
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0, T0 + 5, T0 + 40]
    assert not ticks.reading
    store.apply([ev(POD_A, "FailedMount", 50), scaled("api", 60, "api-5d6c8b9f4")])
    # the oldest evicted: all read again in a thread, the ticks shown so far meanwhile
    assert ticks.times(store, T0 - 60, T0 + 600)[0] == [T0, T0 + 5, T0 + 40]
    assert ticks.settle(10)
    every = [r.time for r in rollouts(store.all_events)]
    assert T0 not in every and ticks.times(store, T0 - 60, T0 + 600)[0] == every


def test_after_new_events_the_rows_catch_up_instead_of_grouping_every_event_again() -> None:
    store = EventStore()
    store.apply(scenario())
    lens = Lens()
    lens.set(OWNER)
    lens.update(store, Mode.LIVE, ("demo",))
    store.set_query(parse_query("type:Warning"))
    lens.update(store, Mode.LIVE, ("demo",))
    regroups = lens.regroups

    def same_as_grouping_again() -> None:
        again = group_events(store.visible, OWNER, lens.resolver(Mode.LIVE, "demo"))
        assert [(g.display, g.resolved_by, g.events) for g in lens.groups] == [
            (g.display, g.resolved_by, g.events) for g in again]

    # a batch (a new pod's warning, a repeat of an older one): caught up
    old = store.visible[0]
    store.apply([ev(POD_A, "FailedMount", 30), ev("web-6b8d9c5f7-x2x9k", "BackOff", 31),
                 replace(old, time=old.time + 40, count=2, resource_version="9")])
    assert lens.update(store, Mode.LIVE, ("demo",), force=True)
    assert (lens.regroups, lens.caught_up) == (regroups, 1)
    same_as_grouping_again()
    # a, after an arrival: the rows of every event kept from before w, caught up
    store.apply([ev(POD_B, "Pulled", 41, type="Normal")])
    store.set_query(parse_query(""))
    assert lens.update(store, Mode.LIVE, ("demo",))
    assert (lens.regroups, lens.caught_up) == (regroups, 2)
    same_as_grouping_again()
    # controllers met for the first time change an answer given (the pod's): grouped again
    store.apply([ev("web", "ScalingReplicaSet", 50, kind="Deployment", type="Normal"),
                 ev("web-6b8d9c5f7", "SuccessfulCreate", 50, kind="ReplicaSet", type="Normal")])
    lens.update(store, Mode.LIVE, ("demo",), force=True)
    assert lens.regroups == regroups + 1
    same_as_grouping_again()
    web = next(g for g in lens.groups if g.display == "deployment/web")
    assert {e.object.name for e in web.events} == {"web", "web-6b8d9c5f7", "web-6b8d9c5f7-x2x9k"}
    # more than the store's log keeps: grouped again
    store.changes.max_events = 2
    store.apply([ev(POD_B, "Failed", 60 + i) for i in range(3)])
    lens.update(store, Mode.LIVE, ("demo",), force=True)
    assert lens.regroups == regroups + 2
    same_as_grouping_again()
