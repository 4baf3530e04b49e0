"""Simulated news tied to the simulated market's price model."""
