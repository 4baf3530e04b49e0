"""The access-token denylist: revoked token and session ids, and a per-user "not before".

An access token is a stateless JWT, valid until its `exp`; a revocation makes it stop earlier.
Logout revokes the token presented (by `jti`) and the session it came from (`sid`, the refresh-
token family), so a token the client did not present dies too; a password, tier or permission
change sets the user's "not before", refusing every token issued earlier.

Each entry is written to the cache (memory embedded, Redis scaled out), kept only as long as a
token it refuses could live, and pushed on the `auth.revocations` channel, so every instance
applies it at once. Requests read local dictionaries only: the edge's check is two lookups. A
token an instance sees for the first time is also looked up in the shared cache (`learn`), so an
instance started after a revocation, or one that missed the push, still refuses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import orjson

from stockflow.core.catalogue import REVOCATION_PUSH
from stockflow.core.lifecycle import cancel_and_wait
from stockflow.core.listening import subscribe_confirmed
from stockflow.core.logging import get_logger
from stockflow.core.ports import Cache, PubSub
from stockflow.core.principal import Principal
from stockflow.core.problems import unavailable

log = get_logger(__name__)
PREFIX = "auth:revoked:"
_SWEEP_EVERY = 1_000  # entries written between two sweeps of the expired ones


class Revocations:
    def __init__(self, *, cache: Cache, pubsub: PubSub, lifetime: float,
                 now: Callable[[], float] = time.time) -> None:
        self.cache = cache
        self.pubsub = pubsub
        # No token lives longer than this after it is issued (access TTL plus leeway).
        self.lifetime = lifetime
        self.now = now
        self._ids: dict[str, float] = {}          # token or session id -> kept until
        self._not_before: dict[str, float] = {}   # user id -> tokens issued before are refused
        self._until_sweep = _SWEEP_EVERY
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._cache_failing = False

    # -- the edge's check ---------------------------------------------------------------
    def refusal(self, principal: Principal) -> str | None:
        """Why this principal's token is no longer good, or None. O(1)."""
        ids = self._ids
        if principal.token_id in ids or principal.session_id in ids:
            return "token has been revoked"
        not_before = self._not_before.get(principal.subject)
        if not_before is not None and principal.issued_at < not_before:
            return "token was issued before the account's password or access changed"
        return None

    async def learn(self, principal: Principal) -> None:
        """Copy what the shared cache knows of this token into the local view (first sight)."""
        keys = [PREFIX + "id:" + (principal.token_id or ""),
                PREFIX + "id:" + (principal.session_id or ""),
                PREFIX + "user:" + principal.subject]
        try:
            token, session, user = await self.cache.get_many(keys)
        except Exception as exc:  # noqa: BLE001 - the local view and the push still hold
            if not self._cache_failing:  # once per outage: every new token fails alike
                log.warning("revocations unreadable from the cache", error=repr(exc))
            self._cache_failing = True
            return
        self._cache_failing = False
        for ident, raw in ((principal.token_id, token), (principal.session_id, session)):
            if raw is not None and ident:
                self._ids[ident] = float(raw)
        if user is not None:
            self._not_before[principal.subject] = float(user)

    # -- writing ------------------------------------------------------------------------
    async def revoke(self, principal: Principal) -> None:
        """The token's id and its session, until the longest a token of the session lives."""
        until = self.now() + self.lifetime
        for ident in (principal.token_id, principal.session_id):
            if ident:
                await self._publish({"id": ident, "until": until, "subject": principal.subject})

    async def revoke_session(self, session_id: str, subject: str) -> None:
        await self._publish({"id": session_id, "until": self.now() + self.lifetime,
                             "subject": subject})

    async def not_before(self, subject: str) -> None:
        """Refuse every token of this user issued until now."""
        await self._publish({"subject": subject, "not_before": self.now()})

    async def _publish(self, entry: dict[str, Any]) -> None:
        self._apply(entry)
        ttl = self.lifetime + 1
        if "id" in entry:
            key, value = PREFIX + "id:" + entry["id"], entry["until"]
        else:
            key, value = PREFIX + "user:" + entry["subject"], entry["not_before"]
        try:
            await self.cache.set(key, repr(value).encode(), ttl=ttl)
            await self.pubsub.publish(REVOCATION_PUSH.name, orjson.dumps(entry))
        except Exception as exc:  # noqa: BLE001 - answered 503, so the caller tries again
            log.error("revocation not shared with other instances", error=repr(exc))
            raise unavailable("the revocation could not be shared; try again shortly",
                              retry_after=5) from None

    def _apply(self, entry: dict[str, Any]) -> None:
        subject = str(entry["subject"])
        if "id" in entry:
            self._ids[str(entry["id"])] = float(entry["until"])
        else:
            at = float(entry["not_before"])
            self._not_before[subject] = max(at, self._not_before.get(subject, at))
        for event in self._watchers.get(subject, ()):
            event.set()
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep()

    def _sweep(self) -> None:
        self._until_sweep = _SWEEP_EVERY
        now = self.now()
        self._ids = {k: until for k, until in self._ids.items() if until > now}
        oldest = now - self.lifetime  # no token issued before this is still alive
        self._not_before = {k: at for k, at in self._not_before.items() if at > oldest}

    # -- open connections ---------------------------------------------------------------
    async def until_invalid(self, principal: Principal) -> str:
        event = asyncio.Event()
        watchers = self._watchers.setdefault(principal.subject, set())
        watchers.add(event)
        try:
            while True:
                reason = self.refusal(principal)
                if reason is not None:
                    return reason
                if principal.expires_at is None:
                    await event.wait()
                else:
                    left = principal.expires_at - self.now()
                    if left <= 0:
                        return "token has expired"
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(left):
                            await event.wait()
                event.clear()
        finally:
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(principal.subject, None)

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        # Confirmed before start returns: a logout on another instance right after this one
        # started is then never missed.
        subscription = await subscribe_confirmed(self.pubsub, REVOCATION_PUSH.name)
        self._listener = asyncio.create_task(self._listen(subscription),
                                             name="revocation-listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._listener)
        self._listener = None

    async def _listen(self, subscription: Any) -> None:
        try:
            async for _channel, message in subscription:
                try:
                    self._apply(orjson.loads(message))
                except (orjson.JSONDecodeError, TypeError, ValueError, KeyError):
                    log.warning("unreadable revocation message", size=len(message))
        finally:
            await subscription.close()
