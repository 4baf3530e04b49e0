"""The signal engine (seed 000, issue 17): built-in and user strategies on TA-Lib indicators and
news sentiment, vectorised backtests with look-ahead checks, and signals at bar close."""
