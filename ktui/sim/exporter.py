"""Realistic kubernetes-event-exporter documents, their indexing, and the ground truth.

:func:`generate` writes what the exporter's OpenSearch sink sends (``json.Marshal`` of an
EnhancedEvent, ``deDot: true``): core/v1 events from kubelet and controllers, new-API
events (scheduler: ``eventTime`` and ``series`` only, ``lastTimestamp: null``), the EKS
workshop's scenario-a/b/c failures in namespace ``test``, and re-sends of the same uid
with a higher count (what an index without ``useEventID`` accumulates). The list is in
send order: with ``useEventID`` the last version of a uid wins.

:func:`index_documents` indexes them as the exporter's sink would (one index with
``useEventID`` or daily indices without it). What a history query must return for them
is the tests' business: tests/opensearch/oracle.py.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ktui.model.event import WARNING, time_of

_NAMESPACE_NAMES = """default kube-system test catalog orders checkout assets ui carts karpenter
opensearch-exporter payments monitoring"""
NAMESPACES: tuple[str, ...] = tuple(_NAMESPACE_NAMES.split())
CLUSTER = "eks-workshop"
SINGLE_INDEX = "eks-kubernetes-events"
DAILY_PREFIX = "kube-events-"
NODES = tuple(
    f"ip-10-42-{a}-{b}.us-west-2.compute.internal"
    for a, b in ((179, 183), (153, 25), (104, 177), (190, 29), (127, 4))
)

SCENARIO_A = (
    'MountVolume.SetUp failed for volume "secret-volume" : secret "misspelt-secret-name" not found'
)
SCENARIO_B = (
    'Failed to pull image "wrong-image": rpc error: code = Unknown desc = failed to '
    'pull and unpack image "docker.io/library/wrong-image:latest": failed to resolve '
    'reference "docker.io/library/wrong-image:latest": pull access denied, repository '
    "does not exist or may require authorization: server message: "
    "insufficient_scope: authorization failed"
)
SCENARIO_C = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
    "available: 3 No preemption victims found for incoming pod."
)

# kind | type | reason | reporter | new API (eventTime only) | weight | message template
_TABLE = """
Pod | Normal | Scheduled | default-scheduler | y | 10 | Successfully assigned {ns}/{pod} to {node}
Pod | Normal | Pulling | kubelet | n | 9 | Pulling image "{image}"
Pod | Normal | Pulled | kubelet | n | 9 | Successfully pulled image "{image}" in 627.545722ms \
(627.553403ms including waiting)
Pod | Normal | Created | kubelet | n | 9 | Created container {container}
Pod | Normal | Started | kubelet | n | 9 | Started container {container}
Pod | Normal | Killing | kubelet | n | 4 | Stopping container {container}
Pod | Warning | BackOff | kubelet | n | 5 | Back-off restarting failed container {container} \
in pod {pod}_{ns}({uid})
Pod | Warning | Unhealthy | kubelet | n | 5 | Readiness probe failed: Get \
"http://{ip}:8080/actuator/health/liveness": dial tcp {ip}:8080: connect: connection refused
Pod | Warning | FailedScheduling | default-scheduler | y | 2 | 0/5 nodes are available: \
5 Insufficient memory.
ReplicaSet | Normal | SuccessfulCreate | replicaset-controller | n | 6 | Created pod: {pod}
ReplicaSet | Normal | SuccessfulDelete | replicaset-controller | n | 2 | Deleted pod: {pod}
Deployment | Normal | ScalingReplicaSet | deployment-controller | n | 4 | Scaled up replica set \
{rs} to 2
HorizontalPodAutoscaler | Normal | SuccessfulRescale | horizontal-pod-autoscaler | n | 2 | \
New size: 3; reason: cpu resource utilization (percentage of request) above target
Node | Normal | NodeReady | kubelet | n | 1 | Node {node} status is now: NodeReady
Node | Warning | NodeNotReady | node-controller | n | 1 | Node {node} status is now: NodeNotReady
Node | Warning | OOMKilling | kernel-monitor | n | 1 | Memory cgroup out of memory: Killed \
process 4242 (java) total-vm:2458220kB, anon-rss:524288kB
NodeClaim | Normal | Launched | karpenter | y | 1 | Status condition transitioned, Type: \
Launched, Status: True
PersistentVolumeClaim | Warning | ProvisioningFailed | ebs.csi.aws.com | n | 1 | failed to \
provision volume with StorageClass "gp3": rpc error: code = Internal desc = [/] quota exceeded
"""


def _templates() -> tuple[tuple[str, str, str, str, str, bool, int], ...]:
    rows = []
    for line in _TABLE.replace("\\\n", "").strip().splitlines():
        kind, etype, reason, reporter, new_api, weight, message = (
            part.strip() for part in line.split("|", 6)
        )
        rows.append((kind, etype, reason, message, reporter, new_api == "y", int(weight)))
    return tuple(rows)


# (kind, type, reason, message template, reporter, new API?, weight)
_TEMPLATES = _templates()
_APP_NAMES = """catalog orders checkout assets ui carts web api worker coredns aws-node kube-proxy
redis rabbitmq payments-gateway"""
_APPS: tuple[str, ...] = tuple(_APP_NAMES.split())


def _rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(seconds: float) -> str:
    moment = datetime.fromtimestamp(round(seconds, 6), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Maker:
    """Builds one document at a time from a seeded RNG (deterministic for a seed)."""

    def __init__(self, rng: random.Random, namespaces: Sequence[str]) -> None:
        self.rng = rng
        self.namespaces = tuple(namespaces)
        self.resource_version = 1_000_000
        self.weights = [t[6] for t in _TEMPLATES]

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hexname(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    def rv(self) -> str:
        self.resource_version += self.rng.randint(1, 40)
        return str(self.resource_version)

    def involved(self, kind: str, ns: str, name: str, owner: str) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "kind": kind,
            "namespace": "" if kind == "Node" else ns,
            "name": name,
            "uid": self.uid(),
            "apiVersion": "apps/v1" if kind in ("ReplicaSet", "Deployment") else "v1",
            "resourceVersion": self.rv(),
        }
        if kind == "Pod":
            obj["fieldPath"] = "spec.containers{" + name.split("-")[0] + "}"
        # The exporter looks the object up to add these; a pod already gone has none.
        if kind == "Pod" and self.rng.random() < 0.4:
            # deDot: true rewrites "." in label and annotation keys only.
            obj["labels"] = {
                "app_kubernetes_io/name": owner,
                "pod-template-hash": self.hexname()[:10],
            }
            obj["annotations"] = {"kubectl_kubernetes_io/restartedAt": "2026-11-01T00:00:00Z"}
            obj["ownerReferences"] = [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": name.rsplit("-", 1)[0],
                    "uid": self.uid(),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        return obj

    def event(
        self,
        moment: float,
        *,
        ns: str | None = None,
        template: int | None = None,
        message: str | None = None,
        app: str | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        index = (
            template
            if template is not None
            else rng.choices(range(len(_TEMPLATES)), self.weights)[0]
        )
        kind, etype, reason, text, reporter, new_api, _ = _TEMPLATES[index]
        ns = ns or rng.choice(self.namespaces)
        app = app or rng.choice(_APPS)
        rs = f"{app}-{self.hexname()[:10]}"
        pod = f"{rs}-{self.hexname()[:5]}"
        node = rng.choice(NODES)
        name = {"Pod": pod, "ReplicaSet": rs, "Node": node}.get(kind, app)
        if kind == "Node":
            ns = "default"
        involved = self.involved(kind, ns, name, app)
        body = message or text.format(
            ns=ns,
            pod=pod,
            node=node,
            image=f"public.ecr.aws/{app}:1.2",
            container=app,
            uid=involved["uid"],
            rs=rs,
            ip=f"10.42.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        )
        repeats = 1 if rng.random() < 0.75 else rng.randint(2, 40)
        first = moment - (rng.uniform(0, 1800) if repeats > 1 else 0.0)
        doc: dict[str, Any] = {
            "metadata": {
                "name": f"{name}.{self.hexname()}",
                "namespace": ns,
                "uid": self.uid(),
                "resourceVersion": self.rv(),
                "creationTimestamp": _rfc3339(first),
            },
            "reason": reason,
            "message": body,
            "type": etype,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": None,
            "reportingComponent": reporter,
            "reportingInstance": "",
            "clusterName": CLUSTER,
            "involvedObject": involved,
        }
        if new_api:
            # events.k8s.io/v1 recorders: eventTime (+ series when repeated), no timestamps.
            doc["eventTime"] = _micro(first)
            doc["action"] = "Scheduling" if reporter == "default-scheduler" else "Launch"
            doc["reportingInstance"] = f"{reporter}-{node.split('.')[0]}"
            if repeats > 1:
                doc["series"] = {"count": repeats, "lastObservedTime": _micro(moment)}
        else:
            doc["source"] = {
                "component": reporter,
                **({"host": node} if reporter == "kubelet" else {}),
            }
            doc["reportingInstance"] = node if reporter == "kubelet" else ""
            doc["firstTimestamp"] = _rfc3339(first)
            doc["lastTimestamp"] = _rfc3339(moment)
            doc["count"] = repeats
        return doc


def _scenario(maker: _Maker, moment: float) -> dict[str, Any]:
    """One of the EKS workshop's scenario-a/b/c failures (namespace ``test``)."""
    pick = maker.rng.randrange(5)
    if pick == 0:
        doc = maker.event(moment, ns="test", template=6, app="scenario-a")
        doc.update(reason="FailedMount", message=SCENARIO_A, type=WARNING)
    elif pick == 1:
        doc = maker.event(moment, ns="test", template=1, app="scenario-b")
        doc.update(reason="Failed", message=SCENARIO_B, type=WARNING)
    elif pick == 2:
        doc = maker.event(moment, ns="test", template=1, app="scenario-b")
        doc.update(reason="Failed", message="Error: ImagePullBackOff", type=WARNING)
    elif pick == 3:
        doc = maker.event(moment, ns="test", template=8, app="scenario-c")
        doc["message"] = SCENARIO_C
    else:
        doc = maker.event(moment, ns="test", template=11, app="scenario-c")
        doc["message"] = "Scaled down replica set scenario-c-6d988b8d84 to 0 from 1"
    return doc


