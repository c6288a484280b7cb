"""fieldSelector / labelSelector, and authentication / authorization answers."""

from __future__ import annotations

import http.client
import ssl
from pathlib import Path
from urllib.parse import quote

import pytest

from ktui.sim import Grant, SimCluster

from .conftest import TOKENS, Client


def _items(client: Client, path: str, selector: str) -> list[dict[str, object]]:
    r = client.get(f"{path}?fieldSelector={quote(selector)}")
    assert r.status == 200, r.body
    items: list[dict[str, object]] = r.json()["items"]
    return items


def test_field_selectors(client: Client, cluster: SimCluster) -> None:
    truth = cluster.events()
    warn = _items(client, "/api/v1/events", "type=Warning")
    assert warn and len(warn) == sum(e["type"] == "Warning" for e in truth)
    assert len(_items(client, "/api/v1/events", "type!=Warning")) == len(truth) - len(warn)
    assert len(_items(client, "/api/v1/events", "type==Warning")) == len(warn)
    both = _items(client, "/api/v1/events", "type=Warning,reason=FailedMount")
    assert both and all(i["reason"] == "FailedMount" for i in both)
    pod = "scenario-b-cff56c84-xn9hh"
    by_obj = _items(client, "/api/v1/events",
                    f"involvedObject.name={pod},involvedObject.kind=Pod")
    assert len(by_obj) == sum(e["involvedObject"]["name"] == pod for e in truth)
    sched = _items(client, "/api/v1/events", "source=default-scheduler")
    # source falls back to reportingController for new-API events (no source.component)
    assert sched and all(i["reportingComponent"] == "default-scheduler" for i in sched)
    assert _items(client, "/api/v1/events", "metadata.namespace=test") == _items(
        client, "/api/v1/namespaces/test/events", "")
    name = truth[0]["metadata"]["name"]
    assert len(_items(client, "/api/v1/events", f"metadata.name={name}")) == 1
    new = _items(client, "/apis/events.k8s.io/v1/events", "type=Warning")
    assert len(new) == len(warn) and all("note" in i for i in new)
    assert _items(client, "/api/v1/events", "involvedObject.fieldPath=spec.containers{nginx}")


@pytest.mark.parametrize("selector,message", [
    ("xyz=1", "field label not supported: xyz"),
    ("note=x", "field label not supported: note"),
    ("type", "invalid selector: 'type'; can't understand 'type'"),
])
def test_bad_field_selector_is_400(client: Client, selector: str, message: str) -> None:
    for path in ("/api/v1/events", "/apis/events.k8s.io/v1/events",
                 "/api/v1/events?watch=1&x=1"):
        sep = "&" if "?" in path else "?"
        r = client.get(f"{path}{sep}fieldSelector={quote(selector)}")
        assert r.status == 400
        body = r.json()
        assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                        "status": "Failure", "message": message, "reason": "BadRequest",
                        "code": 400}


def test_label_selector_does_not_break(client: Client, cluster: SimCluster) -> None:
    n = len(cluster.events())
    assert len(client.get("/api/v1/events?labelSelector=").json()["items"]) == n
    assert len(client.get("/api/v1/events?labelSelector=%21app").json()["items"]) == n
    assert len(client.get("/api/v1/events?labelSelector=app%21%3Dx").json()["items"]) == n
    # events have no labels: a positive requirement matches nothing
    assert client.get("/api/v1/events?labelSelector=app%3Dweb").json()["items"] == []
    assert client.get(f"/api/v1/events?labelSelector={quote('env in (a,b)')}").json()[
        "items"] == []


def test_no_token_and_bad_token_are_401(cluster: SimCluster) -> None:
    for token in (None, "wrong"):
        r = Client(cluster, token).get("/api/v1/events")
        assert r.status == 401
        assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "message": "Unauthorized",
                            "reason": "Unauthorized", "code": 401}
    assert Client(cluster, None).get("/version").status == 401


def test_require_auth_false_lets_anonymous_in() -> None:
    with SimCluster(scenario="scenario-a", require_auth=False) as c:
        assert Client(c, None).get("/api/v1/events").status == 200
        assert Client(c, "wrong").get("/api/v1/events").status == 401


