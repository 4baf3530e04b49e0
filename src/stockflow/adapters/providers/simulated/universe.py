"""The simulated market's instruments: real names and metadata plus each one's model parameters.

Reference prices and market caps are approximate levels around the anchor date (2026-01-02).
"""

from __future__ import annotations

from dataclasses import dataclass

from stockflow.market.domain import AssetClass, Instrument


@dataclass(frozen=True, slots=True)
class ModelParams:
    ref_price: float          # close on the model's reference date
    drift: float              # annual arithmetic drift
    vol: float                # annual diffusion volatility (GARCH long-run level)
    adv: int                  # average daily volume, in shares / coins
    sector_beta: float        # loading on the sector factor
    market_beta: float        # loading on the regional market factor
    tick: float
    spread_bps: float         # typical quoted spread at the touch
    lot: int                  # unit of displayed bid/ask sizes
    jumps_per_year: float = 2.0
    jump_vol: float = 0.05    # std of a jump's log size
    factor: str | None = None  # sector factor to load on, if not the instrument's own sector


@dataclass(frozen=True, slots=True)
class Listing:
    instrument: Instrument
    params: ModelParams

    @property
    def ticker(self) -> str:
        return self.instrument.ticker


IT, COMM, DISC = "Information Technology", "Communication Services", "Consumer Discretionary"
FIN, ENERGY, HEALTH = "Financials", "Energy", "Health Care"
STAPLES, INDUSTRIALS, INDEX, CRYPTO = "Consumer Staples", "Industrials", "Index", "Crypto"
CURRENCIES = "Currencies"

_US = ("US", "USD")
_IN = ("IN", "INR")


def _eq(ticker, name, exchange, sector, industry, cap_bn, isin, price, drift, vol, adv_m,
        beta_s, beta_m=0.55, spread=1.0, jumps=2.0, jump_vol=0.05, region=_US) -> Listing:
    country, ccy = region
    indian = country == "IN"
    inst = Instrument(
        ticker=ticker, name=name, exchange=exchange, asset_class=AssetClass.EQUITY,
        currency=ccy, sector=sector, industry=industry, market_cap=int(cap_bn * 1e9),
        metadata={"country": country, "isin": isin},
    )
    params = ModelParams(
        ref_price=price, drift=drift, vol=vol, adv=int(adv_m * 1e6), sector_beta=beta_s,
        market_beta=beta_m, tick=0.05 if indian else 0.01, spread_bps=spread,
        lot=1 if indian else 100, jumps_per_year=jumps, jump_vol=jump_vol,
    )
    return Listing(inst, params)


def _etf(ticker, name, exchange, listing, cap_bn, isin, price, drift, vol, adv_m, beta_m,
         factor=None, beta_s=0.0) -> Listing:
    inst = Instrument(
        ticker=ticker, name=name, exchange=exchange, asset_class=AssetClass.ETF, currency="USD",
        sector=INDEX, industry="Index Fund", market_cap=int(cap_bn * 1e9),
        metadata={"country": "US", "isin": isin, "listing": listing},
    )
    params = ModelParams(
        ref_price=price, drift=drift, vol=vol, adv=int(adv_m * 1e6), sector_beta=beta_s,
        market_beta=beta_m, tick=0.01, spread_bps=0.3, lot=100, jumps_per_year=0.5,
        jump_vol=0.02, factor=factor,
    )
    return Listing(inst, params)


def _coin(symbol, name, industry, cap_bn, price, drift, vol, adv, tick, spread, lot,
          beta_s=0.7, beta_m=0.25) -> Listing:
    inst = Instrument(
        ticker=f"{symbol}-USD", name=name, exchange="CRYPTO", asset_class=AssetClass.CRYPTO,
        currency="USD", sector=CRYPTO, industry=industry, market_cap=int(cap_bn * 1e9),
        metadata={"base": symbol, "quote": "USD"},
    )
    params = ModelParams(
        ref_price=price, drift=drift, vol=vol, adv=int(adv), sector_beta=beta_s,
        market_beta=beta_m, tick=tick, spread_bps=spread, lot=lot, jumps_per_year=6.0,
        jump_vol=0.08,
    )
    return Listing(inst, params)


