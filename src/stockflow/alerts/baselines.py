"""Average daily volumes for `volume_spike` rules, from the market's daily bars.

A `volume_spike` rule compares a quote's session volume with the average volume of the last
`lookback_days` complete sessions. The evaluator holds those averages by (ticker, days); this
loop fills a pair the first time a rule needs it (within `volume_baseline_seconds`) and
recomputes every pair once per UTC day, after which yesterday's session counts. A ticker
without daily bars (not backfilled yet, or unknown) gets no baseline and is looked at again
every ten minutes; its rules stay silent rather than fire on a guess.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from stockflow.alerts.evaluator import AlertEvaluator
from stockflow.core.lifecycle import PeriodicTask
from stockflow.core.logging import get_logger
from stockflow.core.ports import Clock
from stockflow.market.domain import Interval
from stockflow.market.ports import MarketReader

log = get_logger(__name__)
RETRY_MISSING = timedelta(minutes=10)


class VolumeBaselines:
    """Keeps the evaluator's volume baselines filled and fresh."""

    name = "alerts-volume-baselines"

    def __init__(self, evaluator: AlertEvaluator, market: MarketReader | None, clock: Clock, *,
                 every_seconds: float = 30.0) -> None:
        self.evaluator = evaluator
        self.market = market
        self.clock = clock
        self._computed: dict[tuple[str, int], date] = {}      # pair -> UTC day computed
        self._none_until: dict[tuple[str, int], datetime] = {}   # pair had no bars: retry at
        self._task = PeriodicTask(self.name, every_seconds, self.refresh, clock)

    async def start(self) -> None:
        if self.market is not None:
            await self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def refresh(self) -> int:
        """Compute the pairs never computed or computed on an earlier day; returns how many."""
        if self.market is None:
            return 0
        now = self.clock.now()
        today = now.date()
        done = 0
        for pair in self.evaluator.volume_pairs():
            if self._computed.get(pair) == today or self._none_until.get(pair, now) > now:
                continue
            average = await self.average(*pair, now)
            if average is None:
                # Not backfilled yet, or a ticker the market does not have: look again later.
                self._none_until[pair] = now + RETRY_MISSING
                continue
            self._computed[pair] = today
            self.evaluator.set_volume_baseline(pair[0], pair[1], average)
            done += 1
        return done

    async def average(self, ticker: str, days: int, now: datetime) -> float | None:
        """Mean volume of the last `days` daily bars that started before today (UTC); None for
        a ticker without any (unknown, or not backfilled yet)."""
        assert self.market is not None
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Calendar days enough for `days` sessions across weekends and holidays. A storage
        # failure propagates: the pass is logged and tried again, this pair not marked done.
        bars = await self.market.bars(ticker, Interval.D1, midnight - timedelta(
            days=days * 2 + 10), midnight, days * 2 + 10)
        volumes = [b.volume for b in bars if b.time < midnight][-days:]
        if not volumes:
            log.debug("no daily bars for a volume baseline", ticker=ticker)
            return None
        return sum(volumes) / len(volumes)
