"""The market consumes no bus event: live quotes reach it through its `QuoteSink` port, which
the pipeline's realtime stage calls (pipeline/handlers.py). It publishes quote, status and
provider events (core/catalogue.py)."""
