"""A process builds and starts only what its plan runs: `serve users` no quote hub, no market
routes and no initial backfill; a worker process no HTTP parts at all."""

from __future__ import annotations

import subprocess
import sys

from stockflow.bootstrap import bootstrap
from stockflow.market.streaming import QuoteHub
from stockflow.market.tasks import InitialBackfill
from tests.conftest import make_settings


def test_serving_users_builds_no_quote_hub_and_no_market_routes(tmp_path):
    settings = make_settings(tmp_path, services={"workers": []})
    container = bootstrap(settings, services=["users"])
    assert container.plan.services == frozenset({"users"})
    ports = container.platform.ports
    assert ports.find(QuoteHub) is None and ports.find(InitialBackfill) is None
    paths = {getattr(r, "path", "") for parts in container.contexts for r in parts.routers}
    assert not any(p.startswith("/v1/quotes") for p in paths)
    assert not container.registry.workers or not container.plan.workers


def test_a_worker_process_imports_no_web_framework(tmp_path):
    code = ("import sys; from stockflow.bootstrap import bootstrap; "
            "from stockflow.settings import load_settings; "
            f"s = load_settings(data_dir={str(tmp_path)!r}, services={{'workers': ['storage']}}); "
            "bootstrap(s, services=()); print('fastapi' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False"
