"""Owner resolution: ownerReferences first, then Kubernetes' naming rules, else the object."""

from __future__ import annotations

import random

import pytest

from ktui.model.event import Event, OwnerRef, from_core_v1, from_exporter, object_ref
from ktui.model.owners import (
    ALPHABET,
    BY_NAME,
    BY_OWNER_REFERENCES,
    BY_SELF,
    HASH_ALPHABET,
    Owner,
    OwnerResolver,
    owner_of,
)


def test_the_alphabets_are_kubernetes_own() -> None:
    # k8s.io/apimachinery/pkg/util/rand: 27 characters, no vowels, no 0, 1 or 3
    assert ALPHABET == "bcdfghjklmnpqrstvwxz2456789"
    # SafeEncodeString of a decimal number: '0'..'9' -> ALPHABET[ord % 27]
    assert HASH_ALPHABET == "456789bcdf"


def resolve(kind: str, name: str, namespace: str = "shop") -> Owner:
    return OwnerResolver().resolve(kind, namespace, name)


# Names from real clusters (the EKS workshop, kubectl output in issues and docs) and
# their owners by the naming rules alone.
BY_NAMING = [
    ("Pod", "scenario-a-5f8b9c7d6-x2x9k", "Deployment", "scenario-a"),
    ("Pod", "scenario-b-cff56c84-xn9hh", "Deployment", "scenario-b"),  # an 8-digit hash
    ("Pod", "scenario-c-6d988b8d84-gghjv", "Deployment", "scenario-c"),
    ("Pod", "catalog-857f89d57d-xl4xc", "Deployment", "catalog"),
    ("Pod", "coredns-5d78c9869d-4hx2j", "Deployment", "coredns"),
    ("Pod", "metrics-server-5c9b7f6d8-2n4kd", "Deployment", "metrics-server"),
    ("Pod", "nginx-deployment-66b6c48dd5-4jw2p", "Deployment", "nginx-deployment"),
    ("Pod", "aws-load-balancer-controller-7b9d6c4f5d-8kq2z", "Deployment",
     "aws-load-balancer-controller"),
    ("Pod", "web.v2-7f8dc97569-qg5tk", "Deployment", "web.v2"),  # dots are allowed
    # 63 characters: the base was exactly 58, nothing was cut
    ("Pod", "events-to-opensearch-kubernetes-event-exporter-67fc698978-2f9wc", "Deployment",
     "events-to-opensearch-kubernetes-event-exporter"),
    ("ReplicaSet", "payments-api-7f8dc97569", "Deployment", "payments-api"),
    ("ReplicaSet", "scenario-b-cff56c84", "Deployment", "scenario-b"),
    # a CronJob's Job: <cronjob>-<minutes since the epoch> (controller v2, 8 digits)
    ("Job", "hello-28312345", "CronJob", "hello"),
    ("Job", "db-backup-29001440", "CronJob", "db-backup"),
    ("Job", "nightly-report-1581509340", "CronJob", "nightly-report"),  # v1: seconds
    ("Pod", "hello-28312345-x7k2p", "CronJob", "hello"),
    ("Pod", "db-backup-29001440-bq9vz", "CronJob", "db-backup"),
]


@pytest.mark.parametrize(("kind", "name", "owner_kind", "owner_name"), BY_NAMING)
def test_naming_rules(kind: str, name: str, owner_kind: str, owner_name: str) -> None:
    assert resolve(kind, name) == Owner(owner_kind, "shop", owner_name, BY_NAME)


