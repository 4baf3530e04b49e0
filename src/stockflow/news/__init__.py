"""The news context: ingestion, de-duplication, entities, sentiment and events for articles."""
