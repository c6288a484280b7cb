"""Events built from JSON share one copy of the values they repeat (the object through
ktui.model.refs, the message through ktui.model.sharing)."""

from __future__ import annotations

import json

from ktui.kube.decode import build
from ktui.model import sharing
from ktui.model.sharing import shared_message


def obj(uid: str, message: str = "Back-off restarting failed container", path: str = "") -> dict:
    return {
        "metadata": {"uid": uid, "name": f"web-1.{uid}", "namespace": "shop"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop",
                           "uid": "pod-uid", "apiVersion": "v1", "fieldPath": path},
        "reason": "BackOff", "message": message, "type": "Warning",
        "source": {"component": "kubelet", "host": "node-a"},
        "reportingInstance": "node-a",
    }


def parsed(value: dict) -> dict:
    return json.loads(json.dumps(value))  # new string objects, as a list body gives


def test_events_about_one_object_share_its_ref_message_and_node() -> None:
    a = build(parsed(obj("u1")), "v1", "c", False)
    b = build(parsed(obj("u2")), "v1", "c", False)
    assert a.object is b.object and a.message is b.message
    assert a.source_host is b.source_host and a.reporting_instance is b.reporting_instance
    assert a.uid == "u1" and b.uid == "u2" and a.name != b.name


def test_what_differs_is_not_shared() -> None:
    a = build(parsed(obj("u1", path="spec.containers{web}")), "v1", "c", False)
    b = build(parsed(obj("u2", path="spec.containers{sidecar}")), "v1", "c", False)
    c = build(parsed(obj("u3", message="Started container web")), "v1", "c", False)
    assert a.object is not b.object and b.object.field_path == "spec.containers{sidecar}"
    assert c.message == "Started container web" and c.message is not a.message


def test_a_full_message_cache_starts_over_and_stays_right() -> None:
    first = shared_message("m0" + "")
    for i in range(sharing.CACHE + 10):
        assert shared_message(f"m{i}") == f"m{i}"
    assert len(sharing._messages) <= sharing.CACHE
    again = shared_message("".join(["m", "0"]))
    assert again == first and again is not first  # forgotten, taken anew
