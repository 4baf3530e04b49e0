"""Anomaly detection on daily bars: Isolation Forest over return, range, gap and volume
features, beside robust z-scores (median and MAD) that say which feature was unusual.

The forest is fitted on the history and scores each bar, including a live one; a bar is
reported when the forest puts it in the `contamination` share of most isolated bars or any
feature's robust z-score exceeds the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stockflow.predict.series import DailySeries, too_few

FEATURES = ("return", "range", "gap", "volume")
VOLUME_WINDOW = 20
MIN_BARS = 60
MAD_TO_SD = 1.4826           # MAD of a normal sample × this = its standard deviation


def features(s: DailySeries) -> np.ndarray:
    """Rows for bars 1..n−1 (each needs the previous close): log return, log(high/low),
    log(open/previous close), log volume over the median of the previous 20 bars' volumes."""
    c, lv = s.close, np.log1p(s.volume)
    ret = np.diff(np.log(c))
    rng = np.log(s.high[1:] / s.low[1:])
    gap = np.log(s.open[1:] / c[:-1])
    base = np.array([np.median(lv[max(0, t - VOLUME_WINDOW):t]) for t in range(1, len(lv))])
    return np.column_stack([ret, rng, gap, lv[1:] - base])


def _robust_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0) * MAD_TO_SD
    # A feature with MAD 0 (most bars identical) falls back to the mean absolute deviation,
    # and to 1 when it never varies, so every z-score stays finite.
    mean_ad = np.mean(np.abs(x - med), axis=0) * 1.2533
    scale = np.where(mad > 0, mad, np.where(mean_ad > 0, mean_ad, 1.0))
    return med, scale


@dataclass(frozen=True, slots=True)
class AnomalyModel:
    forest: object
    median: np.ndarray
    scale: np.ndarray
    threshold: float         # forest scores below this are in the most isolated share
    z_threshold: float

    def robust_z(self, x: np.ndarray) -> np.ndarray:
        return (x - self.median) / self.scale

    def score(self, x: np.ndarray) -> np.ndarray:
        """Higher is more anomalous (the negated score_samples of scikit-learn)."""
        return -self.forest.score_samples(self.robust_z(x))  # type: ignore[attr-defined]


def fit(s: DailySeries, contamination: float = 0.01, z_threshold: float = 5.0,
        seed: int = 0) -> AnomalyModel:
    from sklearn.ensemble import IsolationForest

    if len(s) < MIN_BARS:
        raise too_few("anomaly detection", MIN_BARS, len(s))
    x = features(s)
    med, scale = _robust_scale(x)
    forest = IsolationForest(n_estimators=200, random_state=seed, n_jobs=1)
    forest.fit((x - med) / scale)
    scores = -forest.score_samples((x - med) / scale)
    return AnomalyModel(forest, med, scale, float(np.quantile(scores, 1 - contamination)),
                        z_threshold)


def _row(model: AnomalyModel, x: np.ndarray, score: float, date: np.datetime64) -> dict | None:
    z = model.robust_z(x)
    reasons = [f"{name} z={v:+.1f}" for name, v in zip(FEATURES, z, strict=True)
               if abs(v) > model.z_threshold]
    if score > model.threshold:
        reasons.insert(0, "isolation forest")
    if not reasons:
        return None
    return {"date": str(date), "score": float(score), "reasons": reasons,
            "features": dict(zip(FEATURES, x.tolist(), strict=True)),
            "robust_z": dict(zip(FEATURES, z.tolist(), strict=True))}


def detect(s: DailySeries, contamination: float = 0.01, z_threshold: float = 5.0) -> dict:
    """Every anomalous bar of the history, most anomalous first."""
    model = fit(s, contamination, z_threshold)
    x = features(s)
    scores = model.score(x)
    rows = [r for i in range(len(x))
            if (r := _row(model, x[i], float(scores[i]), s.dates[i + 1])) is not None]
    rows.sort(key=lambda r: -r["score"])
    return {"anomalies": rows, "bars": len(s), "contamination": contamination,
            "z_threshold": z_threshold, "features": list(FEATURES)}


def score_latest(history: DailySeries, latest: DailySeries, contamination: float = 0.01,
                 z_threshold: float = 5.0) -> dict | None:
    """Score the bars of `latest` (which follow `history`) with a model fitted on `history`."""
    model = fit(history, contamination, z_threshold)
    joined = DailySeries(*(np.concatenate([getattr(history, f), getattr(latest, f)])
                           for f in DailySeries.__slots__))
    x = features(joined)[-len(latest):]
    scores = model.score(x)
    rows = [_row(model, x[i], float(scores[i]), latest.dates[i]) for i in range(len(x))]
    found = [r for r in rows if r is not None]
    return found[-1] if found else None


def latest_features(s: DailySeries) -> dict:
    """The newest bar's features and their robust z-scores against the whole history."""
    x = features(s)
    med, scale = _robust_scale(x)
    return {"date": str(s.dates[-1]), "features": dict(zip(FEATURES, x[-1].tolist(),
                                                           strict=True)),
            "robust_z": dict(zip(FEATURES, ((x[-1] - med) / scale).tolist(), strict=True))}


def check_bar(history: DailySeries, bar: DailySeries, contamination: float = 0.01,
              z_threshold: float = 5.0) -> dict | None:
    """A just-closed bar scored against the bars before it; history must end before it."""
    history = history.window(0, int(np.searchsorted(history.dates, bar.dates[0])))
    if len(history) < MIN_BARS:
        raise too_few("anomaly detection", MIN_BARS, len(history))
    return score_latest(history, bar, contamination, z_threshold)
