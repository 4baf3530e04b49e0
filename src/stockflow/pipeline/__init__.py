"""The tick pipeline: raw ticks in, processed ticks, quotes, closed bars and rejects out."""
