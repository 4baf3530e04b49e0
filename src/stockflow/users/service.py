"""Account use cases: register, sign in, rotate and revoke refresh tokens, profiles, tiers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stockflow.core.catalogue import USER_REGISTERED
from stockflow.core.ports import EventBus
from stockflow.core.principal import Principal
from stockflow.core.problems import conflict, invalid, not_found, too_many_requests, unauthorized
from stockflow.users.config import AuthSettings
from stockflow.users.domain import ALL_PERMISSIONS, Tier, User
from stockflow.users.keys import KeyRing, development_key
from stockflow.users.passwords import Passwords
from stockflow.users.ratelimit import RateLimiter
from stockflow.users.repository import DuplicateEmail, SqlAccountStore
from stockflow.users.revocation import Revocations
from stockflow.users.tokens import TokenService, new_refresh_token, refresh_digest

# One answer for an unknown email and a wrong password, so sign-in never reveals who has an
# account.
BAD_CREDENTIALS = "invalid email or password"


class AccountService:
    def __init__(self, *, store: SqlAccountStore, passwords: Passwords, tokens: TokenService,
                 limiter: RateLimiter, bus: EventBus, settings: AuthSettings,
                 revocations: Revocations) -> None:
        self.store = store
        self.revocations = revocations
        self.passwords = passwords
        self.tokens = tokens
        self.limiter = limiter
        self.bus = bus
        self.settings = settings

    def load_keys(self, data_dir: Path) -> None:
        """Configured keys, or in development the data folder's own key (created once)."""
        pems: list[str | bytes] = [k.get_secret_value() for k in self.settings.signing_keys]
        self.tokens.use_keys(KeyRing.from_pems(pems or [development_key(data_dir)]))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.tokens.now(), UTC)

    # -- sign-up and sign-in --------------------------------------------------------------
    async def register(self, *, email: str, password: str, full_name: str | None,
                       ) -> dict[str, Any]:
        now = self._now()
        user = User(id=str(uuid.uuid4()), email=email.lower(),
                    password_hash=await self.passwords.hash(password), full_name=full_name,
                    tier=Tier.FREE, permissions=(), created_at=now, updated_at=now)
        try:
            await self.store.add_user(user)
        except DuplicateEmail:
            raise conflict("an account with this email already exists") from None
        await self.bus.publish(USER_REGISTERED.name, USER_REGISTERED.event(
            {"user_id": user.id, "tier": user.tier.value}, key=user.id))
        return {"user": user.to_wire(), **await self._session(user)}

    async def login(self, *, email: str, password: str, client_ip: str) -> dict[str, Any]:
        email = email.lower()
        # Throttled before the password is looked at, per address and per account, with the same
        # answer whether the account exists or not.
        for limit, key in ((self.settings.login_limit_per_ip, ("login-ip", client_ip)),
                           (self.settings.login_limit_per_account, ("login-account", email))):
            decision = await self.limiter.hit(limit, *key)
            if not decision.allowed:
                raise too_many_requests("too many sign-in attempts; try again later",
                                        decision.reset_after)
        user = await self.store.get_by_email(email)
        if user is None:
            await self.passwords.burn(password)
            raise unauthorized(BAD_CREDENTIALS, error="")
        if not await self.passwords.verify(user.password_hash, password):
            raise unauthorized(BAD_CREDENTIALS, error="")
        if self.passwords.needs_rehash(user.password_hash):
            await self.store.update_user(user.id, password_hash=await self.passwords.hash(password))
        return await self._session(user)

    async def _session(self, user: User, family_id: str | None = None) -> dict[str, Any]:
        # The access token names its session (the refresh-token family), so ending the
        # session revokes every access token it handed out.
        family_id = family_id or str(uuid.uuid4())
        access, expires_in = self.tokens.issue(user_id=user.id, email=user.email,
                                               tier=user.tier.value,
                                               permissions=user.effective_permissions,
                                               session_id=family_id)
        refresh, now = new_refresh_token(), self._now()
        ttl = self.settings.refresh_ttl_seconds
        await self.store.add_refresh(id=str(uuid.uuid4()), token_hash=refresh_digest(refresh),
                                     family_id=family_id, user_id=user.id,
                                     created_at=now, expires_at=now + timedelta(seconds=ttl))
        return {"access_token": access, "token_type": "Bearer", "expires_in": expires_in,
                "refresh_token": refresh, "refresh_expires_in": ttl}

    # -- refresh tokens (RFC 9700 §4.14.2) ------------------------------------------------
    async def refresh(self, token: str) -> dict[str, Any]:
        digest, now = refresh_digest(token), self._now()
        if await self.store.claim_refresh(digest, now):
            row = await self.store.get_refresh(digest)
            user = await self.store.get_user(row.user_id)
            if user is None:
                raise unauthorized("the account no longer exists")
            session = await self._session(user, family_id=row.family_id)
            # A concurrent reuse of the same token may have revoked the family while this
            # session was being written: then the new refresh token must die with it.
            if await self.store.family_revoked(row.family_id):
                await self._end_session(row.family_id, row.user_id, now)
                raise unauthorized("refresh token reuse detected; the session has been revoked")
            return session
        row = await self.store.get_refresh(digest)
        if row is not None and row.used_at is not None and row.revoked_at is None:
            # A spent token came back: it was stolen, or its rotation was. Whoever holds the
            # family's newest token can no longer be told apart from the thief, so all of it goes.
            await self._end_session(row.family_id, row.user_id, now)
            raise unauthorized("refresh token reuse detected; the session has been revoked")
        raise unauthorized("refresh token is invalid, expired or revoked")

    async def logout(self, token: str, caller: Principal | None = None) -> None:
        """End the refresh token's session: its refresh tokens and its access tokens; and the
        access token the caller presented, whichever session it came from."""
        row = await self.store.get_refresh(refresh_digest(token))
        if row is not None:
            await self._end_session(row.family_id, row.user_id, self._now())
        if caller is not None and not caller.anonymous:
            await self.revocations.revoke(caller)

    async def _end_session(self, family_id: str, user_id: str, now: datetime) -> None:
        await self.store.revoke_family(family_id, now)
        await self.revocations.revoke_session(family_id, user_id)

    # -- profile --------------------------------------------------------------------------
    async def me(self, user_id: str) -> User:
        user = await self.store.get_user(user_id)
        if user is None:
            raise not_found("user", user_id)
        return user

    async def update_me(self, user_id: str, changes: dict[str, Any]) -> User:
        user = await self.me(user_id)
        values: dict[str, Any] = {}
        if "full_name" in changes:
            values["full_name"] = changes["full_name"]
        sensitive = changes.get("email") is not None or changes.get("new_password") is not None
        if sensitive:
            # Taking over an account should need more than a stolen access token.
            current = changes.get("current_password")
            if not current or not await self.passwords.verify(user.password_hash, current):
                raise invalid("current_password is required and must be correct to change "
                              "the email or the password",
                              [{"loc": ["body", "current_password"], "msg": "incorrect",
                                "type": "value_error"}])
        if changes.get("email") is not None:
            values["email"] = changes["email"].lower()
        if changes.get("new_password") is not None:
            values["password_hash"] = await self.passwords.hash(changes["new_password"])
        if not values:
            return user
        values["updated_at"] = self._now()
        try:
            updated = await self.store.update_user(user_id, **values)
        except DuplicateEmail:
            raise conflict("an account with this email already exists") from None
        if "password_hash" in values:
            await self.store.revoke_user(user_id, self._now())  # every session signs in anew
            await self.revocations.not_before(user_id)  # and every access token goes with them
        assert updated is not None
        return updated

    # -- the operator's command line -----------------------------------------------------
    async def create(self, *, email: str, password: str, tier: str,
                     full_name: str | None = None) -> User:
        """An account made by the operator (`stockflow users create`), on any tier at once."""
        user_id = (await self.register(email=email, password=password,
                                       full_name=full_name))["user"]["id"]
        return await self.set_access(user_id, tier=tier, permissions=None)

    async def issue_for(self, email: str) -> dict[str, Any]:
        """A fresh pair of tokens for an account without its password: for the operator's
        command line, which holds the database and the signing keys anyway."""
        user = await self.store.get_by_email(email.lower())
        if user is None:
            raise not_found("user", email.lower())
        return await self._session(user)

    # -- the controller's view ------------------------------------------------------------
    async def list_users(self, limit: int, after: str | None) -> list[User]:
        return await self.store.list_users(limit, after)

    async def set_access(self, user_id: str, *, tier: str | None,
                         permissions: list[str] | None) -> User:
        await self.me(user_id)
        values: dict[str, Any] = {"updated_at": self._now()}
        if tier is not None:
            values["tier"] = Tier(tier)
        if permissions is not None:
            unknown = sorted(set(permissions) - ALL_PERMISSIONS)
            if unknown:
                raise invalid(f"unknown permissions: {', '.join(unknown)}")
            values["permissions"] = sorted(set(permissions))
        updated = await self.store.update_user(user_id, **values)
        assert updated is not None
        if tier is not None or permissions is not None:
            # Tokens carry the tier and permissions they were issued with: older ones must go.
            await self.revocations.not_before(user_id)
        return updated
