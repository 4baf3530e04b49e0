"""The market-intel context (seed 001, issue 17): briefs written from a facts bundle the
platform assembles, every number checked against the facts, an offline template by default."""
