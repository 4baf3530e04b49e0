"""The users context's SQL on SQLite and PostgreSQL: accounts, one-time refresh claims, and
owner-scoped watchlists and portfolios."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from stockflow.users.domain import Tier, User
from stockflow.users.holdings_repository import SqlHoldingsStore
from stockflow.users.performance import Transaction
from stockflow.users.repository import DuplicateEmail, SqlAccountStore

NOW = datetime(2025, 11, 21, 15, 30, tzinfo=UTC)


def user(email: str) -> User:
    return User(id=str(uuid.uuid4()), email=email, password_hash="h", full_name=None,
                tier=Tier.FREE, permissions=(), created_at=NOW, updated_at=NOW)


async def test_accounts_round_trip_and_emails_are_unique(database):
    store = SqlAccountStore(database)
    ada = user("ada@example.com")
    await store.add_user(ada)
    assert await store.get_by_email("ada@example.com") == ada
    with pytest.raises(DuplicateEmail):
        await store.add_user(user("ada@example.com"))
    updated = await store.update_user(ada.id, tier=Tier.PRO, permissions=["write:webhooks"])
    assert updated.tier == Tier.PRO and updated.permissions == ("write:webhooks",)


async def test_a_refresh_token_is_claimed_once_even_concurrently(database):
    store = SqlAccountStore(database)
    ada = user("ada@example.com")
    await store.add_user(ada)
    family = str(uuid.uuid4())
    for digest in ("a" * 64, "b" * 64):
        await store.add_refresh(id=str(uuid.uuid4()), token_hash=digest, family_id=family,
                                user_id=ada.id, created_at=NOW,
                                expires_at=NOW + timedelta(days=1))
    claims = await asyncio.gather(*(store.claim_refresh("a" * 64, NOW) for _ in range(8)))
    assert claims.count(True) == 1
    assert not await store.claim_refresh("b" * 64, NOW + timedelta(days=2))  # expired
    assert await store.revoke_family(family, NOW) == 2
    assert not await store.claim_refresh("b" * 64, NOW)  # revoked


async def test_holdings_are_scoped_by_owner(database):
    accounts, store = SqlAccountStore(database), SqlHoldingsStore(database)
    owner, other = user("o@example.com"), user("x@example.com")
    for u in (owner, other):
        await accounts.add_user(u)
    await store.watchlists.add(id="w1", user_id=owner.id, name="w", tickers=["NVDA"],
                               created_at=NOW, updated_at=NOW)
    await store.portfolios.add(id="p1", user_id=owner.id, name="p", created_at=NOW,
                               updated_at=NOW)
    tx = Transaction(id="t1", ticker="NVDA", side="buy", quantity=1.5, price=10.0, fee=0.0,
                     executed_at=NOW)
    await store.add_transactions("p1", [tx], NOW)
    assert await store.transactions("p1") == [tx]
    for table, row_id in ((store.watchlists, "w1"), (store.portfolios, "p1")):
        assert await table.get(other.id, row_id) is None
        assert not await table.update(other.id, row_id, name="stolen")
        assert not await table.delete(other.id, row_id)
        assert (await table.get(owner.id, row_id))["name"] in ("w", "p")
        assert await table.delete(owner.id, row_id)
    assert await store.transactions("p1") == []


async def test_watched_tickers_are_every_users_watchlist_tickers_once(database):
    accounts, store = SqlAccountStore(database), SqlHoldingsStore(database)
    a, b = user("a@example.com"), user("b@example.com")
    for u in (a, b):
        await accounts.add_user(u)
    assert await store.watched_tickers() == []
    for wid, owner, tickers in (("w1", a, ["NVDA", "AAPL"]), ("w2", a, []),
                                ("w3", b, ["AAPL", "RELIANCE"])):
        await store.watchlists.add(id=wid, user_id=owner.id, name=wid, tickers=tickers,
                                   created_at=NOW, updated_at=NOW)
    assert await store.watched_tickers() == ["AAPL", "NVDA", "RELIANCE"]
