"""The built-in simulated market: a deterministic, seeded provider of quotes and bars."""

from stockflow.adapters.providers.simulated.model import PriceModel
from stockflow.adapters.providers.simulated.provider import SimulatedMarketProvider
from stockflow.adapters.providers.simulated.universe import Listing, ModelParams, default_universe

__all__ = ["Listing", "ModelParams", "PriceModel", "SimulatedMarketProvider", "default_universe"]
