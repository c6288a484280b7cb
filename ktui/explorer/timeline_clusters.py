"""Which OpenSearch documents are a context's, as ``ktui events`` decides it.

An exporter's documents carry a ``clusterName``. With one context, the documents are
filtered by it only when ``[clusters]`` in settings.toml names one for that context
(without it, the index is taken to be that context's). With several, each context's
cluster name is ``[clusters]``'s, else the kubeconfig's name for its cluster, else the
context's own; the documents of those clusters are read, each labelled with its context
(and a ``ctx:`` filter names contexts, so it is translated to their cluster names).
No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from ktui.model.contexts import split_contexts
from ktui.model.event import Event
from ktui.model.query import Query, Term


class ClusterNames:
    """``[clusters]`` and the kubeconfig's cluster names, applied to history queries."""

    def __init__(self, clusters: Mapping[str, str] | None = None,
                 kubeconfig_name: Callable[[str], str] | None = None) -> None:
        self.clusters: Mapping[str, str] = clusters or {}
        self.kubeconfig_name = kubeconfig_name
        self._by_cluster: tuple[tuple[str, ...], dict[str, str]] = ((), {})

    def by_cluster(self, contexts: tuple[str, ...]) -> dict[str, str]:
        """Cluster name -> context, for several contexts (the kubeconfig read once per set)."""
        if self._by_cluster[0] != contexts:
            lookup = self.kubeconfig_name
            names = {(self.clusters.get(c) or (lookup(c) if lookup else "") or c): c
                     for c in contexts}
            self._by_cluster = (contexts, names)
        return self._by_cluster[1]

    def query(self, query: Query, context: str) -> Query:
        """``query`` for OpenSearch, for the context (or ``a,b`` contexts) shown."""
        contexts = tuple(split_contexts(context))
        if len(contexts) > 1:
            by_cluster = self.by_cluster(contexts)
            to_cluster = {c: cluster for cluster, c in by_cluster.items()}
            terms = tuple(
                replace(t, values=tuple(to_cluster.get(v, v) for v in t.values))
                if t.field == "context" and t.op == ":" else t
                for t in query.terms
            )
            return replace(query, terms=(*terms, Term("context", ":", tuple(by_cluster))))
        cluster = self.clusters.get(context)
        if not cluster:
            return query
        return replace(query, terms=(*query.terms, Term("context", ":", (cluster,))))

    def relabel(self, events: list[Event], context: str) -> list[Event]:
        """With several contexts, each document labelled with its context's name."""
        contexts = tuple(split_contexts(context))
        if len(contexts) < 2:
            return events
        by_cluster = self.by_cluster(contexts)
        return [replace(e, context=by_cluster[e.context])
                if e.context in by_cluster and e.context != by_cluster[e.context] else e
                for e in events]
