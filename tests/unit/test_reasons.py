"""What a reason means: reasons.toml, matched and filled in with the event's own names."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from ktui.model.event import Event, from_core_v1
from ktui.model.reasons import ReasonsError, explain, explanations, parse
from ktui.sim.events.hostile import HOSTILE_TEXT

ROOT = Path(__file__).resolve().parents[2]
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NODE = "ip-10-42-11-201.us-west-2.compute.internal"


def event(reason: str, message: str = "", *, kind: str = "Pod", name: str = "web-0",
          ns: str = "shop", host: str = NODE, field_path: str = "") -> Event:
    return from_core_v1({
        "metadata": {"namespace": ns, "name": f"{name}.1", "uid": f"{reason}-{name}"},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns,
                           "fieldPath": field_path},
        "reason": reason, "message": message, "type": "Warning",
        "source": {"component": "kubelet", "host": host},
    })


WRONG_IMAGE = ('Failed to pull image "wrong-image": rpc error: code = Unknown desc = failed '
               'to pull and unpack image "docker.io/library/wrong-image:latest"')
# Every reason issue 12 names, with a message as the component that reports it writes it,
# and words its explanation must say.
LISTED = [
    (event("FailedMount", 'MountVolume.SetUp failed for volume "secret-volume" : secret '
           '"misspelt-secret-name" not found', name="scenario-a-5f8b9c7d6-x2x9k", ns="test"),
     "Secret", "kubectl get secret,configmap,pvc -n test"),
    (event("FailedAttachVolume", 'Multi-Attach error for volume "pvc-1f0c" Volume is already '
           "exclusively attached to one node and can't be attached to another",
           name="payments-db-0", ns="payments"),
     "ReadWriteOnce", "kubectl get volumeattachments -o wide"),
    (event("FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.",
           name="scenario-c-6d988b8d84-gghjv", ns="test", host=""),
     "Insufficient cpu", "kubectl describe pod scenario-c-6d988b8d84-gghjv -n test"),
    (event("ErrImagePull", "rpc error: code = NotFound"),
     "pull", "kubectl get pod web-0 -n shop -o jsonpath='{.spec.containers[*].image}'"),
    (event("ImagePullBackOff", 'Back-off pulling image "wrong-image"'),
     "five minutes", "kubectl get pod web-0 -n shop -o jsonpath='{.spec.containers[*].image}'"),
    (event("Failed", WRONG_IMAGE, name="scenario-b-cff56c84-xn9hh", ns="test"),
     "imagePullSecrets",
     "kubectl get pod scenario-b-cff56c84-xn9hh -n test -o jsonpath='{.spec.containers[*].image}'"),
    (event("Failed", "Error: ImagePullBackOff"), "image",
     "kubectl get pod web-0 -n shop -o jsonpath='{.spec.containers[*].image}'"),
    (event("BackOff", "Back-off restarting failed container",
           field_path="spec.containers{container2}"),
     "CrashLoopBackOff", "kubectl logs web-0 -n shop -c container2 --previous"),
    (event("CrashLoopBackOff", "back-off 5m0s restarting failed container"),
     "restarts", "kubectl logs web-0 -n shop --all-containers --previous"),
    (event("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
     "endpoints", "kubectl describe pod web-0 -n shop"),
    (event("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"),
     "restarts", "kubectl describe pod web-0 -n shop"),
    (event("Killing", "Stopping container payments-api"),
     "stopping", "kubectl get events -n shop --field-selector involvedObject.name=web-0"),
    (event("OOMKilling", "Out of memory: Killed process 2436 (java)", kind="Node",
           name=NODE, ns="default", host=""),
     "out-of-memory", f"kubectl describe node {NODE}"),
    (event("Evicted", "The node was low on resource: ephemeral-storage."),
     "ephemeral-storage", "kubectl describe pod web-0 -n shop"),
    (event("FailedCreatePodSandBox", "Failed to create pod sandbox: plugin type=aws-cni "
           "failed (add): add cmd: failed to assign an IP address to container"),
     "IP addresses",
     f"kubectl get pods -n kube-system -o wide --field-selector spec.nodeName={NODE}"),
    (event("NodeNotReady", f"Node {NODE} status is now: NodeNotReady", kind="Node", name=NODE,
           ns="default", host=""),
     "NotReady", f"kubectl describe node {NODE}"),
    (event("FreeDiskSpaceFailed", "Failed to garbage collect required amount of images.",
           kind="Node", name=NODE, ns="default"),
     "DiskPressure", f"kubectl describe node {NODE}"),
    (event("EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", kind="Node",
           name=NODE, ns="default"),
     "eviction threshold", f"kubectl describe node {NODE}"),
    (event("FailedCreate", 'Error creating: pods "web-5f8b9c7d6-" is forbidden: exceeded '
           "quota: compute", kind="ReplicaSet", name="web-5f8b9c7d6"),
     "ResourceQuota", "kubectl describe replicaset web-5f8b9c7d6 -n shop"),
    (event("FailedKillPod", "error killing pod: failed to \"KillPodSandbox\""),
     "Terminating", "kubectl get pod web-0 -n shop -o wide"),
    (event("NetworkNotReady", "network is not ready: container runtime network not ready"),
     "network plugin",
     f"kubectl get pods -n kube-system -o wide --field-selector spec.nodeName={NODE}"),
    (event("ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found',
           kind="PersistentVolumeClaim", name="data-web-0"),
     "StorageClass", "kubectl describe pvc data-web-0 -n shop"),
    (event("FailedGetScale", 'deployments/scale.apps "orders" not found',
           kind="HorizontalPodAutoscaler", name="orders"),
     "scaleTargetRef", "kubectl describe hpa orders -n shop"),
]


@pytest.mark.parametrize(("ev", "word", "command"), LISTED,
                         ids=[f"{e.reason}-{i}" for i, (e, _, _) in enumerate(LISTED)])
def test_every_listed_reason_is_explained(ev: Event, word: str, command: str) -> None:
    lines = explain(ev)
    assert lines is not None and len(lines) == 3
    meaning, check, run = lines
    assert word.lower() in (meaning + " " + check).lower()
    assert run == f"$ {command}"
    assert not any(UNSAFE.search(line) for line in lines)


def test_the_variants_of_one_reason() -> None:
    pull = explain(event("BackOff", 'Back-off pulling image "wrong-image"'))
    crash = explain(event("BackOff", "Back-off restarting failed container"))
    assert pull is not None and crash is not None
    assert "ImagePullBackOff" in pull[0] and "CrashLoopBackOff" in crash[0]
    config = explain(event("Failed", "Error: CreateContainerConfigError"))
    assert config is not None and "ConfigMap" in config[0]
    other = explain(event("Failed", "Error: failed to start container"))
    assert other is not None and "create or start" in other[0]
    startup = explain(event("Unhealthy", "Startup probe failed: connection refused"))
    assert startup is not None and "started in time" in startup[0]
    # NodeNotReady about a Pod (the node-controller's) is not about a Node object
    pod = explain(event("NodeNotReady", "Node is not ready", name="payments-db-0", host=""))
    assert pod is not None and pod[2] == "$ kubectl get pod payments-db-0 -n shop -o wide"
    # a node that is not known stays a visible placeholder
    sandbox = explain(event("FailedCreatePodSandBox", "failed", host=""))
    assert sandbox is not None and sandbox[2].endswith("spec.nodeName=<node>")


def test_other_reasons_have_no_explanation() -> None:
    assert explain(event("Scheduled", "Successfully assigned")) is None
    assert explain(event("", "")) is None
    assert explain(event("failedmount", "")) is None  # reasons are CamelCase, exactly


@pytest.mark.parametrize("text", list(HOSTILE_TEXT.values()), ids=list(HOSTILE_TEXT))
def test_hostile_names_are_quoted_and_inert(text: str) -> None:
    lines = explain(event("FailedMount", text, name=text, ns=text))
    assert lines is not None
    run = lines[2]
    assert not UNSAFE.search(run)  # no control, no bidi override, no newline
    words = shlex.split(run[2:])  # still one word each: quoted as a whole
    assert words[:3] == ["kubectl", "get", "secret,configmap,pvc"]
    assert len(words) == 5 and words[3] == "-n"


def test_a_shell_metacharacter_cannot_escape_its_quotes() -> None:
    lines = explain(event("Evicted", "", name="x; rm -rf ~", ns="$(reboot)"))
    assert lines is not None
    assert shlex.split(lines[2][2:]) == [
        "kubectl", "describe", "pod", "x; rm -rf ~", "-n", "$(reboot)"]


def test_the_data_file_loads_and_every_entry_is_usable() -> None:
    entries = explanations()
    assert len(entries) >= 25
    listed = {"FailedMount", "FailedAttachVolume", "FailedScheduling", "ErrImagePull",
              "ImagePullBackOff", "Failed", "BackOff", "CrashLoopBackOff", "Unhealthy",
              "Killing", "OOMKilling", "Evicted", "FailedCreatePodSandBox", "NodeNotReady",
              "FreeDiskSpaceFailed", "EvictionThresholdMet", "FailedCreate", "FailedKillPod",
              "NetworkNotReady", "ProvisioningFailed", "FailedGetScale"}
    assert listed <= {entry.reason for entry in entries}
    for entry in entries:
        assert entry.command.startswith("kubectl ")
        assert len(entry.meaning) <= 260 and len(entry.check) <= 200, entry.reason
    # every entry is reachable: no general entry of a reason before a narrower one
    for index, entry in enumerate(entries):
        earlier = [e for e in entries[:index] if e.reason == entry.reason]
        assert all(e.message is not None or e.kind for e in earlier), entry.reason


def test_the_data_file_ships_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "model/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["ktui"]


@pytest.mark.parametrize(("text", "problem"), [
    ("[[reason]]\nreason = 'X'\nmeaning = 'm'\ncheck = 'c'\n", "'command'"),
    ("[[reason]]\nreason = 'X'\nmeaning = 'm'\ncheck = 'c'\ncommand = 'kubectl {pod}'\n",
     "unknown placeholder {pod}"),
    ("[[reason]]\nreason = 'X'\nmeaning = 'm'\ncheck = 'c'\ncommand = 'k'\nmessage = '('\n",
     "bad message pattern"),
    ("[[reason]]\nreason = 'X'\nmeaning = 'm'\ncheck = 'c'\ncommand = 'k'\ncolour = 1\n",
     "unknown keys"),
    ("reason = [", "reasons.toml"),
])
def test_a_malformed_data_file_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ReasonsError, match=problem.replace("{", r"\{").replace("(", r"\(")):
        parse(text)
