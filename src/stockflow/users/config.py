"""The users context's settings section: accounts, tokens, tiers and rate limits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

# OWASP's argon2id baseline (Password Storage Cheat Sheet): 19 MiB, two passes, one lane.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2


class AuthSettings(BaseModel):
    """Accounts, tokens, tiers and rate limits (seed 002 §1, §7 and its security section)."""

    issuer: str = "stockflow"
    audience: str = "stockflow-api"
    access_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_ttl_seconds: int = Field(30 * 86_400, ge=300)
    leeway_seconds: int = Field(30, ge=0, le=300, description="clock skew tolerated on exp/iat")
    # PEM RSA private keys; the first signs, all verify (several live during a rotation).
    signing_keys: list[SecretStr] = Field(default_factory=list)
    # "none": every /v1 data route needs a token; a tier: anonymous callers get that tier,
    # limited per IP address.
    anonymous_tier: Literal["none", "free", "pro", "enterprise"] = "free"
    rate_limits: dict[str, str] = Field(default_factory=lambda: {
        "free": "100/minute", "pro": "1000/minute", "enterprise": "10000/minute"})
    anonymous_rate_limit: str = "100/minute"
    login_limit_per_account: str = "5/minute"
    login_limit_per_ip: str = "30/minute"
    rate_limit_url: str = "memory://"
    rate_limit_prefix: str = "stockflow:rl"
    free_delay_seconds: int = Field(900, ge=0, description="free-tier quotes are this old")
    argon2_time_cost: int = Field(ARGON2_MIN_TIME_COST, ge=ARGON2_MIN_TIME_COST)
    argon2_memory_kib: int = Field(ARGON2_MIN_MEMORY_KIB, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(1, ge=1)

    @field_validator("anonymous_rate_limit", "login_limit_per_account", "login_limit_per_ip")
    @classmethod
    def _one_limit(cls, value: str) -> str:
        from limits import parse

        parse(value)  # raises ValueError on a malformed limit such as "100 per fortnight"
        return value

    @field_validator("rate_limits")
    @classmethod
    def _tier_limits(cls, value: dict[str, str]) -> dict[str, str]:
        from limits import parse

        missing = {"free", "pro", "enterprise"} - set(value)
        if missing:
            raise ValueError(f"rate_limits needs every tier; missing {sorted(missing)}")
        for limit in value.values():
            parse(limit)
        return value
