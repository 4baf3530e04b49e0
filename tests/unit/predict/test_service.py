"""The predict use cases over an in-memory history of simulated-market bars."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stockflow.core.problems import Problem
from stockflow.predict import batch
from stockflow.predict.config import PredictSettings
from stockflow.predict.gbm import GbmForecaster
from stockflow.predict.ports import InMemoryObjectStore, InMemoryPredictions
from stockflow.predict.registry import ModelRegistry
from stockflow.predict.service import PredictService
from stockflow.testing.fakes import FakeClock
from tests.unit.predict.conftest import TICKERS


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(history, clock) -> PredictService:
    settings = PredictSettings(forecast_origins=4, forecast_step=7, history_days=600,
                               var_backtest_days=100, var_thresholds={"BTC-USD": 0.001})
    return PredictService(history, settings, clock,
                          registry=ModelRegistry(InMemoryObjectStore(), clock),
                          predictions=InMemoryPredictions())


async def test_price_forecast_fitted_on_request(service) -> None:
    out = await service.price("AAPL", 3)
    json.dumps(out, allow_nan=False)
    assert out["source"] == "fitted on request" and len(out["days"]) == 3
    assert out["backtest"][-1]["model"] == "ensemble" and out["backtest"][-1]["origins"] == 4
    assert out["skill"] in {"none", "some"}


async def test_price_bad_input(service) -> None:
    with pytest.raises(Problem) as e:
        await service.price("AAPL", 8)
    assert e.value.status == 422
    with pytest.raises(Problem) as e:
        await service.price("NOPE", 3)
    assert e.value.status == 404 and "NOPE" in e.value.detail


async def test_trained_model_is_used_while_fresh(service, clock) -> None:
    labels = await service.train(["AAPL", "MSFT"])
    assert labels == ["price/AAPL/v1", "price/MSFT/v1"]
    entry = await service.registry.latest("price", "AAPL")
    out = await service.price("AAPL", 7)
    assert out["source"] == "registry price/AAPL/v1"
    assert out["backtest"] == entry.metrics["backtest"]
    assert out["data_window"][1] == str(service.history.series["AAPL"].dates[-1])
    fitted = await service.price("MSFT", 7)
    np.testing.assert_allclose([d["point"] for d in fitted["days"]],
                               [d["point"] for d in (await service.price("MSFT", 7))["days"]])
    clock.advance(9 * 86400)                       # older than registry_max_age_hours
    assert (await service.price("AAPL", 7))["source"] == "fitted on request"
    assert await service.train(["AAPL"]) == ["price/AAPL/v2"]


async def test_batch_predictions_are_stored(service) -> None:
    await service.train(["AAPL", "BTC-USD"])
    rows = await service.predict_all(["AAPL", "BTC-USD", "MSFT"])   # MSFT has no model yet
    assert {r.ticker for r in rows} == {"AAPL", "BTC-USD"}
    latest = await service.predictions.latest("AAPL", "price")
    assert [p.horizon for p in latest] == list(range(1, 8))
    assert all(p.lower <= p.value <= p.upper for p in latest)
    assert latest[0].model_version == "price/AAPL/v1"
    vol = await service.predictions.latest("BTC-USD", "volatility")
    assert len(vol) == 7 and all(p.value > 0 for p in vol)


async def test_volatility_annualises_crypto_by_365(service) -> None:
    btc, aapl = await service.volatility("BTC-USD", 5), await service.volatility("AAPL", 5)
    assert btc["periods_per_year"] == 365 and aapl["periods_per_year"] == 252
    assert len(btc["models"]["garch"]["forecast"]) == 5


async def test_risk_with_backtests_benchmark_and_threshold(service) -> None:
    out = await service.risk("BTC-USD", benchmark="AAPL")
    json.dumps(out, allow_nan=False)
    assert out["backtests"]["days"] == 100
    assert out["threshold"] == {"value": 0.001, "exceeded": True}
    assert out["beta"] is not None
    assert (await service.risk("AAPL"))["threshold"]["exceeded"] is False


async def test_correlation_names_the_unknown_ticker(service) -> None:
    out = await service.correlation(list(TICKERS), "spearman")
    assert out["tickers"] == list(TICKERS)
    with pytest.raises(Problem) as e:
        await service.correlation(["AAPL", "ZZZZ", "MSFT"])
    assert e.value.status == 404 and e.value.extra["unknown"] == ["ZZZZ"]


async def test_portfolio_optimise_and_anomalies(service) -> None:
    out = await service.portfolio({"AAPL": 0.5, "MSFT": 0.3, "BTC-USD": 0.2}, benchmark="AAPL")
    assert out["beta"] is not None and out["tickers"] == ["AAPL", "MSFT", "BTC-USD"]
    opt = await service.optimise(list(TICKERS), "risk_parity", max_weight=0.5)
    assert sum(opt["weights"].values()) == pytest.approx(1.0)
    anomalies = await service.anomalies("MSFT")
    json.dumps(anomalies, allow_nan=False)
    assert anomalies["bars"] > 500


async def test_answers_match_the_wire_models(service) -> None:
    from stockflow.predict.schemas import PriceForecast, RiskAnswer, VolatilityAnswer

    PriceForecast.model_validate(await service.price("RELIANCE", 7))
    VolatilityAnswer.model_validate(await service.volatility("RELIANCE"))
    RiskAnswer.model_validate(await service.risk("RELIANCE"))


def test_portfolio_request_wants_weights_or_an_id() -> None:
    from pydantic import ValidationError

    from stockflow.predict.schemas import CorrelationQuery, PortfolioRequest

    with pytest.raises(ValidationError):
        PortfolioRequest()
    with pytest.raises(ValidationError):
        PortfolioRequest(weights={"AAPL": 1.0}, portfolio_id="p1")
    assert PortfolioRequest(weights={"AAPL": 1.0}).long_only is True
    with pytest.raises(ValidationError):
        CorrelationQuery(tickers=[f"T{i}" for i in range(51)])
    assert CorrelationQuery(tickers=["aapl", "AAPL ", "msft"]).tickers == ["AAPL", "MSFT"]


async def test_a_registered_path_is_cached_until_the_next_bar(service, history) -> None:
    from stockflow.adapters.cache.memory import make_cache

    service.cache = make_cache("memory://")
    await service.train(["AAPL"])
    first = await service.price("AAPL", 7)
    again = await service.price("AAPL", 3)
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["days"] == first["days"][:3]
    assert first["fitting"]["used"] == sorted(k for k, w in first["weights"].items() if w > 0)
    s = history.series["AAPL"]
    service.history = type(history)({"AAPL": s.window(0, len(s) - 1)})   # a different last bar
    assert (await service.price("AAPL", 7))["cached"] is False


async def test_training_stores_the_booster_and_forecasts_reuse_it_until_stale(service,
                                                                             clock) -> None:
    await service.train(["AAPL"])
    trained = await service.registry.latest("price", "AAPL")
    assert set(trained.files) == {batch.GBM_FILE}
    assert trained.metrics["models"]["lightgbm"]["data_end"] == trained.data_end
    # A version whose booster was fitted 30 bars ago and carries weight, as a week-old
    # training leaves it while new bars arrive.
    s = await service.series("RELIANCE")          # the window the service reads
    gbm = GbmForecaster().fit(s.window(0, len(s) - 30))
    weights = {"naive": 0.5, "lightgbm": 0.5}
    await service.registry.register(
        "price", "RELIANCE", b"", metrics={**trained.metrics, "weights": weights,
                                           "models": {"lightgbm": gbm.meta()}},
        data_start=str(s.dates[0]), data_end=gbm.data_end, observations=len(s) - 30,
        files={batch.GBM_FILE: gbm.to_bytes()})
    out = await service.price("RELIANCE", 7)
    assert out["fitting"]["stored_fit_reused"] == {"lightgbm": "booster as trained"}
    assert out["fitting"]["refit_on_latest_bars"] == ["naive"]
    points = [d["point"] for d in out["days"]]
    reused, _ = batch.refit(s, 7, weights, {"lightgbm": gbm})
    refitted, none = batch.refit(s, 7, weights)
    np.testing.assert_allclose(points, reused.mean)
    assert none == [] and not np.allclose(points, refitted.mean)
    rows = await service.predict_all(["RELIANCE"])
    np.testing.assert_allclose([r.value for r in rows if r.kind == "price"], reused.mean)
    clock.advance(9 * 86400)                       # stale: the booster is fitted again
    rows = await service.predict_all(["RELIANCE"])
    np.testing.assert_allclose([r.value for r in rows if r.kind == "price"], refitted.mean)
    assert (await service.price("RELIANCE", 7))["source"] == "fitted on request"
