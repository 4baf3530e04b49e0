"""SEC EDGAR: company facts (XBRL) and submissions, normalised to StockFlow's chart of accounts."""
