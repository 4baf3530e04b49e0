"""Valuation models: discounted cash flow, peer multiples and dividend discount."""
