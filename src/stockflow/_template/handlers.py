"""The context's handler table: which topics it consumes, and how each handler is idempotent."""

from __future__ import annotations

from stockflow._template.service import TallyService
from stockflow.core.catalogue import QUOTE_UPDATED
from stockflow.core.events import Event
from stockflow.core.module import BY_EVENT_ID, HandlerSpec


def handlers(tallies: TallyService) -> list[HandlerSpec]:
    async def on_quote(event: Event) -> None:
        await tallies.count(QUOTE_UPDATED.validate(event).ticker)

    # A count is not idempotent by itself, so the idempotency store guards it by event id.
    return [HandlerSpec(QUOTE_UPDATED, "template", on_quote, idempotency=BY_EVENT_ID)]
