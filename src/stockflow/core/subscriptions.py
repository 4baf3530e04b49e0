"""Bus subscriptions made from a context's handler table (`HandlerSpec`), the one place where
handlers meet the bus."""

from __future__ import annotations

from stockflow.core.idempotency import IdempotencyStore, idempotent, idempotent_batch
from stockflow.core.module import BY_EVENT_ID, HandlerSpec
from stockflow.core.ports import Clock, EventBus


def subscribe(bus: EventBus, spec: HandlerSpec, store: IdempotencyStore,
              clock: Clock | None = None) -> None:
    handler = spec.handler
    if spec.idempotency == BY_EVENT_ID:
        wrap = idempotent_batch if spec.batch else idempotent
        handler = wrap(store, f"{spec.topic.name}:{spec.group}", clock=clock)(handler)
    if spec.batch:
        bus.subscribe_batch(spec.topic.name, spec.group, handler, max_batch=spec.max_batch,
                            max_wait=spec.max_wait)
    else:
        bus.subscribe(spec.topic.name, spec.group, handler)
