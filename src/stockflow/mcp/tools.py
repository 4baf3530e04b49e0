"""The tool table: each MCP tool is one platform route, called with the caller's token, so the
edge's permissions, tier answers, rate limits and problems apply unchanged. Input schemas come
from the route's OpenAPI operation at start; a row whose route the app does not have (a context
not deployed, or not merged yet) is left out then. Adding a tool is one row here."""

from __future__ import annotations

from stockflow.mcp.domain import MORE, ToolSpec

T = ToolSpec

TOOLS: tuple[ToolSpec, ...] = (
    # The first list (group "core"): at most 18 rows, so that with the two discovery tools it
    # stays within 20 (a test counts them, the inactive rows included).
    T("get_quote", "Latest quote of one ticker (15 minutes old on the free tier).",
      "GET", "/v1/quotes/{ticker}"),
    T("get_history", "OHLCV bars of a ticker, oldest first; interval 1m..1mo, start/end ISO "
      "8601, cursor from the previous answer's meta for the next page.",
      "GET", "/v1/historical/{ticker}"),
    T("get_indicators", "Technical indicators (any TA-Lib function: rsi, macd, bbands, sma, "
      "...) on a ticker's stored bars. `indicators` is comma-separated.",
      "GET", "/v1/technical/{ticker}/indicators", extra_query="params",
      extra_query_help="indicator parameters as `name.param: value`, e.g. "
                       "{\"rsi.timeperiod\": 14, \"sma.timeperiod\": 50}"),
    T("get_financials", "Income statement, balance sheet and cash flow per period.",
      "GET", "/v1/financials/{ticker}"),
    T("get_ratios", "Financial ratios with their formula and the inputs they read.",
      "GET", "/v1/financials/{ticker}/ratios"),
    T("get_valuation", "Valuation: DCF with a WACC x growth grid, peer multiples and dividend "
      "discount.", "GET", "/v1/financials/{ticker}/valuation"),
    T("search_news", "News articles holding every word of q, optionally for one ticker, with "
      "their sentiment.", "GET", "/v1/news/search"),
    T("get_news_sentiment", "One article's sentiment, overall and per ticker (article ids come "
      "from search_news).", "GET", "/v1/news/{article_id}/sentiment"),
    T("forecast_price", "Price forecast 1-7 days ahead with intervals and its own backtest "
      "(pro tier).", "GET", "/v1/predict/price/{ticker}"),
    T("get_risk", "Value at risk and expected shortfall by four methods with their backtests, "
      "drawdown and beta (pro tier).", "GET", "/v1/analyze/risk/{ticker}"),
    T("get_signals", "Current buy/sell/hold signals of every built-in strategy and their "
      "ensemble, with the rules that fired.", "GET", "/v1/signals/{ticker}"),
    T("backtest_strategy", "Backtest a built-in strategy on a ticker between two dates, beside "
      "buy-and-hold, with look-ahead checks.", "GET", "/v1/signals/{ticker}/backtest"),
    T("get_intel_brief", "A market brief on one ticker written from checked facts, each cited.",
      "GET", "/v1/intel/{ticker}"),
    T("search", "Search companies, news and financial profiles: find a ticker by name.",
      "GET", "/v1/search"),
    T("create_alert", "Create an alert rule (price, indicator, news, ...) delivered to your "
      "channels (add_alert_channel adds one); the tier caps how many (pro tier).",
      "POST", "/v1/alerts"),
    T("list_alerts", "Your alert rules, with filters and a cursor (pro tier).",
      "GET", "/v1/alerts"),

    # Behind the discovery tools (group "more").
    T("get_quotes", "Latest quotes of up to 50 tickers at once.", "GET", "/v1/quotes",
      group=MORE),
    T("market_status", "Open, closed, pre or post market per exchange, with next open and "
      "close.", "GET", "/v1/market-status", group=MORE),
    T("list_companies", "The instrument universe.", "GET", "/v1/companies", group=MORE),
    T("crypto_rates", "Crypto exchange rates by CoinGecko coin id.", "GET", "/v1/crypto/rates",
      group=MORE),
    T("list_indicators", "Every indicator get_indicators accepts, with its parameters as JSON "
      "Schema.", "GET", "/v1/technical/indicators", group=MORE),
    T("get_growth", "YoY and QoQ growth, 3- and 5-year CAGR of the statements.",
      "GET", "/v1/financials/{ticker}/growth", group=MORE),
    T("compare_companies", "Up to 50 companies side by side, with sector medians and ranks.",
      "POST", "/v1/compare", group=MORE),
    T("list_news", "News, newest first, with filters (ticker, language, sentiment, dates).",
      "GET", "/v1/news", group=MORE),
    T("get_article", "One news article (the free tier: headline view, delayed).",
      "GET", "/v1/news/{article_id}", group=MORE),
    T("analyze_text", "The news pipeline (sentiment, tickers, events) on your own texts.",
      "POST", "/v1/news/analyze", group=MORE),
    T("forecast_volatility", "GARCH(1,1)-t, EGARCH and EWMA volatility 1-30 days ahead "
      "(pro tier).", "GET", "/v1/predict/volatility/{ticker}", group=MORE),
    T("correlation", "Correlation matrix of several tickers over aligned returns (pro tier).",
      "GET", "/v1/analyze/correlation", group=MORE),
    T("analyze_portfolio", "Portfolio figures, risk contributions and optimisation "
      "(pro tier).", "POST", "/v1/analyze/portfolio", group=MORE),
    T("find_anomalies", "Unusual bars of a ticker: Isolation Forest and z-scores (pro tier).",
      "GET", "/v1/analyze/anomalies/{ticker}", group=MORE),
    T("suggest_tickers", "Autocomplete tickers and company names (typo tolerant).",
      "GET", "/v1/search/suggest", group=MORE),
    T("backtest_custom", "Backtest your own declarative strategy on one or many tickers.",
      "POST", "/v1/signals/backtest", group=MORE),
    T("get_market_brief", "A market-wide brief written from checked facts, each cited.",
      "GET", "/v1/intel/market", group=MORE),
    T("get_alert", "One of your alert rules.", "GET", "/v1/alerts/{alert_id}", group=MORE),
    T("delete_alert", "Delete one of your alert rules and its history.",
      "DELETE", "/v1/alerts/{alert_id}", group=MORE),
    T("alert_history", "When one of your rules fired, newest first, with each delivery.",
      "GET", "/v1/alerts/{alert_id}/history", group=MORE),
    T("pause_alert", "Pause one of your alert rules.", "POST", "/v1/alerts/{alert_id}/pause",
      group=MORE),
    T("resume_alert", "Resume a paused alert rule.", "POST", "/v1/alerts/{alert_id}/resume",
      group=MORE),
    T("add_alert_channel", "Add a channel alerts are delivered to (email, push, webhook, ...); "
      "create_alert needs one.", "POST", "/v1/alerts/channels", group=MORE),
    T("list_alert_channels", "Your alert delivery channels.", "GET", "/v1/alerts/channels",
      group=MORE),
    T("my_account", "Your profile, tier and permissions.", "GET", "/v1/users/me", group=MORE),
    T("list_watchlists", "Your watchlists.", "GET", "/v1/watchlists", group=MORE),
    T("list_portfolios", "Your portfolios.", "GET", "/v1/portfolios", group=MORE),
    T("portfolio_performance", "A portfolio's market value, cost basis, P&L and time-weighted "
      "return.", "GET", "/v1/portfolios/{portfolio_id}/performance", group=MORE),
)
