"""A small universe of companies, symbols and news that the search contract suite runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stockflow.search.domain import DocType, SearchDocument, SuggestEntry

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def company(ticker: str, name: str, sector: str, body: str, *, boost: float = 0.5,
            exchange: str = "NASDAQ", aliases: tuple[str, ...] = ()) -> SearchDocument:
    return SearchDocument(type=DocType.COMPANY, id=ticker, title=name, body=body,
                          keywords=(ticker, *aliases), tickers=(ticker,), sector=sector,
                          exchange=exchange, asset_class="equity", country="US", boost=boost)


def news(ident: str, title: str, body: str, *, tickers: tuple[str, ...] = (),
         source: str = "reuters", lang: str = "en", sentiment: str = "neutral",
         events: tuple[str, ...] = (), day: int = 0, story: str | None = None) -> SearchDocument:
    return SearchDocument(type=DocType.NEWS, id=ident, title=title, body=body, tickers=tickers,
                          keywords=tickers, source=source, lang=lang, sentiment=sentiment,
                          event_types=events, published_at=T0 + timedelta(days=day, hours=1),
                          story_id=story)


COMPANIES = [
    company("NVDA", "NVIDIA Corporation", "Technology",
            "Designs graphics processors and data center accelerators.", boost=0.95),
    company("AMD", "Advanced Micro Devices", "Technology",
            "Makes processors and graphics chips for data centers.", boost=0.8),
    company("INTC", "Intel Corporation", "Technology", "Manufactures chips and processors.",
            boost=0.7),
    company("TSLA", "Tesla Inc", "Consumer Cyclical", "Electric vehicles and batteries.",
            boost=0.85),
    company("TM", "Toyota Motor Corporation", "Consumer Cyclical", "Cars and hybrid vehicles.",
            exchange="NYSE", boost=0.75),
    company("JPM", "JPMorgan Chase & Co", "Financial Services", "Banking and asset management.",
            exchange="NYSE", boost=0.8),
]

NEWS = [
    news("n1", "Nvidia beats estimates on data center demand",
         "Revenue from the data center unit doubled as chips sold out.", tickers=("NVDA",),
         sentiment="positive", events=("earnings",), day=0, story="s-nvda-q4"),
    news("n2", "Nvidia quarterly results top forecasts",
         "The chip designer reported record data center sales.", tickers=("NVDA",),
         source="bloomberg", sentiment="positive", events=("earnings",), day=0,
         story="s-nvda-q4"),
    news("n3", "Intel delays new chips factory", "Intel said the factory opening slips a year.",
         tickers=("INTC",), sentiment="negative", events=("guidance",), day=1),
    news("n4", "AMD and Nvidia compete for gaming chips",
         "Gaming graphics cards get cheaper; the center of demand shifts to data.",
         tickers=("AMD", "NVDA"), source="bloomberg", day=1),
    news("n5", "Tesla recalls vehicles over software issue",
         "Tesla will update the software over the air.", tickers=("TSLA",),
         sentiment="negative", events=("recall",), day=2),
    news("n6", "Toyota raises hybrid output", "Toyota expects strong hybrid demand.",
         tickers=("TM",), source="nikkei", sentiment="positive", day=2),
    news("n7", "トヨタ自動車が新型車を発表", "トヨタ自動車は新しいハイブリッド車を発表した。",
         tickers=("TM",), source="nikkei", lang="ja", day=3),
    news("n8", "英伟达发布财报", "英伟达数据中心收入大幅增长。", tickers=("NVDA",),
         source="xinhua", lang="zh", sentiment="positive", events=("earnings",), day=3),
    news("n9", "JPMorgan profit rises on trading", "The bank said trading revenue grew.",
         tickers=("JPM",), events=("earnings",), day=8),
]

SYMBOLS = [
    SuggestEntry("company:NVDA", "NVDA", "NVIDIA Corporation", exchange="NASDAQ",
                 popularity=3.0e12),
    SuggestEntry("company:MSFT", "MSFT", "Microsoft Corporation", exchange="NASDAQ",
                 popularity=3.1e12),
    SuggestEntry("company:MU", "MU", "Micron Technology", exchange="NASDAQ", popularity=1.1e11),
    SuggestEntry("company:MCHP", "MCHP", "Microchip Technology", exchange="NASDAQ",
                 popularity=4.0e10),
    SuggestEntry("company:AAPL", "AAPL", "Apple Inc.", exchange="NASDAQ", popularity=3.4e12),
    SuggestEntry("company:APLE", "APLE", "Apple Hospitality REIT", exchange="NYSE",
                 popularity=3.5e9),
    SuggestEntry("company:GOOGL", "GOOGL", "Alphabet Inc.", aliases=("Google",),
                 exchange="NASDAQ", popularity=2.1e12),
    SuggestEntry("company:NVDS", "NVDS", "Novadaq Systems", exchange="NASDAQ", popularity=1.0e8),
]