# Names that must stay what they are without ownerReferences.
NOT_REWRITTEN = [
    ("Pod", "nginx"),
    ("Pod", "multi-container-pod"),
    ("Pod", "catalog-mysql-0"),  # a StatefulSet's Pod? Only ownerReferences may say
    ("Pod", "web-1"),
    ("Pod", "payments-db-0"),
    ("Pod", "prometheus-k8s-0"),
    ("Pod", "ebs-csi-node-7xk2p"),  # a DaemonSet's or a Job's Pod? Nothing says which
    ("Pod", "fluent-bit-x7k2p"),
    ("Pod", "db-pgsql"),  # five consonants, by hand
    ("Pod", "hostile-200k"),
    ("Pod", "etcd-ip-10-0-3-17.eu-west-1.compute.internal"),  # a static Pod
    ("Pod", "kube-proxy-ip-10-0-3-17"),
    ("Pod", "web-5f8b9c7d6-X2X9K"),  # upper case is no generated suffix
    ("Pod", "web-5f8b9c7d6-x2x9"),  # four characters
    ("Pod", "web-5f8b9c7d6-x2x9k1"),  # six, and '1' is not in the alphabet
    ("Pod", "web-5f8b9c7d6-a2x9k"),  # 'a' is a vowel
    ("Pod", "web-5a8b9c7d6-x2x9k"),  # 'a' in the hash: not SafeEncodeString's output
    ("Pod", "web-12345-x2x9k"),  # '1', '2', '3' never occur in a hash
    ("Pod", "web-4f8b9-x2x9k"),  # five-character hash: not one Kubernetes makes
    ("Pod", "pod-[/]"),
    ("Pod", "name\x9b31m\x07"),
    ("Pod", ""),
    ("ReplicaSet", "standalone"),
    ("ReplicaSet", "web-0123456789"),  # digits 0-3 cannot be in a pod-template-hash
    ("Job", "backup-20240501"),  # a date, not the minutes of a schedule (2008)
    ("Job", "migrate-1"),
    ("Job", "hello-44444444"),  # 2054 in minutes: a hash made only of digits
    ("Deployment", "payments-api"),
    ("StatefulSet", "catalog-mysql"),
    ("DaemonSet", "fluent-bit"),
    ("HorizontalPodAutoscaler", "orders"),
    ("Service", "web-5f8b9c7d6"),  # only a ReplicaSet's own name follows the hash rule
]


@pytest.mark.parametrize(("kind", "name"), NOT_REWRITTEN)
def test_names_that_are_not_rewritten(kind: str, name: str) -> None:
    assert resolve(kind, name) == Owner(kind, "shop", name, BY_SELF)


def test_a_cut_generated_name_still_names_its_deployment() -> None:
    # generateName "<replicaset>-" longer than 58 characters is cut to 58, so the hash
    # loses its tail and no dash comes before the five random characters.
    deployment = "a-very-long-deployment-name-made-by-a-helm-release-xyz"  # 54
    replicaset = f"{deployment}-6d988b8d84"
    pod = (replicaset + "-")[:58] + "q8wdm"
    assert len(pod) == 63 and "-" not in pod[-8:]
    assert resolve("Pod", pod) == Owner("Deployment", "shop", deployment, BY_NAME)
    # the same tail on a name shorter than 63 characters was not cut: left alone
    assert resolve("Pod", pod[10:]).resolved_by == BY_SELF


def test_random_generated_names_resolve() -> None:
    rng = random.Random(4)
    for _ in range(500):
        deployment = "-".join(rng.choice(["api", "web", "payments", "v2", "x1"])
                              for _ in range(rng.randint(1, 3)))
        digits = str(rng.randint(100_000, 2**32 - 1))  # an FNV-32a sum, in decimal
        template_hash = "".join(ALPHABET[ord(d) % 27] for d in digits)
        pod = f"{deployment}-{template_hash}-{''.join(rng.choices(ALPHABET, k=5))}"
        assert resolve("Pod", pod) == Owner("Deployment", "shop", deployment, BY_NAME), pod


def test_nodes_and_other_cluster_scoped_objects_have_no_namespace() -> None:
    node = "ip-10-42-104-177.us-west-2.compute.internal"
    assert resolve("Node", node, "default") == Owner("Node", "", node, BY_SELF)
    assert resolve("PersistentVolume", "pvc-1f0c9a3e", "payments").namespace == ""


def lookup_of(table: dict[tuple[str, str, str], list[OwnerRef]]):  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str, str]] = []

    def lookup(kind: str, namespace: str, name: str) -> list[OwnerRef] | None:
        calls.append((kind, namespace, name))
        return table.get((kind, namespace, name))

    return lookup, calls


RS = OwnerRef("ReplicaSet", "checkout-7b9d5c4f8", "apps/v1", "u1", controller=True)
DEPLOY = OwnerRef("Deployment", "checkout", "apps/v1", "u2", controller=True)


