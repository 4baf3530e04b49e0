"""GARCH(1,1)-t against EWMA and a constant on the simulated market, whose variance is known.

Fitted on 2015–2019, scored 2020–2024 against the simulator's true daily variance h_t.
Run: python bench/predict_volatility.py [TICKER ...]
"""

from __future__ import annotations

import sys

from stockflow.predict.volatility import tracking
from stockflow.testing.simulated_truth import returns_and_variance


def main(tickers: list[str]) -> None:
    print(f"{'ticker':10} {'model':9} {'rmse(var)':>11} {'qlike':>8} {'vs const qlike':>15}")
    for t in tickers:
        r, h = returns_and_variance(t)
        out = tracking(r, h, train=len(r) // 2)
        const = out["scores"]["constant"]["qlike"]
        for name, s in out["scores"].items():
            print(f"{t:10} {name:9} {s['rmse']:11.3e} {s['qlike']:8.4f} "
                  f"{s['qlike'] / const:15.2f}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["AAPL", "JPM", "KO", "RELIANCE", "SPY"])