def test_forbidden_messages(cluster: SimCluster) -> None:
    ns = Client(cluster, "ns-token")
    r = ns.get("/api/v1/events")
    assert r.status == 403
    assert r.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'events is forbidden: User "system:serviceaccount:test:viewer" cannot list '
                   'resource "events" in API group "" at the cluster scope',
        "reason": "Forbidden", "details": {"kind": "events"}, "code": 403}
    r = ns.get("/api/v1/namespaces/payments/events?watch=1")
    assert r.status == 403
    assert r.json()["message"] == ('events is forbidden: User "system:serviceaccount:test:'
                                   'viewer" cannot watch resource "events" in API group "" in '
                                   'the namespace "payments"')
    r = ns.get("/apis/events.k8s.io/v1/namespaces/test/events")
    assert r.status == 403
    assert r.json()["message"].startswith("events.events.k8s.io is forbidden: ")
    assert r.json()["details"] == {"group": "events.k8s.io", "kind": "events"}
    r = ns.get("/api/v1/namespaces/payments/events/x.1")
    assert r.json()["message"].startswith('events "x.1" is forbidden: User ')
    assert r.json()["details"] == {"name": "x.1", "kind": "events"}
    assert ns.get("/api/v1/namespaces/test/events").status == 200
    new_only = Client(cluster, "new-api-token")
    assert new_only.get("/api/v1/events").status == 403
    assert new_only.get("/apis/events.k8s.io/v1/events").status == 200
    assert ns.get("/api/v1/namespaces").status == 403
    assert Client(cluster).get("/api/v1/namespaces").json()["items"]


def test_self_subject_access_review(cluster: SimCluster) -> None:
    def review(token: str, ns: str, verb: str = "list", group: str = "") -> bool:
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": ns, "verb": verb,
                                                "group": group, "resource": "events"}}}
        r = Client(cluster, token).request(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST", body=body)
        assert r.status == 201
        d = r.json()
        assert d["kind"] == "SelfSubjectAccessReview"
        assert d["spec"]["resourceAttributes"]["namespace"] == ns
        allowed: bool = d["status"]["allowed"]
        return allowed

    assert review("admin-token", "")
    assert review("ns-token", "test") and review("ns-token", "test", "watch")
    assert not review("ns-token", "payments") and not review("ns-token", "")
    assert not review("ns-token", "test", group="events.k8s.io")
    assert not review("ns-token", "test", verb="delete")
    r = Client(cluster, "ns-token").request(
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", method="POST",
        body={"spec": {"namespace": "test"}})
    rules = r.json()["status"]["resourceRules"]
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["events"]} \
        in rules


def test_grant_is_frozen_and_accepts_sets() -> None:
    g = Grant(namespaces={"a"}, groups={""})
    assert g.namespaces == frozenset({"a"}) and g.allows("list", "", "a")
    assert not g.allows("list", "", None) and not g.allows("list", "events.k8s.io", "a")
    assert Grant.all().allows("watch", "events.k8s.io", None)
    assert TOKENS["admin-token"] == Grant.all()


def test_client_certificate_authentication(tmp_path: Path) -> None:
    from ktui.sim.apiserver.tls import (
        CLIENT_CERT_PEM,
        CLIENT_CERT_USER,
        CLIENT_KEY_PEM,
        client_context,
    )

    grant = Grant(namespaces={"test"}, groups={""}, user=CLIENT_CERT_USER)
    with SimCluster(scenario="scenario-a", client_certs={CLIENT_CERT_USER: grant}) as c:
        (tmp_path / "client.pem").write_text(CLIENT_CERT_PEM + CLIENT_KEY_PEM)
        context = client_context()
        context.load_cert_chain(str(tmp_path / "client.pem"))

        def get(path: str, ctx: ssl.SSLContext) -> int:
            conn = http.client.HTTPSConnection("127.0.0.1", c.port, timeout=10, context=ctx)
            try:
                conn.request("GET", path)
                return conn.getresponse().status
            finally:
                conn.close()

        assert get("/api/v1/namespaces/test/events", context) == 200  # the grant of its CN
        assert get("/api/v1/events", context) == 403
        assert get("/api/v1/namespaces/test/events", client_context()) == 401  # no cert
        assert Client(c, "admin-token").get("/api/v1/events").status == 200  # tokens too
    with pytest.raises(ValueError, match="client certificates need tls=True"):
        SimCluster(scenario="empty", tls=False, client_certs={CLIENT_CERT_USER: grant})
