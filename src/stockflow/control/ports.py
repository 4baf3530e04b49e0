"""The controller's ports: the cluster it restarts, the snapshot source and the alert sink of
the health chain (Kubernetes, Kubesnap, the Event Dispatcher: adapters/ops/)."""

from stockflow.control.domain import AlertSink, Cluster, SnapshotSource

__all__ = ["AlertSink", "Cluster", "SnapshotSource"]
