"""Which OpenSearch documents are the shown contexts' (ktui.explorer.timeline_clusters):
the rule ``ktui events`` follows, for the TUI's history and merged window."""

from __future__ import annotations

from ktui.explorer.timeline_clusters import ClusterNames
from ktui.model.event import Event
from ktui.model.query import Term, parse_query


def kubeconfig_names(context: str) -> str:
    return {"east": "arn:east", "west": ""}.get(context, "")


def test_one_context_is_filtered_only_when_clusters_names_it() -> None:
    names = ClusterNames({"east": "eks-east"}, kubeconfig_names)
    query = parse_query("reason:BackOff")
    assert names.query(query, "west") == query  # no [clusters] entry: every document
    assert names.query(query, "east").terms == (*query.terms, Term("context", ":", ("eks-east",)))


def test_several_contexts_read_their_cluster_names_and_translate_ctx_filters() -> None:
    names = ClusterNames({"east": "eks-east"}, kubeconfig_names)
    query = names.query(parse_query("ctx:east -ctx:west"), "east,west,north")
    # [clusters], else the kubeconfig's name, else the context's own
    assert query.terms[-1] == Term("context", ":", ("eks-east", "west", "north"))
    assert query.terms[0] == Term("context", ":", ("eks-east",))
    assert query.terms[1] == Term("context", ":", ("west",), negated=True)


def test_documents_are_labelled_with_their_context_only_with_several() -> None:
    names = ClusterNames({"east": "eks-east"})
    events = [Event(uid="a", context="eks-east"), Event(uid="b", context="west"),
              Event(uid="c", context="other")]
    assert [e.context for e in names.relabel(events, "east,west")] == ["east", "west", "other"]
    assert names.relabel(events, "east") is events
