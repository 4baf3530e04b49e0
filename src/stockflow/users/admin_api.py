"""The controller's user routes, mounted under /api/admin behind X-API-Key: list accounts and
set a tier or extra permissions (the only way either changes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from stockflow.core.envelope import json_response
from stockflow.core.pagination import decode_cursor, encode_cursor
from stockflow.core.web import provide
from stockflow.users import schemas
from stockflow.users.service import AccountService

router = APIRouter(prefix="/users")


Accounts = Annotated[AccountService, Depends(provide(AccountService))]


@router.get("", summary="Accounts, by id, with cursor pagination")
async def list_users(svc: Accounts, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    after = str(decode_cursor(cursor).get("after", "")) if cursor else None
    users = await svc.list_users(limit + 1, after)
    has_more = len(users) > limit
    users = users[:limit]
    next_cursor = encode_cursor({"after": users[-1].id}) if has_more else None
    return json_response([u.to_wire() for u in users], has_more=has_more,
                         next_cursor=next_cursor)


@router.get("/{user_id}", summary="One account")
async def get_user(user_id: str, svc: Accounts) -> Response:
    return json_response((await svc.me(user_id)).to_wire())


@router.patch("/{user_id}", summary="Change an account's tier or extra permissions")
async def patch_user(user_id: str, body: schemas.AccessUpdate, svc: Accounts) -> Response:
    user = await svc.set_access(user_id, tier=body.tier, permissions=body.permissions)
    return json_response(user.to_wire())
