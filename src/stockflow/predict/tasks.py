"""The predict context's scheduled jobs: features hourly, training weekly, batch predictions
daily after the US close (22:30 UTC, Monday to Friday; crypto trades on, but its daily bar is
also closed by then). Schedules can be overridden with `jobs.schedules`."""

from __future__ import annotations

from stockflow.core.jobs import JobSpec
from stockflow.predict.lifecycle import Lifecycle


def jobs(lifecycle: Lifecycle) -> list[JobSpec]:
    return [
        JobSpec("predict-features", "15 * * * *",
                "the latest bar's anomaly features per ticker, cached", lifecycle.features),
        JobSpec("predict-training", "0 3 * * 6",
                "rolling-origin backtests and ensemble weights registered per ticker",
                lifecycle.train),
        JobSpec("predict-batch", "30 22 * * 1-5",
                "price and volatility predictions for the universe: stored, cached, published;"
                " VaR thresholds and anomalies checked", lifecycle.batch),
    ]
