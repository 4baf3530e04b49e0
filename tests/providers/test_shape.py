"""Every provider package has the same shape and satisfies the MarketDataProvider port."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from stockflow.market.ports import MarketDataProvider

ROOT = Path(importlib.import_module("stockflow.adapters.providers").__file__).parent
PROVIDERS = {
    "_template": "TemplateProvider", "coingecko": "CoinGeckoProvider",
    "polygon": "PolygonProvider", "yahoo": "YahooProvider",
    "alphavantage": "AlphaVantageProvider", "binance": "BinanceProvider", "dhan": "DhanProvider",
}
SECRET = "shape-test-secret-value"


@pytest.mark.parametrize("package", sorted(PROVIDERS))
async def test_package_shape_and_port(package):
    for f in ("__init__.py", "provider.py", "parse.py"):
        assert (ROOT / package / f).is_file()
    mod = importlib.import_module(f"stockflow.adapters.providers.{package}")
    cls = getattr(mod, PROVIDERS[package])
    p = cls(SECRET)
    assert isinstance(p, MarketDataProvider)
    assert p._http is None  # no client until the first call
    assert SECRET not in repr(p) and SECRET not in str(vars(p))
    assert isinstance(p.supports("AAPL"), bool)
    assert callable(mod.make_provider)
    await p.aclose()
