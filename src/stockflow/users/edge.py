"""The auth edge: one pure-ASGI step before routing that authenticates, authorises by path and
rate-limits every /v1 request and stream handshake, fast path included, and admits /internal
requests only with the operator's key.

What a path needs comes from the permission table compiled from every context's declarations;
a guarded path no context declared is refused (401 anonymous, 403 signed in), never open.

It sits inside the request-id/access-log middleware, so its refusals carry request ids and
access lines like any answer, and it leaves the principal in scope["state"]["principal"].
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockflow.core.operator import unauthorized as operator_unauthorized
from stockflow.core.permissions import ACCOUNT, OPERATOR, PUBLIC, PermissionTable, is_guarded
from stockflow.core.principal import Principal
from stockflow.core.problems import (
    Problem,
    forbidden,
    refuse,
    too_many_requests,
    unauthorized,
)
from stockflow.core.web import RESPONSE_HEADERS
from stockflow.users.config import AuthSettings
from stockflow.users.domain import Tier, permissions_for
from stockflow.users.ratelimit import RateLimiter
from stockflow.users.revocation import Revocations
from stockflow.users.tokens import InvalidToken, TokenService

OperatorCheck = Callable[[str | None], bool]
_ANONYMOUS_CACHE = 100_000  # principals of anonymous addresses, made once each
_PATH_CACHE = 10_000  # what each path needs; cleared whole when full
_UNSEEN = object()


class AuthEdge:
    def __init__(self, app: ASGIApp, *, tokens: TokenService, limiter: RateLimiter,
                 settings: AuthSettings, table: PermissionTable,
                 operator: OperatorCheck, revocations: Revocations) -> None:
        self.app = app
        self.revocations = revocations
        self.table = table
        self.operator = operator
        self.tokens = tokens
        self.limiter = limiter
        self.tier_limits = settings.rate_limits
        self.anonymous_limit = settings.anonymous_rate_limit
        anon = settings.anonymous_tier
        self.anonymous_permissions = None if anon == "none" else permissions_for(Tier(anon))
        self.anonymous_tier = anon
        self._anonymous_by_ip: dict[tuple[str, frozenset[str]], Principal] = {}
        self._needed: dict[str, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        response_headers = scope.get(RESPONSE_HEADERS) if kind == "http" else None
        wrap = kind == "http" and response_headers is None
        if wrap:  # outside the edge middleware (its list collects the RateLimit pair)
            response_headers = scope[RESPONSE_HEADERS] = []
        problem = await self.admit(scope)
        if problem is not None:
            await refuse(scope, receive, send, problem)
            return
        if not wrap:
            await self.app(scope, receive, send)
            return
        extra = response_headers

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    async def admit(self, scope: Scope) -> Problem | None:
        """The edge's whole decision on an HTTP request or stream handshake: None to let it
        through (the principal left in scope["state"], and on HTTP the RateLimit pair appended
        to scope[RESPONSE_HEADERS]), else the problem to answer it with. The edge's fused path
        for the fast routes (entrypoints/fused.py) calls this too, so both decide alike."""
        path = scope["path"]
        if not is_guarded(path):
            return None
        needed = self._needed.get(path, _UNSEEN)
        if needed is _UNSEEN:  # the table splits and joins the path: remembered per path
            if len(self._needed) >= _PATH_CACHE:
                self._needed.clear()
            needed = self._needed[path] = self.table.required(path)
        if needed == OPERATOR:
            return self._operator_refusal(scope)
        try:
            principal = await self._authenticate(scope)
            self._authorise(needed, principal)
            if principal is None:  # public routes with anonymous access off: limit per address
                principal = self._anonymous(scope, frozenset())
            limit = self._limit_of(principal)
            decision = (self.limiter.hit_in_process(limit, principal.subject)
                        or await self.limiter.hit(limit, principal.subject))
        except Problem as problem:
            return problem
        if not decision.allowed:
            return too_many_requests(
                f"rate limit of {decision.limit} requests per {decision.window} s exceeded",
                decision.reset_after,
                {k.decode(): v.decode() for k, v in decision.headers()})
        scope.setdefault("state", {})["principal"] = principal
        if scope["type"] == "http":
            scope[RESPONSE_HEADERS] += decision.headers()
        return None

    async def _authenticate(self, scope: Scope) -> Principal | None:
        token = _bearer(scope)
        if token is None:
            return (None if self.anonymous_permissions is None
                    else self._anonymous(scope, self.anonymous_permissions))
        try:
            principal = self.tokens.remembered(token)
            if principal is None:  # first sight here: verify it, and ask the shared denylist
                principal = self.tokens.verify_new(token)
                await self.revocations.learn(principal)
        except InvalidToken as exc:
            raise unauthorized(str(exc)) from None
        refusal = self.revocations.refusal(principal)
        if refusal is not None:
            raise unauthorized(refusal)
        return principal

    def _anonymous(self, scope: Scope, permissions: frozenset[str]) -> Principal:
        client = scope.get("client")
        address = client[0] if client else "-"
        cached = self._anonymous_by_ip.get((address, permissions))
        if cached is None:
            if len(self._anonymous_by_ip) >= _ANONYMOUS_CACHE:
                self._anonymous_by_ip.clear()
            cached = self._anonymous_by_ip[address, permissions] = Principal(
                subject=f"ip:{address}", tier=self.anonymous_tier, permissions=permissions,
                anonymous=True)
        return cached

    def _operator_refusal(self, scope: Scope) -> Problem | None:
        presented = None
        for key, value in scope.get("headers", ()):
            if key == b"x-api-key":
                presented = value.decode("latin-1")
        if self.operator(presented):
            return None
        return operator_unauthorized("this internal route needs the operator key (X-API-Key)")

    def _authorise(self, needed: str | None, principal: Principal | None) -> None:
        if needed == PUBLIC:
            return
        if principal is None:
            raise unauthorized("this API needs an access token (Authorization: Bearer ...)",
                               error="")
        if needed is None:
            # Declared by no context: refused whoever asks.
            if principal.anonymous:
                raise unauthorized("no permission is declared for this path", error="")
            raise forbidden("no permission is declared for this path")
        if needed == ACCOUNT and principal.anonymous:
            raise unauthorized("sign in: this route belongs to an account", error="")
        if needed == ACCOUNT or principal.can(needed):
            return
        if principal.anonymous:
            raise unauthorized(f"sign in with a tier that grants {needed}", error="")
        raise forbidden(f"the {principal.tier} tier does not include {needed}")

    def _limit_of(self, principal: Principal) -> str:
        if principal.anonymous:
            return self.anonymous_limit
        return self.tier_limits.get(principal.tier, self.tier_limits["free"])

def _bearer(scope: Scope) -> str | None:
    """The token from `Authorization: Bearer`, or (streams only, per SPEC) `?token=`.

    Browsers cannot set headers on a WebSocket, hence the query parameter; plain HTTP does not
    accept it, since URLs end up in logs and histories."""
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthorized("Authorization must be 'Bearer <token>'")
            return token.strip()
    if scope["type"] == "websocket" and scope.get("query_string"):
        for name, value in parse_qsl(scope["query_string"].decode("latin-1")):
            if name == "token":
                return value
    return None
