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


# What the portfolio arithmetic computes exactly enough: 10,000 transactions of the largest
# quantity at the largest price sum to about 1e22, far from overflow, and the smallest quantity
# and price stay well above the 1e-9 at which a position counts as closed. A billion coins of
# a ten-millionth of a dollar and ten billion shares are both inside.
MIN_QUANTITY, MAX_QUANTITY = 1e-8, 1e10
MIN_PRICE, MAX_PRICE = 1e-8, 1e8
MAX_FEE = 1e9


class TransactionIn(Input):
    ticker: Annotated[str, Field(min_length=1, max_length=20)]
    side: Literal["buy", "sell"]
    quantity: Annotated[float, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY, allow_inf_nan=False)]
    price: Annotated[float, Field(ge=MIN_PRICE, le=MAX_PRICE, allow_inf_nan=False)]
    fee: Annotated[float, Field(ge=0, le=MAX_FEE, allow_inf_nan=False)] = 0.0
    executed_at: datetime | None = None


Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code")]


class PortfolioIn(Input):
    name: Name
    base_currency: Currency = "USD"
    transactions: Annotated[list[TransactionIn], Field(max_length=10_000)] = Field(
        default_factory=list)


class PortfolioUpdate(Input):
    name: Name | None = None
    base_currency: Currency | None = None


class AccessUpdate(Input):
    """The controller's change to one account: its tier and extra permissions."""

    tier: Literal["free", "pro", "enterprise"] | None = None
    permissions: list[str] | None = None
