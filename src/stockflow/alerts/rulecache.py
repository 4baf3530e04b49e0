"""The recorder's view of the rules that fired: parsed rules kept by id and `updated_at`.

Before a firing is written its rule is checked in storage, so a rule paused or deleted since
the index saw it notifies nobody, whichever process changed it and whether or not its push
arrived. That check reads only id, status and updated_at; the full row (JSON condition and
policy, a pydantic parse) is read again only when updated_at moved, which every edit, pause
and resume does. The status always comes from the check, never from the cached copy: a
one-shot rule's `done` is written without touching updated_at.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from stockflow.alerts.domain import AlertRule, RuleStatus
from stockflow.alerts.repository import SqlAlertRepository

# Parsed rules held by default (`fired_rules_cached`), the least recently fired dropped first:
# a rule is a few hundred bytes to a couple of KB, far less than the index holds for it.
DEFAULT_SIZE = 100_000


class FiredRules:
    def __init__(self, repo: SqlAlertRepository, size: int = DEFAULT_SIZE) -> None:
        self.repo = repo
        self.size = size
        self._rules: OrderedDict[str, AlertRule] = OrderedDict()
        self.reads = 0      # full rows read: how often the cache missed (tests, operators)

    async def active(self, rule_ids: Sequence[str]) -> dict[str, AlertRule]:
        """The rules among `rule_ids` that are active in storage now, by id."""
        versions = await self.repo.rule_versions(rule_ids)
        out: dict[str, AlertRule] = {}
        stale = []
        for rule_id in rule_ids:
            version = versions.get(rule_id)
            if version is None or version[0] is not RuleStatus.ACTIVE:
                self._rules.pop(rule_id, None)
                continue
            cached = self._rules.get(rule_id)
            if cached is not None and cached.updated_at == version[1]:
                self._rules.move_to_end(rule_id)
                out[rule_id] = cached
            else:
                stale.append(rule_id)
        if stale:
            self.reads += len(stale)
            for rule_id, rule in (await self.repo.get_rules(stale)).items():
                if rule.status is RuleStatus.ACTIVE:   # not changed again in between
                    out[rule_id] = self._rules[rule_id] = rule
        while len(self._rules) > self.size:
            self._rules.popitem(last=False)
        return out
