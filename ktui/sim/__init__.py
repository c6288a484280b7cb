"""A Kubernetes API simulator for events: real HTTP on loopback, list/watch semantics,
RBAC, fault injection and scenarios with real event messages. Standard library only.

Quick start::

    from ktui.sim import SimCluster, Grant, write_kubeconfig

    with SimCluster(name="demo", scenario="demo",
                    tokens={"admin-token": Grant.all(),
                            "ns-token": Grant(namespaces={"test"}, groups={""})}) as c:
        write_kubeconfig(tmp / "kubeconfig", [c])      # KUBECONFIG=... kubectl get ev -A
        ev = c.emit("test", "BackOff", "Back-off restarting failed container", "Warning",
                    name="web-1")                       # ADDED
        c.repeat(ev["metadata"]["uid"])                 # MODIFIED (count / series)
        c.expire(ev["metadata"]["uid"])                 # DELETED
        c.faults.drop_watch_after(3)                    # and friends, see apiserver/faults.py

What is served (``apiserver/server.py``, ``apiserver/watch.py``): discovery for kubectl
1.27-1.33; core/v1 and events.k8s.io/v1 ``events`` (list with limit/continue on one
snapshot, get, watch with bookmarks, timeoutSeconds, 410 replay rules, fieldSelector);
kubectl's Table output; SelfSubjectAccessReview/RulesReview; a namespace list for
admins. Every error is a ``kind: Status`` body. It serves HTTPS (a fixed loopback test
CA, embedded in the kubeconfig) unless ``tls=False``: kubectl and ktui send credentials
only over TLS.

Layout (arrows point down; no module imports one above it):

- ``cluster`` (SimCluster, demo_clusters): composes the API server and the events.
- ``events/``: what happens in a cluster. ``build`` (event objects), ``generate`` (bulk and
  storms), ``scenarios``, ``hostile``; written against ``events.protocol.Cluster``, the
  part of SimCluster they use, never against SimCluster itself (they use apiserver's
  store and convert).
- ``apiserver/``: the API server. ``server`` (HTTP, list/get) -> ``watch`` -> ``tables``
  (Table, PartialObjectMetadata), ``backend``, ``paging`` (continue tokens),
  ``selectors``, ``store`` (versions, change log, snapshots), ``convert`` (API
  conversion, times), ``auth`` (Grant, Status bodies), ``faults``, ``discovery``, ``tls``;
  ``kubeconfig``.
- ``exporter``: kubernetes-event-exporter documents for OpenSearch (the tests' oracle
  for them lives in tests/opensearch/oracle.py).

ktui.sim imports nothing of ktui but ktui.model.
"""

from ktui.sim.apiserver.auth import Grant
from ktui.sim.apiserver.kubeconfig import kubeconfig_text, write_kubeconfig
from ktui.sim.cluster import SimCluster, demo_clusters
from ktui.sim.events.scenarios import SCENARIOS

__all__ = ["SCENARIOS", "Grant", "SimCluster", "demo_clusters", "kubeconfig_text",
           "write_kubeconfig"]