def _fx(base, quote, name, price, vol, dollar_beta, tick, spread, industry="Major") -> Listing:
    """A currency pair, priced in its quote currency. The "market" factor of the FX region is
    the dollar: a pair loads on it positively when USD is the base (USDJPY), negatively when it
    is the quote (EURUSD), so the dollar pairs move together as they do."""
    inst = Instrument(
        ticker=f"{base}{quote}", name=name, exchange="FX", asset_class=AssetClass.FX,
        currency=quote, sector=CURRENCIES, industry=industry, market_cap=0,
        metadata={"base": base, "quote": quote},
    )
    params = ModelParams(
        ref_price=price, drift=0.0, vol=vol, adv=250_000, sector_beta=0.0,
        market_beta=dollar_beta, tick=tick, spread_bps=spread, lot=1_000_000,
        jumps_per_year=1.0, jump_vol=0.01,
    )
    return Listing(inst, params)


# Columns: ticker, name, exchange, sector, industry, market cap (bn), ISIN, reference price,
# drift, volatility, ADV (millions), sector beta; then optional overrides.
_LISTINGS: tuple[Listing, ...] = (
    _eq("NVDA", "NVIDIA Corporation", "XNAS", IT, "Semiconductors", 4580, "US67066G1040",
        188.0, 0.30, 0.50, 180, 0.55, spread=0.6, jumps=3),
    _eq("MSFT", "Microsoft Corporation", "XNAS", IT, "Software", 3600, "US5949181045",
        484.0, 0.15, 0.25, 20, 0.50, spread=0.5),
    _eq("AAPL", "Apple Inc.", "XNAS", IT, "Technology Hardware", 4030, "US0378331005",
        271.0, 0.14, 0.28, 50, 0.45, spread=0.5),
    _eq("AMD", "Advanced Micro Devices, Inc.", "XNAS", IT, "Semiconductors", 350, "US0079031078",
        214.0, 0.22, 0.55, 45, 0.55, spread=0.8, jumps=3),
    _eq("AVGO", "Broadcom Inc.", "XNAS", IT, "Semiconductors", 1640, "US11135F1012",
        347.0, 0.25, 0.42, 25, 0.55, spread=0.8, jumps=3),
    _eq("ORCL", "Oracle Corporation", "XNYS", IT, "Software", 550, "US68389X1054",
        195.0, 0.14, 0.36, 20, 0.45, spread=1.0, jumps=3),
    _eq("CRM", "Salesforce, Inc.", "XNYS", IT, "Software", 250, "US79466L3024",
        265.0, 0.10, 0.32, 8, 0.45, spread=1.2),
    _eq("GOOGL", "Alphabet Inc. (Class A)", "XNAS", COMM, "Interactive Media & Services", 3800,
        "US02079K3059", 315.0, 0.16, 0.30, 35, 0.45, spread=0.5),
    _eq("META", "Meta Platforms, Inc.", "XNAS", COMM, "Interactive Media & Services", 1650,
        "US30303M1027", 655.0, 0.18, 0.38, 14, 0.45, spread=0.7, jumps=3),
    _eq("NFLX", "Netflix, Inc.", "XNAS", COMM, "Entertainment", 400, "US64110L1061",
        94.0, 0.20, 0.40, 40, 0.40, spread=1.0, jumps=4),
    _eq("DIS", "The Walt Disney Company", "XNYS", COMM, "Entertainment", 205, "US2546871060",
        113.0, 0.05, 0.30, 9, 0.40, spread=1.0),
    _eq("AMZN", "Amazon.com, Inc.", "XNAS", DISC, "Broadline Retail", 2470, "US0231351067",
        231.0, 0.16, 0.32, 45, 0.45, spread=0.5),
    _eq("TSLA", "Tesla, Inc.", "XNAS", DISC, "Automobiles", 1490, "US88160R1014",
        450.0, 0.25, 0.60, 90, 0.40, spread=0.6, jumps=4, jump_vol=0.08),
    _eq("JPM", "JPMorgan Chase & Co.", "XNYS", FIN, "Banks", 880, "US46625H1005",
        322.0, 0.12, 0.24, 9, 0.60, spread=0.7),
    _eq("BAC", "Bank of America Corporation", "XNYS", FIN, "Banks", 410, "US0605051046",
        55.0, 0.09, 0.28, 38, 0.60, spread=1.8),
    _eq("GS", "The Goldman Sachs Group, Inc.", "XNYS", FIN, "Capital Markets", 270, "US38141G1040",
        880.0, 0.13, 0.28, 2.5, 0.60, spread=1.2),
    _eq("V", "Visa Inc.", "XNYS", FIN, "Financial Services", 680, "US92826C8394",
        351.0, 0.12, 0.21, 7, 0.45, spread=0.8),
    _eq("MA", "Mastercard Incorporated", "XNYS", FIN, "Financial Services", 520, "US57636Q1040",
        571.0, 0.13, 0.22, 3, 0.45, spread=1.0),
    _eq("XOM", "Exxon Mobil Corporation", "XNYS", ENERGY, "Oil, Gas & Consumable Fuels", 510,
        "US30231G1022", 120.0, 0.06, 0.26, 15, 0.70, beta_m=0.40, spread=1.0),
    _eq("CVX", "Chevron Corporation", "XNYS", ENERGY, "Oil, Gas & Consumable Fuels", 305,
        "US1667641005", 152.0, 0.06, 0.27, 8, 0.70, beta_m=0.40, spread=1.0),
    _eq("JNJ", "Johnson & Johnson", "XNYS", HEALTH, "Pharmaceuticals", 500, "US4781601046",
        207.0, 0.07, 0.17, 8, 0.45, beta_m=0.35, spread=0.8),
    _eq("PFE", "Pfizer Inc.", "XNYS", HEALTH, "Pharmaceuticals", 145, "US7170811035",
        25.0, 0.02, 0.24, 40, 0.45, beta_m=0.35, spread=4.0),
    _eq("LLY", "Eli Lilly and Company", "XNYS", HEALTH, "Pharmaceuticals", 1010, "US5324571083",
        1070.0, 0.24, 0.30, 3.5, 0.45, beta_m=0.35, spread=1.0, jumps=3),
    _eq("UNH", "UnitedHealth Group Incorporated", "XNYS", HEALTH, "Health Care Providers", 300,
        "US91324P1021", 330.0, 0.08, 0.30, 10, 0.40, beta_m=0.35, spread=1.0, jumps=3),
    _eq("WMT", "Walmart Inc.", "XNAS", STAPLES, "Consumer Staples Retail", 890, "US9311421039",
        111.0, 0.11, 0.20, 18, 0.45, beta_m=0.35, spread=1.0),
    _eq("KO", "The Coca-Cola Company", "XNYS", STAPLES, "Beverages", 300, "US1912161007",
        70.0, 0.06, 0.16, 14, 0.50, beta_m=0.35, spread=1.5),
    _eq("PG", "The Procter & Gamble Company", "XNYS", STAPLES, "Household Products", 335,
        "US7427181091", 143.0, 0.06, 0.17, 8, 0.50, beta_m=0.35, spread=0.8),
    _eq("CAT", "Caterpillar Inc.", "XNYS", INDUSTRIALS, "Machinery", 270, "US1491231015",
        580.0, 0.14, 0.30, 3, 0.55, spread=1.0),
    _eq("BA", "The Boeing Company", "XNYS", INDUSTRIALS, "Aerospace & Defense", 165,
        "US0970231058", 217.0, 0.04, 0.38, 8, 0.50, spread=1.0, jumps=4),
    # India (NSE), prices in INR
    _eq("RELIANCE", "Reliance Industries Limited", "XNSE", ENERGY, "Oil, Gas & Consumable Fuels",
        21200, "INE002A01018", 1570.0, 0.12, 0.24, 10, 0.45, region=_IN, spread=1.5),
    _eq("TCS", "Tata Consultancy Services Limited", "XNSE", IT, "IT Services", 11700,
        "INE467B01029", 3220.0, 0.10, 0.22, 2.5, 0.60, region=_IN, spread=1.5),
    _eq("INFY", "Infosys Limited", "XNSE", IT, "IT Services", 6800, "INE009A01021",
        1640.0, 0.11, 0.25, 7, 0.60, region=_IN, spread=1.5),
    _eq("HDFCBANK", "HDFC Bank Limited", "XNSE", FIN, "Banks", 15200, "INE040A01034",
        990.0, 0.11, 0.20, 18, 0.60, region=_IN, spread=1.5),
    _eq("ICICIBANK", "ICICI Bank Limited", "XNSE", FIN, "Banks", 9700, "INE090A01021",
        1350.0, 0.15, 0.22, 12, 0.60, region=_IN, spread=1.5),
    _eq("SBIN", "State Bank of India", "XNSE", FIN, "Banks", 9000, "INE062A01020",
        980.0, 0.12, 0.28, 12, 0.60, region=_IN, spread=2.0),
    _eq("ITC", "ITC Limited", "XNSE", STAPLES, "Tobacco", 5000, "INE154A01025",
        400.0, 0.08, 0.20, 14, 0.45, region=_IN, spread=2.5),
    _eq("HINDUNILVR", "Hindustan Unilever Limited", "XNSE", STAPLES, "Household Products",
        5500, "INE030A01027", 2350.0, 0.07, 0.19, 1.5, 0.45, region=_IN, spread=2.0),
    _eq("LT", "Larsen & Toubro Limited", "XNSE", INDUSTRIALS, "Construction & Engineering",
        5600, "INE018A01030", 4050.0, 0.14, 0.24, 2, 0.50, region=_IN, spread=2.0),
    _eq("BHARTIARTL", "Bharti Airtel Limited", "XNSE", COMM, "Telecommunication Services",
        12600, "INE397D01024", 2100.0, 0.16, 0.22, 6, 0.45, region=_IN, spread=2.0),
    # Index ETFs (SPY, IWM and DIA list on NYSE Arca, which shares the NYSE calendar)
    _etf("SPY", "SPDR S&P 500 ETF Trust", "XNYS", "NYSE Arca", 690, "US78462F1030",
         685.0, 0.10, 0.17, 70, 0.97),
    _etf("QQQ", "Invesco QQQ Trust", "XNAS", "Nasdaq", 400, "US46090E1038",
         620.0, 0.14, 0.22, 45, 0.85, factor=IT, beta_s=0.45),
    _etf("IWM", "iShares Russell 2000 ETF", "XNYS", "NYSE Arca", 75, "US4642876555",
         250.0, 0.07, 0.23, 35, 0.90),
    _etf("DIA", "SPDR Dow Jones Industrial Average ETF Trust", "XNYS", "NYSE Arca", 38,
         "US78467X1090", 482.0, 0.09, 0.16, 4, 0.95),
    # Crypto, quoted against USD; volumes in coins
    _coin("BTC", "Bitcoin", "Store of Value", 1780, 89000.0, 0.55, 0.55, 30_000, 0.01, 0.5, 1,
          beta_s=0.80),
    _coin("ETH", "Ethereum", "Smart Contract Platform", 360, 3000.0, 0.60, 0.70, 400_000,
          0.01, 1.0, 1),
    _coin("SOL", "Solana", "Smart Contract Platform", 72, 128.0, 0.80, 0.95, 4_000_000,
          0.01, 2.0, 10),
    _coin("BNB", "BNB", "Exchange Token", 120, 870.0, 0.55, 0.65, 300_000, 0.01, 2.0, 1),
    _coin("XRP", "XRP", "Payments", 115, 1.90, 0.65, 0.85, 1_500_000_000, 0.0001, 3.0, 1000),
    _coin("ADA", "Cardano", "Smart Contract Platform", 13, 0.36, 0.70, 0.90, 700_000_000,
          0.0001, 4.0, 1000),
    _coin("DOGE", "Dogecoin", "Meme", 20, 0.13, 0.80, 1.00, 3_000_000_000, 0.00001, 4.0, 10000),
    _coin("AVAX", "Avalanche", "Smart Contract Platform", 5, 12.5, 0.80, 1.00, 15_000_000,
          0.001, 4.0, 10),
    # Currency pairs (base, quote, name, reference rate, volatility, dollar beta, tick, spread)
    _fx("EUR", "USD", "Euro / US Dollar", 1.1720, 0.075, -0.70, 0.00001, 0.6),
    _fx("GBP", "USD", "British Pound / US Dollar", 1.3450, 0.080, -0.65, 0.00001, 0.8),
    _fx("USD", "JPY", "US Dollar / Japanese Yen", 156.80, 0.095, 0.60, 0.001, 0.8),
    _fx("USD", "CHF", "US Dollar / Swiss Franc", 0.7930, 0.080, 0.65, 0.00001, 1.0),
    _fx("AUD", "USD", "Australian Dollar / US Dollar", 0.6690, 0.095, -0.60, 0.00001, 1.0),
    _fx("USD", "CAD", "US Dollar / Canadian Dollar", 1.3720, 0.060, 0.55, 0.00001, 1.0),
    _fx("USD", "INR", "US Dollar / Indian Rupee", 89.90, 0.045, 0.35, 0.0001, 2.0,
        industry="Emerging"),
    _fx("USD", "CNY", "US Dollar / Chinese Yuan", 7.0010, 0.035, 0.40, 0.0001, 2.0,
        industry="Emerging"),
    _fx("USD", "SGD", "US Dollar / Singapore Dollar", 1.2860, 0.045, 0.60, 0.00001, 1.5),
)


def default_universe() -> tuple[Listing, ...]:
    return _LISTINGS
