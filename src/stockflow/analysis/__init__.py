"""Financial analysis: statements, ratios, growth, valuation and every TA-Lib indicator."""
