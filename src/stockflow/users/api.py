"""Users routes (seed 002 §7): accounts, profile, watchlists, portfolios. Parse, call, shape.

The edge has already authenticated the caller (users/edge.py); routes read its principal.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPBearer
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.permissions import ACCOUNT, PUBLIC, Guard
from stockflow.core.principal import Principal, principal_of
from stockflow.core.problems import unauthorized
from stockflow.core.web import provide
from stockflow.users import schemas
from stockflow.users.holdings import HoldingsService
from stockflow.users.service import AccountService

PROBLEM = {"content": {"application/problem+json": {}}}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, invalid or expired token", **PROBLEM},
    422: {"description": "Invalid body", **PROBLEM},
    429: {"description": "Rate limit exceeded", **PROBLEM}}
OWNED_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS, 404: {"description": "No such id among yours", **PROBLEM}}

auth = APIRouter(prefix="/v1/auth", tags=["auth"], responses=AUTH_ERRORS)
# Declares the Bearer scheme in the OpenAPI description (the "Authorize" button of /docs); the
# edge has already verified the token by the time this runs.
bearer = HTTPBearer(auto_error=False, description="An access token from POST /v1/auth/login")
account = APIRouter(prefix="/v1", tags=["users"], responses=OWNED_ERRORS,
                    dependencies=[Depends(bearer)])
jwks = APIRouter(tags=["auth"])


async def current_user(request: Request) -> str:
    principal: Principal | None = principal_of(request)
    if principal is None or principal.anonymous:
        raise unauthorized("sign in: this route needs an access token", error="")
    return principal.subject


Accounts = Annotated[AccountService, Depends(provide(AccountService))]
Holdings = Annotated[HoldingsService, Depends(provide(HoldingsService))]
UserId = Annotated[str, Depends(current_user)]
DEFAULT_LIMIT = 50
Limit = Annotated[int, Query(ge=1, le=200, description="rows per page")]
Cursor = Annotated[str | None, Query(max_length=512, description="meta.next_cursor of the "
                                                                  "previous page")]


@jwks.get("/.well-known/jwks.json", summary="Public keys that verify access tokens (RFC 7517)")
async def get_jwks(svc: Accounts) -> Response:
    # Bare JWKS, not enveloped: JOSE libraries read this document as it is.
    return Response(svc.tokens.jwks_bytes(), media_type="application/json",
                    headers={"Cache-Control": "public, max-age=300"})


@auth.post("/register", status_code=201, summary="Create an account (free tier)")
async def register(body: schemas.RegisterIn, svc: Accounts) -> Response:
    data = await svc.register(email=str(body.email), password=body.password,
                              full_name=body.full_name)
    return json_response(data, status=201)


@auth.post("/login", summary="Sign in: an access token and a refresh token")
async def login(body: schemas.LoginIn, svc: Accounts, request: Request) -> Response:
    client = request.client.host if request.client else "-"
    return json_response(await svc.login(email=body.email, password=body.password,
                                         client_ip=client))


@auth.post("/refresh", summary="Swap a refresh token for new tokens (each one works once)")
async def refresh(body: schemas.RefreshIn, svc: Accounts) -> Response:
    return json_response(await svc.refresh(body.refresh_token))


@auth.post("/logout", status_code=204, summary="Revoke the refresh token's whole session")
async def logout(body: schemas.RefreshIn, svc: Accounts, request: Request) -> Response:
    await svc.logout(body.refresh_token, principal_of(request))
    return Response(status_code=204)


@account.get("/users/me", summary="Your profile, tier and permissions")
async def get_me(user_id: UserId, svc: Accounts) -> Response:
    return json_response((await svc.me(user_id)).to_wire())


@account.put("/users/me", summary="Update your name, email or password (not your tier)")
async def put_me(body: schemas.ProfileUpdate, user_id: UserId, svc: Accounts) -> Response:
    user = await svc.update_me(user_id, body.model_dump(exclude_unset=True))
    return json_response(user.to_wire())


# -- watchlists ---------------------------------------------------------------------------
@account.post("/watchlists", status_code=201, summary="Create a watchlist")
async def create_watchlist(body: schemas.WatchlistIn, user_id: UserId, svc: Holdings
                           ) -> Response:
    return json_response(await svc.create_watchlist(user_id, body.name, body.tickers),
                         status=201)


@account.get("/watchlists", summary="Your watchlists, oldest first, with cursor pagination")
async def list_watchlists(user_id: UserId, svc: Holdings, limit: Limit = DEFAULT_LIMIT,
                          cursor: Cursor = None) -> Response:
    data, meta = await svc.watchlist_page(user_id, limit, cursor)
    return json_response(data, **meta)


@account.get("/watchlists/{watchlist_id}", summary="One of your watchlists")
async def get_watchlist(watchlist_id: str, user_id: UserId, svc: Holdings) -> Response:
    return json_response(await svc.watchlist(user_id, watchlist_id))


@account.put("/watchlists/{watchlist_id}", summary="Rename a watchlist or replace its tickers")
async def put_watchlist(watchlist_id: str, body: schemas.WatchlistUpdate, user_id: UserId,
                        svc: Holdings) -> Response:
    changes = body.model_dump(exclude_unset=True)
    return json_response(await svc.update_watchlist(user_id, watchlist_id, changes))


@account.delete("/watchlists/{watchlist_id}", status_code=204, summary="Delete a watchlist")
async def delete_watchlist(watchlist_id: str, user_id: UserId, svc: Holdings) -> Response:
    await svc.delete_watchlist(user_id, watchlist_id)
    return Response(status_code=204)


# -- portfolios ---------------------------------------------------------------------------
@account.post("/portfolios", status_code=201, summary="Create a portfolio, with transactions")
async def create_portfolio(body: schemas.PortfolioIn, user_id: UserId, svc: Holdings
                           ) -> Response:
    txs = [t.model_dump() for t in body.transactions]
    return json_response(await svc.create_portfolio(user_id, body.name, txs,
                                                    body.base_currency), status=201)


@account.get("/portfolios", summary="Your portfolios, oldest first, with cursor pagination")
async def list_portfolios(user_id: UserId, svc: Holdings, limit: Limit = DEFAULT_LIMIT,
                          cursor: Cursor = None) -> Response:
    data, meta = await svc.portfolio_page(user_id, limit, cursor)
    return json_response(data, **meta)


@account.get("/portfolios/{portfolio_id}", summary="A portfolio with its positions")
async def get_portfolio(portfolio_id: str, user_id: UserId, svc: Holdings) -> Response:
    return json_response(await svc.portfolio(user_id, portfolio_id))


@account.put("/portfolios/{portfolio_id}", summary="Rename a portfolio or change its base "
                                                   "currency")
async def put_portfolio(portfolio_id: str, body: schemas.PortfolioUpdate, user_id: UserId,
                        svc: Holdings) -> Response:
    changes = body.model_dump(exclude_unset=True)
    return json_response(await svc.update_portfolio(user_id, portfolio_id, changes))


@account.delete("/portfolios/{portfolio_id}", status_code=204, summary="Delete a portfolio")
async def delete_portfolio(portfolio_id: str, user_id: UserId, svc: Holdings) -> Response:
    await svc.delete_portfolio(user_id, portfolio_id)
    return Response(status_code=204)


@account.get("/portfolios/{portfolio_id}/transactions", summary="A portfolio's transactions")
async def list_transactions(portfolio_id: str, user_id: UserId, svc: Holdings) -> Response:
    return json_response(await svc.transactions(user_id, portfolio_id))


@account.post("/portfolios/{portfolio_id}/transactions", status_code=201,
              summary="Record a buy or a sale")
async def add_transaction(portfolio_id: str, body: schemas.TransactionIn, user_id: UserId,
                          svc: Holdings) -> Response:
    added = await svc.add_transactions(user_id, portfolio_id, [body.model_dump()])
    return json_response(added[0], status=201)


@account.delete("/portfolios/{portfolio_id}/transactions/{transaction_id}", status_code=204,
                summary="Remove a transaction")
async def delete_transaction(portfolio_id: str, transaction_id: str, user_id: UserId,
                             svc: Holdings) -> Response:
    await svc.delete_transaction(user_id, portfolio_id, transaction_id)
    return Response(status_code=204)


@account.get("/portfolios/{portfolio_id}/performance",
             summary="Market value, cost basis, P&L, time-weighted return, daily values")
async def get_performance(portfolio_id: str, user_id: UserId, svc: Holdings,
                          end: Annotated[date | None, Query(description="last day, inclusive")]
                          = None) -> Response:
    return json_response(await svc.performance(user_id, portfolio_id, end))


ROUTERS = (jwks, auth, account)
# Declared beside the routes: sign-up and sign-in are open to anyone (even with anonymous access
# off); logout's credential is the refresh token in its body; the rest belong to an account.
GUARDS = [
    *(Guard(f"/v1/auth/{name}", PUBLIC) for name in ("register", "login", "refresh", "logout")),
    *(Guard(prefix, ACCOUNT) for prefix in ("/v1/users", "/v1/watchlists", "/v1/portfolios")),
]