def _resend(maker: _Maker, doc: dict[str, Any], later: float) -> dict[str, Any]:
    """The same event sent again later with a higher count (same uid)."""
    copy: dict[str, Any] = {**doc, "metadata": {**doc["metadata"], "resourceVersion": maker.rv()}}
    if copy.get("lastTimestamp"):
        copy["count"] = int(copy.get("count") or 1) + maker.rng.randint(1, 5)
        copy["lastTimestamp"] = _rfc3339(later)
    else:
        series = dict(copy.get("series") or {"count": 1})
        series["count"] = int(series.get("count", 1)) + maker.rng.randint(1, 5)
        series["lastObservedTime"] = _micro(later)
        copy["series"] = series
    return copy


def generate(
    n: int,
    *,
    days: float = 3,
    seed: int = 1,
    namespaces: Sequence[str] = NAMESPACES,
    start: float | None = None,
    resend_share: float = 0.05,
) -> list[dict[str, Any]]:
    """``n`` exporter documents spread over ``days`` from ``start`` (default: ending now).

    A daily rhythm plus bursts; about 3% scenario events, 12% new-API (eventTime-only, a
    share with series), 1% with only firstTimestamp or creationTimestamp, and
    ``resend_share`` re-sends of earlier uids (placed later in the list: send order).
    """
    rng = random.Random(seed)
    maker = _Maker(rng, namespaces)
    span = days * 86400.0
    begin = (
        float(int(start)) if start is not None else float(int(datetime.now(UTC).timestamp() - span))
    )
    resends = int(n * resend_share)
    moments = sorted(_moment(rng, begin, span) for _ in range(n - resends))
    docs: list[dict[str, Any]] = []
    for moment in moments:
        roll = rng.random()
        doc = _scenario(maker, moment) if roll < 0.03 else maker.event(moment)
        if 0.03 <= roll < 0.035:  # a legacy recorder that set only firstTimestamp
            doc["lastTimestamp"] = None
        elif 0.035 <= roll < 0.04:  # no time at all but the object's creation
            doc.update(lastTimestamp=None, firstTimestamp=None, eventTime=None, series=None)
            doc["metadata"]["creationTimestamp"] = _rfc3339(moment)
        docs.append(doc)
    end = begin + span
    for _ in range(resends):
        original = docs[rng.randrange(len(moments))]
        base = _time(original)
        if rng.random() < 0.2:  # an exporter restart re-sends the very same version
            docs.append(dict(original))
        else:
            docs.append(_resend(maker, original, min(end, base + rng.uniform(1, 3600))))
    return docs


