"""The alerts worker's loops: the rule index kept in step with storage, and the outbox sender.

The index is rebuilt from `active_rules()` at start. Rule CRUD in any process pushes the rule's
id on the `alerts.rules` pub/sub channel; every evaluator re-reads that rule from storage. A
push is fire-and-forget, so each evaluator also re-reads the rules updated since its last
catch-up every `index_catchup_seconds` (a deleted rule missed that way still cannot notify: the
recorder re-reads each firing's rule and drops it when it is gone or paused).
"""

from __future__ import annotations

import asyncio
import gc
from datetime import datetime, timedelta

import orjson

from stockflow.alerts.evaluator import AlertEvaluator
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.service import DeliverySender
from stockflow.core.catalogue import ALERT_RULES_PUSH
from stockflow.core.lifecycle import PeriodicTask, cancel_and_wait
from stockflow.core.listening import subscribe_confirmed
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock, PubSub

log = get_logger(__name__)
_PAGE = 10_000
# Rows whose updated_at is a little before the last catch-up are read again: clocks of the
# writing processes differ by this much at most.
_SKEW = timedelta(seconds=5)


async def publish_rule_change(pubsub: PubSub, rule_id: str) -> None:
    await pubsub.publish(ALERT_RULES_PUSH.name, orjson.dumps({"id": rule_id}))


class IndexSync:
    """Loads every active rule into the evaluator, then follows rule changes."""

    name = "alerts-index"

    def __init__(self, evaluator: AlertEvaluator, repo: SqlAlertRepository, pubsub: PubSub,
                 clock: Clock, *, catchup_seconds: float = 60.0) -> None:
        self.evaluator = evaluator
        self.repo = repo
        self.pubsub = pubsub
        self.clock = clock
        self.loaded = asyncio.Event()
        self.applied = 0
        self._since: datetime | None = None
        self._listener: asyncio.Task[None] | None = None
        self._catchup = PeriodicTask("alerts-index-catchup", catchup_seconds, self.catch_up,
                                     clock)

    async def start(self) -> None:
        if self._listener is not None:
            return      # started by the context's start hook, before the bus
        # Subscribed (and confirmed) first, so a change made while the rules load is not missed.
        subscription = await subscribe_confirmed(self.pubsub, ALERT_RULES_PUSH.name)
        self._listener = asyncio.create_task(self._listen(subscription), name=self.name)
        await self.rebuild()
        await self._catchup.start()

    async def stop(self) -> None:
        await self._catchup.stop()
        await cancel_and_wait(self._listener)
        self._listener = None

    async def rebuild(self) -> int:
        self._since = self.clock.now()
        after, total = None, 0
        while True:
            page = await self.repo.active_rules(after=after, limit=_PAGE)
            if not page:
                break
            await self.evaluator.add_rules(page)
            total += len(page)
            after = page[-1].id
        # The index is long-lived: keep the collector from walking it on every full pass.
        gc.freeze()
        self.loaded.set()
        log.info("alert rules indexed", rules=total)
        return total

    async def apply(self, rule_id: str) -> None:
        found = await self.repo.get_rules([rule_id])
        if rule_id in found:
            await self.evaluator.add_rules([found[rule_id]])   # drops it unless active
        else:
            self.evaluator.remove_rule(rule_id)
        self.applied += 1

    async def catch_up(self) -> None:
        since, self._since = self._since, self.clock.now()
        if since is None:
            return
        changed = await self.repo.changed_since(since - _SKEW)
        if changed:
            await self.evaluator.add_rules(changed)

    async def _listen(self, subscription) -> None:  # type: ignore[no-untyped-def]
        try:
            async for _channel, raw in subscription:
                try:
                    await self.apply(str(orjson.loads(raw)["id"]))
                except Exception:  # one bad push must not end the listener
                    log.exception("alert rule push not applied")
        finally:
            await subscription.close()


class DeliveryLoop:
    """Sends the outbox as it fills: woken by the recorder in this process, and polling every
    `poll_seconds` for rows written elsewhere, retries falling due and expired leases."""

    name = "alerts-delivery"

    def __init__(self, sender: DeliverySender, *, poll_seconds: float = 1.0) -> None:
        self.sender = sender
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _loop(self) -> None:
        batch = self.sender.settings.delivery_batch
        while True:
            self._wake.clear()
            try:
                counts = await self.sender.run_once()
                self.rounds += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # storage down: wait, then try again
                log.exception("alert delivery round failed")
                counts = {}
            if sum(counts.values()) >= batch:
                continue             # more may be due right now
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass


class AlertsUnit:
    """What the alerts worker runs, for operators and tests; closes the state port on stop."""

    name = "alerts-unit"

    def __init__(self, evaluator: AlertEvaluator, recorder: object, index: IndexSync,
                 delivery: DeliveryLoop, state: object) -> None:
        self.evaluator = evaluator
        self.recorder = recorder
        self.index = index
        self.delivery = delivery
        self.state = state

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.state.close()  # type: ignore[attr-defined]
