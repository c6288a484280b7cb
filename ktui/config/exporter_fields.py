"""The fields of a kubernetes-event-exporter document, by the names ktui gives them.

One table for both sides of the ``[opensearch.fields]`` setting: :mod:`ktui.config`
accepts exactly these names there, and :mod:`ktui.opensearch.mapping` reads each field at
its path here unless the setting moves it (an exporter ``layout``).
"""

from __future__ import annotations

__all__ = ["FIELD_PATHS"]

# Canonical name → path in an EnhancedEvent document (``json.Marshal`` without layout).
FIELD_PATHS: dict[str, str] = {
    "type": "type",
    "namespace": "metadata.namespace",
    "event_name": "metadata.name",
    "uid": "metadata.uid",
    "reason": "reason",
    "message": "message",
    "kind": "involvedObject.kind",
    "name": "involvedObject.name",
    "object_namespace": "involvedObject.namespace",
    "object_uid": "involvedObject.uid",
    "source_component": "source.component",
    "host": "source.host",
    "reporting_component": "reportingComponent",
    "reporting_instance": "reportingInstance",
    "action": "action",
    "cluster": "clusterName",
    "count": "count",
    "series_count": "series.count",
    "series_last_observed": "series.lastObservedTime",
    "last_timestamp": "lastTimestamp",
    "event_time": "eventTime",
    "first_timestamp": "firstTimestamp",
    "creation_timestamp": "metadata.creationTimestamp",
}
