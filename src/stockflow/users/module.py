"""The users context (seed 002 §7): accounts, tokens, tiers and rate limits at the edge,
watchlists and portfolios."""

from __future__ import annotations

from typing import Any

from stockflow.core.module import (
    ADMIN_SERVICE,
    ContextModule,
    ContextParts,
    EdgeLayer,
    Plan,
    Platform,
    Ports,
)
from stockflow.users.config import AuthSettings

SERVICE = "users"
# The auth edge runs after the maintenance gate (so maintenance spends no rate-limit token)
# and before the fast path.
AUTH_EDGE_ORDER = 10


def build(p: Platform, plan: Plan) -> ContextParts:
    from stockflow.core.operator import OperatorKey
    from stockflow.core.principal import TokenWatch
    from stockflow.market.ports import FxRates, MarketReader
    from stockflow.users.edge import AuthEdge
    from stockflow.users.holdings import HoldingsService
    from stockflow.users.holdings_repository import SqlHoldingsStore
    from stockflow.users.passwords import Passwords
    from stockflow.users.ports import Portfolios, Watchlists
    from stockflow.users.ratelimit import RateLimiter
    from stockflow.users.repository import SqlAccountStore
    from stockflow.users.revocation import Revocations
    from stockflow.users.service import AccountService
    from stockflow.users.tokens import TokenService

    auth = p.settings.auth
    tokens = TokenService(issuer=auth.issuer, audience=auth.audience,
                          access_ttl=auth.access_ttl_seconds, leeway=auth.leeway_seconds)
    revocations = Revocations(cache=p.cache, pubsub=p.pubsub, now=tokens.now,
                              lifetime=auth.access_ttl_seconds + auth.leeway_seconds)
    limiter = RateLimiter(auth.rate_limit_url, prefix=auth.rate_limit_prefix,
                          registry=p.metrics.registry)
    accounts = AccountService(
        store=SqlAccountStore(p.db), tokens=tokens, limiter=limiter, bus=p.bus, settings=auth,
        revocations=revocations,
        passwords=Passwords(time_cost=auth.argon2_time_cost, memory_kib=auth.argon2_memory_kib,
                            parallelism=auth.argon2_parallelism))
    holdings = HoldingsService(store=SqlHoldingsStore(p.db), market=p.ports.get(MarketReader),
                               fx=p.ports.get(FxRates), bus=p.bus, clock=p.clock)
    registry = p.registry

    def auth_edge(app: Any, ports: Ports) -> Any:
        assert registry.permissions is not None  # compiled by bootstrap after every build
        return AuthEdge(app, tokens=tokens, limiter=limiter, settings=auth,
                        table=registry.permissions, operator=ports.get(OperatorKey).admits,
                        revocations=revocations)

    async def load_keys() -> None:
        # Every process shape verifies tokens, so every one loads the key ring.
        accounts.load_keys(p.settings.data_dir)

    parts = ContextParts(
        "users",
        ports={TokenService: tokens, RateLimiter: limiter, AccountService: accounts,
               HoldingsService: holdings, Watchlists: holdings, Portfolios: holdings,
               TokenWatch: revocations},
        edge=[EdgeLayer(AUTH_EDGE_ORDER, auth_edge)],
        on_start=[load_keys, revocations.start], on_stop=[revocations.stop, limiter.close])
    if plan.serves(ADMIN_SERVICE):
        from stockflow.users.admin_api import router as admin_router

        parts.admin_routers.append(admin_router)
    if plan.serves(SERVICE):
        from stockflow.users import api

        parts.routers += list(api.ROUTERS)
        parts.guards += api.GUARDS
    return parts


def _production_needs_keys(settings: Any) -> None:
    if settings.environment == "production" and not settings.auth.signing_keys:
        # A generated key would differ per process and vanish with the container.
        raise ValueError("production needs STOCKFLOW_AUTH__SIGNING_KEYS (PEM RSA keys)")


MODULE = ContextModule(
    name="users",
    build=build,
    settings={"auth": AuthSettings},
    services=(SERVICE,),
    tables="stockflow.users.tables",
    migrations="stockflow.users.migrations",
    resolve=_production_needs_keys,
)
