"""SEC EDGAR: company facts (XBRL) and submissions, normalised to StockFlow's chart of accounts."""

from stockflow.adapters.providers.sec.provider import SecEdgarFundamentals

__all__ = ["SecEdgarFundamentals"]
