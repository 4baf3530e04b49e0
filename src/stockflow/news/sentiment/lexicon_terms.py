"""StockFlow's own finance sentiment lexicon (written for StockFlow; Apache-2.0 like the code).

Valences are on a −3..+3 scale. Phrases are matched before single words and consume their tokens,
so "beats estimates" counts once and "cut" inside "price target cut" is not counted again.
"""

from __future__ import annotations

WORDS: dict[str, float] = {
    # up / good
    "beat": 2.0, "beats": 2.0, "surge": 2.5, "surges": 2.5, "surged": 2.5, "soar": 2.5,
    "soars": 2.5, "soared": 2.5, "jump": 2.0, "jumps": 2.0, "jumped": 2.0, "rally": 2.0,
    "rallies": 2.0, "rallied": 2.0, "gain": 1.5, "gains": 1.5, "gained": 1.5, "rise": 1.5,
    "rises": 1.5, "rose": 1.5, "climb": 1.5, "climbs": 1.5, "climbed": 1.5, "up": 0.8,
    "higher": 1.2, "record": 1.5, "strong": 1.5, "stronger": 1.5, "robust": 1.5, "upgrade": 2.5,
    "upgrades": 2.5, "upgraded": 2.5, "outperform": 2.0, "overweight": 1.5, "buy": 1.5,
    "bullish": 2.5, "profit": 1.0, "profitable": 1.5, "growth": 1.2, "grow": 1.0, "grows": 1.0,
    "boost": 1.5, "boosts": 1.5, "boosted": 1.5, "raise": 1.2, "raises": 1.2, "raised": 1.2,
    "exceed": 2.0, "exceeds": 2.0, "exceeded": 2.0, "top": 1.0, "tops": 1.5, "topped": 1.5,
    "rebound": 1.5, "rebounds": 1.5, "recover": 1.2, "recovers": 1.2, "optimistic": 2.0,
    "approval": 1.5, "approved": 1.5, "approves": 1.5, "win": 1.5, "wins": 1.5, "won": 1.5,
    "expand": 1.0, "expands": 1.0, "expansion": 1.0, "dividend": 0.5, "buyback": 1.0,
    "breakthrough": 2.0, "positive": 1.5, "upbeat": 2.0, "accelerate": 1.2, "accelerates": 1.2,
    "outpace": 1.5, "outpaces": 1.5, "high": 0.8, "highs": 1.2, "best": 1.5, "improve": 1.2,
    "improves": 1.2, "improved": 1.2, "tailwind": 1.5, "tailwinds": 1.5, "momentum": 0.8,
    # down / bad
    "miss": -2.0, "misses": -2.0, "missed": -2.0, "plunge": -2.5, "plunges": -2.5,
    "plunged": -2.5, "plummet": -2.5, "plummets": -2.5, "tumble": -2.2, "tumbles": -2.2,
    "tumbled": -2.2, "slump": -2.2, "slumps": -2.2, "sink": -2.0, "sinks": -2.0, "sank": -2.0,
    "fall": -1.5, "falls": -1.5, "fell": -1.5, "drop": -1.5, "drops": -1.5, "dropped": -1.5,
    "decline": -1.5, "declines": -1.5, "declined": -1.5, "slide": -1.5, "slides": -1.5,
    "slip": -1.2, "slips": -1.2, "down": -0.8, "lower": -1.2, "weak": -1.5, "weaker": -1.5,
    "weakness": -1.5, "downgrade": -2.5, "downgrades": -2.5, "downgraded": -2.5,
    "underperform": -2.0, "underweight": -1.5, "sell": -1.5, "bearish": -2.5, "loss": -1.5,
    "losses": -1.5, "lose": -1.5, "loses": -1.5, "cut": -1.5, "cuts": -1.5, "slash": -2.0,
    "slashes": -2.0, "lawsuit": -1.5, "sues": -1.5, "sued": -1.5, "probe": -1.5,
    "investigation": -1.5, "fraud": -2.5, "recall": -1.5, "recalls": -1.5, "bankruptcy": -3.0,
    "bankrupt": -3.0, "default": -2.0, "layoffs": -1.5, "layoff": -1.5, "warns": -2.0,
    "warning": -1.8, "concern": -1.2, "concerns": -1.2, "fears": -1.5, "fear": -1.5,
    "risk": -0.8, "risks": -0.8, "volatile": -0.8, "pressure": -1.0, "headwind": -1.5,
    "headwinds": -1.5, "disappointing": -2.0, "disappoints": -2.0, "halt": -1.5,
    "halts": -1.5, "delay": -1.2, "delays": -1.2, "delayed": -1.2, "fine": -1.0,
    "fined": -1.5, "penalty": -1.5, "negative": -1.5, "worst": -2.0, "low": -0.8,
    "lows": -1.2, "selloff": -2.0, "sell-off": -2.0, "crash": -3.0, "crashes": -3.0,
    "dilution": -1.5, "shortfall": -2.0, "struggle": -1.5, "struggles": -1.5, "hurt": -1.5,
    "hurts": -1.5, "pessimistic": -2.0, "bleak": -2.0, "slowdown": -1.5, "resigns": -1.0,
    # progressive forms ("shares are falling")
    "rising": 1.5, "soaring": 2.5, "surging": 2.5, "jumping": 2.0, "climbing": 1.5,
    "gaining": 1.5, "rallying": 2.0, "falling": -1.5, "dropping": -1.5, "declining": -1.5,
    "sinking": -2.0, "plunging": -2.5, "tumbling": -2.2, "sliding": -1.5, "slumping": -2.2,
}

