"""Resilience building blocks: circuit breaker (+ shared state store), token bucket, retries."""

from stockflow.core.resilience.backoff import RetryPolicy, full_jitter, retry
from stockflow.core.resilience.breaker import CircuitBreaker, CircuitOpenError
from stockflow.core.resilience.limiter import TokenBucket
from stockflow.core.resilience.store import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerRecord,
    BreakerStore,
    MemoryBreakerStore,
)

__all__ = [
    "CLOSED", "HALF_OPEN", "OPEN", "BreakerRecord", "BreakerStore", "CircuitBreaker",
    "CircuitOpenError", "MemoryBreakerStore", "RetryPolicy", "TokenBucket", "full_jitter",
    "retry",
]
