"""The kubeconfig as a catalog of contexts, each one a live source on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the source contract loads with the first source: after the first paint
    from ktui.feeds.contract import EventSource


class KubeCatalog:
    """Contexts of a kubeconfig (``None``: $KUBECONFIG or ~/.kube/config, as kubectl)."""

    def __init__(self, kubeconfig: str | None = None) -> None:
        self.kubeconfig = kubeconfig

    def contexts(self) -> tuple[list[str], str | None]:
        from ktui.kube.kubeconfig import list_contexts

        infos, current = list_contexts(self.kubeconfig)
        return [info.name for info in infos], current

    def live(self, context: str, namespaces: list[str] | None) -> EventSource:
        from ktui.kube.source import KubeSource  # the client import happens in a thread

        return KubeSource(kubeconfig=self.kubeconfig, context=context, namespaces=namespaces)

    def cluster_name(self, context: str) -> str:
        """The kubeconfig's cluster name for ``context`` ("" when it has none): what an
        exporter's documents carry as ``clusterName`` unless ``[clusters]`` says else."""
        from ktui.feeds.errors import SourceError
        from ktui.kube.kubeconfig import load, resolve

        try:
            return resolve(load(self.kubeconfig), context).cluster_name
        except SourceError:
            return ""
