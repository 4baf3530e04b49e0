"""Pipeline metrics, registered in the container's registry beside the core ones."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

BATCH_BUCKETS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000)


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.ticks = Counter("stockflow_pipeline_ticks", "Ticks through each stage",
                             ["stage"], registry=registry)
        self.batch_size = Histogram("stockflow_pipeline_batch_size", "Ticks per batch per stage",
                                    ["stage"], buckets=BATCH_BUCKETS, registry=registry)
        self.rejected = Counter("stockflow_pipeline_rejected",
                                "Ticks sent to the dead-letter topic, by reason", ["reason"],
                                registry=registry)
        self.duplicates = Counter("stockflow_pipeline_duplicates",
                                  "Ticks seen again (replays, redeliveries) and not re-applied",
                                  ["stage"], registry=registry)
        self.bars = Counter("stockflow_pipeline_bars_closed", "Bars closed by the processor",
                            ["interval"], registry=registry)
