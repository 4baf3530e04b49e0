"""bench/predict_hourly: does the gradient-boosted model forecast better with hourly features?

Out of sample, on the simulated market: for each ticker, the daily bars and the hourly bars of
the same sessions (the simulator makes both from one minute-level path), a rolling-origin
backtest in which LightGBM is fitted at every origin on the bars up to that origin only, once
on the daily features alone and once with the hourly ones added (`predict/intraday.py`).
Scores: MASE against the naive forecast over the same origins (below 1 beats the random walk),
and the 80 % / 95 % interval coverage. Run: .venv/bin/python bench/predict_hourly.py
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, date, datetime

import numpy as np

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.market.calendar import MarketCalendars
from stockflow.predict import backtest as bt
from stockflow.predict.gbm import GbmForecaster
from stockflow.predict.intraday import HourlyColumns, session_rows
from stockflow.predict.models import statsforecast_models
from stockflow.predict.series import make_series

TICKERS = ("AAPL", "MSFT", "NVDA", "JPM", "XOM", "KO", "TSLA", "WMT")
START, END = date(2023, 1, 1), date(2024, 12, 1)


def data(model: PriceModel, ticker: str):
    d = model.daily(ticker, START, END)
    s = make_series(d.close, dates=d.time.astype("datetime64[s]"), open=d.open, high=d.high,
                    low=d.low, volume=d.volume)
    t0 = datetime(START.year, START.month, START.day, tzinfo=UTC).timestamp()
    t1 = datetime(END.year, END.month, END.day, tzinfo=UTC).timestamp()
    h = model.intraday(ticker, t0, t1, 60)
    return s, HourlyColumns(session_rows(h.time, h.open, h.close))


def main(origins: int, step: int) -> None:
    model = PriceModel(42, MarketCalendars(end=date(2024, 12, 31)))
    naive = statsforecast_models()[0]
    rows = []
    print("| ticker | bars | MASE daily-only | MASE with hourly | cov80 daily / hourly | "
          "cov95 daily / hourly |\n|---|---:|---:|---:|---:|---:|")
    for ticker in TICKERS:
        s, hourly = data(model, ticker)
        plain, rich = GbmForecaster(), GbmForecaster(extra=hourly)
        cuts = bt.Origins.plan(len(s), 7, origins, step, plain.min_obs)
        base = bt.run(naive, s, cuts)
        a, b = bt.score(bt.run(plain, s, cuts), base), bt.score(bt.run(rich, s, cuts), base)
        rows.append((a, b))
        print(f"| {ticker} | {len(s)} | {a['mase']:.3f} | {b['mase']:.3f} | "
              f"{a['coverage_80']:.2f} / {b['coverage_80']:.2f} | "
              f"{a['coverage_95']:.2f} / {b['coverage_95']:.2f} |")
    ma = [a["mase"] for a, _ in rows]
    mb = [b["mase"] for _, b in rows]
    better = sum(y < x for x, y in zip(ma, mb, strict=True))
    print(f"\nmean MASE daily-only {statistics.fmean(ma):.3f}, with hourly "
          f"{statistics.fmean(mb):.3f}; hourly better on {better} of {len(rows)} tickers; "
          f"{origins} origins {step} bars apart, 7 days ahead, out of sample")
    print(f"median paired difference (hourly - daily) "
          f"{float(np.median(np.array(mb) - np.array(ma))):+.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=30)
    parser.add_argument("--step", type=int, default=5)
    args = parser.parse_args()
    main(args.origins, args.step)
