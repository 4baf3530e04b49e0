"""Wire models of the users context. Every input model forbids unknown fields, so a `tier` or
`permissions` smuggled into a sign-up or profile update is a 422, never silently applied."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Password = Annotated[str, Field(min_length=8, max_length=128)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Tickers = Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]],
                    Field(max_length=500)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Input):
    email: EmailStr
    password: Password
    full_name: Annotated[str, Field(max_length=255)] | None = None


class LoginIn(Input):
    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class RefreshIn(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class ProfileUpdate(Input):
    full_name: Annotated[str, Field(max_length=255)] | None = None
    email: EmailStr | None = None
    current_password: Annotated[str, Field(max_length=128)] | None = None
    new_password: Password | None = None


class WatchlistIn(Input):
    name: Name
    tickers: Tickers = Field(default_factory=list)


class WatchlistUpdate(Input):
    name: Name | None = None
    tickers: Tickers | None = None


class TransactionIn(Input):
    ticker: Annotated[str, Field(min_length=1, max_length=20)]
    side: Literal["buy", "sell"]
    quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    price: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    fee: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    executed_at: datetime | None = None


class PortfolioIn(Input):
    name: Name
    transactions: Annotated[list[TransactionIn], Field(max_length=10_000)] = Field(
        default_factory=list)


class PortfolioUpdate(Input):
    name: Name


class AccessUpdate(Input):
    """The controller's change to one account: its tier and extra permissions."""

    tier: Literal["free", "pro", "enterprise"] | None = None
    permissions: list[str] | None = None