def test_owner_references_win_and_are_followed_up() -> None:
    lookup, calls = lookup_of({
        ("Pod", "shop", "checkout-7b9d5c4f8-2xkqp"): [RS],
        ("ReplicaSet", "shop", "checkout-7b9d5c4f8"): [DEPLOY],
        ("Deployment", "shop", "checkout"): [],
        ("Pod", "shop", "catalog-mysql-0"): [OwnerRef("StatefulSet", "catalog-mysql",
                                                      controller=True)],
        ("Pod", "shop", "ebs-csi-node-7xk2p"): [OwnerRef("DaemonSet", "ebs-csi-node",
                                                         controller=True)],
        ("Pod", "shop", "naked"): [],
    })
    resolver = OwnerResolver(lookup)
    assert resolver.resolve("Pod", "shop", "checkout-7b9d5c4f8-2xkqp") == Owner(
        "Deployment", "shop", "checkout", BY_OWNER_REFERENCES)
    # a StatefulSet's Pod, only because its references say so
    assert resolver.resolve("Pod", "shop", "catalog-mysql-0") == Owner(
        "StatefulSet", "shop", "catalog-mysql", BY_OWNER_REFERENCES)
    assert resolver.resolve("Pod", "shop", "ebs-csi-node-7xk2p").kind == "DaemonSet"
    assert resolver.resolve("Pod", "shop", "naked") == Owner("Pod", "shop", "naked", BY_SELF)
    # cached: asking again looks nothing up
    before = len(calls)
    resolver.resolve("Pod", "shop", "checkout-7b9d5c4f8-2xkqp")
    assert len(calls) == before


def test_references_unknown_above_the_first_step_fall_back_to_names() -> None:
    lookup, _ = lookup_of({("Pod", "shop", "x-7b9d5c4f8-2xkqp"): [RS]})
    assert OwnerResolver(lookup).resolve("Pod", "shop", "x-7b9d5c4f8-2xkqp") == Owner(
        "Deployment", "shop", "checkout", BY_OWNER_REFERENCES)


def test_the_controller_reference_is_followed_and_cycles_end() -> None:
    other = OwnerRef("ConfigMap", "settings")
    lookup, _ = lookup_of({
        ("Pod", "shop", "p"): [other, OwnerRef("ReplicaSet", "r", controller=True)],
        ("ReplicaSet", "shop", "r"): [OwnerRef("Pod", "p", controller=True)],
    })
    owner = OwnerResolver(lookup).resolve("Pod", "shop", "p")
    assert owner == Owner("ReplicaSet", "shop", "r", BY_OWNER_REFERENCES)


def test_a_mirror_pod_owned_by_its_node() -> None:
    node = "ip-10-0-3-17.eu-west-1.compute.internal"
    lookup, _ = lookup_of({("Pod", "kube-system", f"kube-proxy-{node}"): [
        OwnerRef("Node", node, "v1", controller=True)]})
    owner = OwnerResolver(lookup).resolve("Pod", "kube-system", f"kube-proxy-{node}")
    assert owner == Owner("Node", "", node, BY_OWNER_REFERENCES)


def test_a_controller_seen_in_events_lets_its_pods_be_named() -> None:
    resolver = OwnerResolver()
    assert resolver.resolve("Pod", "kube-system", "ebs-csi-node-7xk2p").resolved_by == BY_SELF
    daemonset = from_core_v1({
        "metadata": {"namespace": "kube-system", "name": "ebs-csi-node.1", "uid": "1"},
        "involvedObject": {"kind": "DaemonSet", "name": "ebs-csi-node",
                           "namespace": "kube-system"},
        "reason": "SuccessfulCreate", "message": "Created pod: ebs-csi-node-7xk2p",
    })
    assert resolver.learn([daemonset]) is True
    assert resolver.learn([daemonset]) is False  # nothing new the second time
    assert resolver.resolve("Pod", "kube-system", "ebs-csi-node-7xk2p") == Owner(
        "DaemonSet", "kube-system", "ebs-csi-node", BY_NAME)
    # a Job seen: its Pods too, and no further (not a CronJob's name)
    resolver.learn_objects([object_ref("Job", "migrate-1", "shop")])
    assert resolver.resolve("Pod", "shop", "migrate-1-bq9vz") == Owner(
        "Job", "shop", "migrate-1", BY_NAME)
    # the same name in another namespace is another DaemonSet
    assert resolver.resolve("Pod", "shop", "ebs-csi-node-7xk2p").resolved_by == BY_SELF