PHRASES: dict[tuple[str, ...], float] = {
    ("beats", "estimates"): 2.5, ("beat", "estimates"): 2.5, ("tops", "estimates"): 2.5,
    ("misses", "estimates"): -2.5, ("missed", "estimates"): -2.5,
    ("raises", "guidance"): 2.5, ("raised", "guidance"): 2.5, ("lifts", "guidance"): 2.5,
    ("raises", "outlook"): 2.5, ("cuts", "guidance"): -2.5, ("lowers", "guidance"): -2.5,
    ("cuts", "outlook"): -2.5, ("lowers", "outlook"): -2.5,
    ("price", "target", "raised"): 2.0, ("raises", "price", "target"): 2.0,
    ("price", "target", "cut"): -2.0, ("cuts", "price", "target"): -2.0,
    ("lowers", "price", "target"): -2.0,
    ("cut", "to", "sell"): -2.5, ("cut", "to", "neutral"): -1.5, ("cuts", "to", "neutral"): -1.5,
    ("cut", "to", "hold"): -1.5, ("downgraded", "to", "neutral"): -1.5,
    ("upgraded", "to", "buy"): 2.5, ("raised", "to", "buy"): 2.5,
    ("record", "high"): 2.5, ("all-time", "high"): 2.5, ("52-week", "high"): 2.0,
    ("52-week", "low"): -2.0, ("profit", "warning"): -2.5, ("going", "concern"): -2.5,
    ("short", "seller"): -1.5, ("class", "action"): -1.5,
    ("better", "than", "expected"): 2.0, ("worse", "than", "expected"): -2.0,
    ("interest", "rates"): 0.0, ("rate", "cut"): 0.8, ("rate", "hike"): -0.8,
}

NEGATIONS = frozenset({"not", "no", "never", "without", "neither", "nor", "cannot", "isn't",
                       "wasn't", "don't", "doesn't", "didn't", "won't", "fails", "failed",
                       "unlikely"})
INTENSIFIERS: dict[str, float] = {
    "sharply": 1.5, "significantly": 1.4, "strongly": 1.4, "very": 1.3, "massive": 1.5,
    "huge": 1.4, "deeply": 1.4, "big": 1.2, "steep": 1.4, "steeply": 1.4, "record": 1.2,
    "slightly": 0.5, "modestly": 0.6, "marginally": 0.5, "somewhat": 0.6, "mildly": 0.6,
}
