"""Adapters chosen by URL scheme; modules are imported only when their scheme is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

# port -> scheme -> "module:factory". New back ends register here, not in if/elif chains.
ADAPTERS: dict[str, dict[str, str]] = {
    "storage": {
        "sqlite": "stockflow.adapters.storage.database:make_database",
        "postgresql": "stockflow.adapters.storage.database:make_database",
        "postgres": "stockflow.adapters.storage.database:make_database",
    },
    "bus": {
        "memory": "stockflow.adapters.bus.memory:make_bus",
        "redis": "stockflow.adapters.bus.redis_streams:make_bus",
        "rediss": "stockflow.adapters.bus.redis_streams:make_bus",
        "nats": "stockflow.adapters.bus.nats_jetstream:make_bus",
        "amqp": "stockflow.adapters.bus.rabbitmq:make_bus",
        "amqps": "stockflow.adapters.bus.rabbitmq:make_bus",
    },
    "cache": {
        "memory": "stockflow.adapters.cache.memory:make_cache",
        "redis": "stockflow.adapters.cache.redis:make_cache",
        "rediss": "stockflow.adapters.cache.redis:make_cache",
    },
    "idempotency": {
        "memory": "stockflow.adapters.idempotency.memory:make_store",
        "sql": "stockflow.adapters.idempotency.sql:make_store",  # the storage database
        "redis": "stockflow.adapters.idempotency.redis:make_store",
        "rediss": "stockflow.adapters.idempotency.redis:make_store",
    },
    "alertstate": {
        "memory": "stockflow.adapters.alertstate.memory:make_store",
        "redis": "stockflow.adapters.alertstate.redis:make_store",
        "rediss": "stockflow.adapters.alertstate.redis:make_store",
    },
    # Notification media, keyed by the provider name the notify settings choose.
    "notify.email": {
        "smtp": "stockflow.adapters.notify.factories:smtp",
        "sendgrid": "stockflow.adapters.notify.factories:sendgrid",
    },
    "notify.sms": {"twilio": "stockflow.adapters.notify.factories:twilio"},
    "notify.webhook": {"https": "stockflow.adapters.notify.factories:webhook"},
    "notify.push": {"apprise": "stockflow.adapters.notify.factories:apprise"},
    "pubsub": {
        "memory": "stockflow.adapters.pubsub.memory:make_pubsub",
        "redis": "stockflow.adapters.pubsub.redis:make_pubsub",
        "rediss": "stockflow.adapters.pubsub.redis:make_pubsub",
    },
    # The predict context's model artifacts and its training / batch-prediction executor.
    "objectstore": {
        "file": "stockflow.adapters.objectstore.folder.store:make_object_store",
        "s3": "stockflow.adapters.objectstore.s3.store:make_object_store",
    },
    "executor": {
        "processes": "stockflow.adapters.executor.processes.executor:make_executor",
        "tcp": "stockflow.adapters.executor.dask.executor:make_executor",
    },
    # The intel context's writer: any OpenAI-compatible chat-completions server.
    "llm": {
        "http": "stockflow.adapters.llm.openai_compat:make_writer",
        "https": "stockflow.adapters.llm.openai_compat:make_writer",
    },
    # The search index, by the scheme of the database it lives in (factory(url, database=db)).
    "search": {
        "sqlite": "stockflow.adapters.search.sqlite_fts:make_index",
        "postgresql": "stockflow.adapters.search.postgres_fts:make_index",
        "postgres": "stockflow.adapters.search.postgres_fts:make_index",
        # an index folder of its own (search.engine, search.index_dir); symbols stay in the database
        "tantivy": "stockflow.adapters.search.tantivy_index:make_index",
    },
}


class UnknownAdapterError(ValueError):
    pass


def scheme_of(url: str) -> str:
    scheme = urlsplit(url).scheme
    return scheme.split("+", 1)[0]


def load(target: str) -> Any:
    """"package.module:attribute", imported now. Contexts reach adapters this way (never by a
    static import), so adapters may import the contexts' ports without an import cycle."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def resolve(port: str, url: str) -> Callable[..., Any]:
    scheme = scheme_of(url)
    try:
        target = ADAPTERS[port][scheme]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS.get(port, {})))
        raise UnknownAdapterError(
            f"no {port} adapter for URL scheme {scheme!r} (known: {known})"
        ) from None
    return load(target)


def build(port: str, url: str, **kwargs: Any) -> Any:
    return resolve(port, url)(url, **kwargs)