def exporter_doc(name: str, owners: list[dict[str, object]] | None) -> Event:
    involved: dict[str, object] = {"kind": "Pod", "namespace": "catalog", "name": name,
                                   "uid": f"uid-{name}"}
    if owners is not None:
        involved["ownerReferences"] = owners
    return from_exporter({
        "metadata": {"namespace": "catalog", "name": f"{name}.1", "uid": f"e-{name}"},
        "involvedObject": involved, "reason": "Killing", "type": "Normal",
        "message": "Stopping container mysql", "clusterName": "eks",
    })


def test_exporter_documents_carry_owner_references() -> None:
    statefulset = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "catalog-mysql",
                    "uid": "5b7c", "controller": True, "blockOwnerDeletion": True}]
    event = exporter_doc("catalog-mysql-0", statefulset)
    assert event.object.owners == (
        OwnerRef("StatefulSet", "catalog-mysql", "apps/v1", "5b7c", controller=True),)
    assert owner_of(event) == Owner("StatefulSet", "catalog", "catalog-mysql",
                                    BY_OWNER_REFERENCES)
    # what a resolver learned from one event serves the object's other events
    resolver = OwnerResolver()
    resolver.learn([event])
    bare = exporter_doc("catalog-mysql-0", None)
    assert bare.object.owners is None
    assert resolver.resolve_event(bare).kind == "StatefulSet"
    # odd entries are skipped, never raised on
    odd = exporter_doc("p", [None, {"kind": "ReplicaSet"}, "x", {"kind": "Job", "name": "j"}])
    assert odd.object.owners == (OwnerRef("Job", "j"),)
    assert exporter_doc("q", "nonsense").object.owners is None  # type: ignore[arg-type]


def test_events_of_one_object_share_one_reference() -> None:
    def core(uid: str, path: str = "spec.containers{web}") -> Event:
        return from_core_v1({
            "metadata": {"namespace": "shop", "name": f"web.{uid}", "uid": uid},
            "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-0",
                               "uid": "pod-uid", "fieldPath": path},
        })

    assert core("1").object is core("2").object
    # another container of the same Pod: another reference (grouping merges them)
    sidecar = core("3", "spec.containers{sidecar}").object
    assert sidecar is not core("4").object and sidecar.name == "web-0"


def test_forgetting_drops_only_the_answers_that_consulted_what_changed() -> None:
    table: dict[tuple[str, str, str], list[OwnerRef]] = {}
    lookup, calls = lookup_of(table)
    resolver = OwnerResolver(lookup)
    web = ("Pod", "shop", "web-5f8b9c7d6-x2x9k")
    agent = ("Pod", "shop", "ebs-csi-node-7xk2p")
    assert resolver.resolve(*web).kind == "Deployment"
    assert resolver.resolve(*agent).kind == "Pod"
    # the DaemonSet shows up in events: only the Pod whose name could be its answer again
    resolver.learn_objects([object_ref("DaemonSet", "ebs-csi-node", "shop")])
    assert resolver.invalidated == 1
    calls.clear()
    assert resolver.resolve(*agent) == Owner("DaemonSet", "shop", "ebs-csi-node", BY_NAME)
    assert resolver.resolve(*web).kind == "Deployment"
    assert agent in calls and web not in calls  # web's answer was kept
    # the live reader read the ReplicaSet's references: the Pod above it is worked out again
    table[("ReplicaSet", "shop", "web-5f8b9c7d6")] = [
        OwnerRef("Deployment", "web-v2", controller=True)]
    assert resolver.forget([("ReplicaSet", "shop", "web-5f8b9c7d6")]) == 1
    assert resolver.resolve(*web) == Owner("Deployment", "shop", "web-v2", BY_NAME)
    assert resolver.forget([("Pod", "elsewhere", "x")]) == 0
    assert resolver.forget() == 2  # everything
