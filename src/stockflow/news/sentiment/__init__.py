"""Sentiment backends: a trained linear model (default), a finance lexicon, a transformer."""
