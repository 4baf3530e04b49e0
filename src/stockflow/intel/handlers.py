"""The intel context consumes no event: a brief is keyed by its facts version, so new data
makes a new brief without any invalidation. It publishes `intel.report.generated` (service)."""
