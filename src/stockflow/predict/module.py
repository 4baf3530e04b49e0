"""The predict context (seed 002 §5, issue 13): forecasts, volatility, risk with backtests,
correlation, portfolios and anomalies over the market's daily bars, a model registry on an
object store, and training / batch prediction on local processes or a Dask cluster."""

from __future__ import annotations

from typing import Any

from stockflow.core.module import ContextModule, ContextParts, Plan, Platform, Worker
from stockflow.core.registry import build as build_adapter
from stockflow.predict.config import PredictSettings

SERVICE = "predict"
WORKER = "predict"


def _object_store(p: Platform) -> Any:
    s = p.settings.predict
    url = s.object_store_url or f"file://{(p.settings.data_dir / 'models').resolve().as_posix()}"
    secret = lambda v: v.get_secret_value() if v is not None else None
    return build_adapter("objectstore", url, endpoint_url=s.s3_endpoint_url,
                         region=s.s3_region, access_key_id=secret(s.s3_access_key_id),
                         secret_access_key=secret(s.s3_secret_access_key))


def _executor(p: Platform) -> Any:
    s = p.settings.predict
    # STOCKFLOW_PREDICT__DASK_SCHEDULER=tcp://host:8786 moves the work onto that cluster.
    return build_adapter("executor", s.dask_scheduler or "processes://",
                         workers=s.local_workers)


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.market.ports import MarketReader, MarketStore
    from stockflow.predict import handlers, tasks
    from stockflow.predict.history import MarketStoreHistory
    from stockflow.predict.lifecycle import Lifecycle
    from stockflow.predict.ports import ForecastReader
    from stockflow.predict.registry import ModelRegistry
    from stockflow.predict.repository import SqlPredictionStore
    from stockflow.predict.service import PredictService
    from stockflow.users.ports import Portfolios

    s = p.settings.predict
    market = p.ports.get(MarketReader)
    executor = _executor(p)
    service = PredictService(
        MarketStoreHistory(p.ports.get(MarketStore), p.clock), s, p.clock,
        registry=ModelRegistry(_object_store(p), p.clock),
        predictions=SqlPredictionStore(p.db), executor=executor,
        portfolios=p.ports.find(Portfolios),
        currency_of=lambda t: market.instrument(t).currency, cache=p.cache)
    universe = lambda: s.batch_tickers or [i.ticker for i in market.universe]
    lifecycle = Lifecycle(service, p.bus, p.cache, universe)
    live = handlers.LiveBars(service, p.bus)

    parts = ContextParts(
        "predict", ports={PredictService: service, Lifecycle: lifecycle, ForecastReader: service},
        jobs=tasks.jobs(lifecycle),
        workers={WORKER: lambda: Worker(WORKER, handlers=handlers.handlers(live), unit=live)},
        on_stop=[executor.close])
    if plan.serves(SERVICE):      # routes only where served: a worker imports no FastAPI
        from stockflow.predict import api

        parts.routers += list(api.ROUTERS)
        parts.guards += api.GUARDS
    return parts


MODULE = ContextModule(
    name="predict",
    build=build,
    settings={"predict": PredictSettings},
    services=(SERVICE,),
    workers=(WORKER,),
    tables="stockflow.predict.tables",
    migrations="stockflow.predict.migrations",
    enabled=lambda settings: settings.predict.enabled,
)