def _moment(rng: random.Random, begin: float, span: float) -> float:
    # More events in working hours; an occasional tight burst (a rollout, a crash loop).
    while True:
        moment = begin + rng.random() * span
        hour = (moment % 86400) / 3600
        if rng.random() < 0.45 + 0.55 * max(0.0, math.sin((hour - 6) / 24 * 2 * math.pi)):
            return moment


def _time(doc: Mapping[str, Any]) -> float:
    return time_of(doc)


# -- indexing ---------------------------------------------------------------------------

_DATE = {"type": "date"}
_OFF = {"type": "object", "enabled": False}
# What an operator's index template for the exporter often looks like: strings as keyword,
# the time fields declared, the free-form label/annotation maps kept out of the mapping
# (deDot exists because their keys explode mappings).
KEYWORD_TEMPLATE: dict[str, Any] = {
    "date_detection": False,
    "dynamic_templates": [
        {"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
    ],
    "properties": {
        "lastTimestamp": _DATE,
        "firstTimestamp": _DATE,
        "eventTime": _DATE,
        "series": {"properties": {"lastObservedTime": _DATE}},
        "metadata": {"properties": {"creationTimestamp": _DATE}},
        "involvedObject": {
            "properties": {"labels": _OFF, "annotations": _OFF, "ownerReferences": _OFF}
        },
    },
}


def index_name(doc: Mapping[str, Any], index_naming: str, prefix: str = "") -> str:
    if index_naming == "single":
        return prefix + SINGLE_INDEX
    # indexFormat "kube-events-{2006-01-02}" is filled at send time, about the event's time.
    day = datetime.fromtimestamp(_time(doc), tz=UTC).strftime("%Y-%m-%d")
    return f"{prefix}{DAILY_PREFIX}{day}"


def index_documents(
    client: Any,
    docs: Iterable[Mapping[str, Any]],
    index_naming: str = "single",
    *,
    prefix: str = "",
    use_event_id: bool | None = None,
    keyword_template: bool = False,
    chunk_size: int = 2000,
) -> int:
    """Bulk-index ``docs`` as the exporter would; returns the number indexed.

    ``single``: one ``eks-kubernetes-events`` index with ``useEventID`` (``_id`` = uid, so
    a re-send overwrites). ``daily``: ``kube-events-YYYY-MM-DD`` without it (every send is a
    new document). ``keyword_template`` creates the indices with :data:`KEYWORD_TEMPLATE`
    (strings as ``keyword``) instead of leaving dynamic mapping to make ``text`` +
    ``.keyword``, as the workshop does.
    """
    from opensearchpy import helpers

    if index_naming not in ("single", "daily"):
        raise ValueError("index_naming is 'single' or 'daily'")
    by_id = index_naming == "single" if use_event_id is None else use_event_id
    actions: list[dict[str, Any]] = []
    names: set[str] = set()
    for doc in docs:
        name = index_name(doc, index_naming, prefix)
        names.add(name)
        action: dict[str, Any] = {"_index": name, "_source": doc}
        uid = (doc.get("metadata") or {}).get("uid") if isinstance(doc, Mapping) else None
        if by_id and uid:
            action["_id"] = uid
        actions.append(action)
    if keyword_template:
        for name in sorted(names):
            if not client.indices.exists(index=name):
                client.indices.create(index=name, body={"mappings": KEYWORD_TEMPLATE})
    done, _ = helpers.bulk(
        client, actions, chunk_size=chunk_size, refresh=False, max_retries=2, request_timeout=120
    )
    client.indices.refresh(index=",".join(sorted(names)) if names else "_all")
    return int(done)
