"""ktui: Kubernetes events in the terminal, live and from OpenSearch history."""

__version__ = "0.1.0"
