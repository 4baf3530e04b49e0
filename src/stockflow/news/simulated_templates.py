"""Wording of StockFlow's simulated news, in English, Chinese and Japanese (written for StockFlow).

Each story kind has headline variants (one per source, so sources differ in words) and body
sentences most of which the sources share, as wire copy is shared in real newsrooms.
"""

from __future__ import annotations

from stockflow.news.domain import EventType

UP, DOWN = "up", "down"

# (headline variants, shared body sentences) per direction, for a big move on a jump day.
MOVE_EN = {
    UP: (("{name} shares surge {pct}% as investors cheer strong results",
          "{name} stock jumps {pct}% after earnings beat estimates",
          "{short} rallies {pct}% on upbeat quarterly report"),
         (("{name} ({ticker}) shares rose {pct}% on {day} after the company reported quarterly "
          "earnings above analyst estimates."),
          "Revenue grew faster than expected and management raised its full-year guidance.",
          "Trading volume was well above its daily average as buyers piled in.",
          "Analysts said the results showed demand remained robust.")),
    DOWN: (("{name} shares plunge {pct}% after weak results",
            "{name} stock tumbles {pct}% as earnings miss estimates",
            "{short} slides {pct}% on disappointing quarterly report"),
           (("{name} ({ticker}) shares fell {pct}% on {day} after the company reported quarterly "
            "earnings below analyst estimates."),
            "Revenue missed forecasts and management cut its full-year guidance.",
            "Trading volume was well above its daily average as sellers rushed out.",
            "Analysts said the weak results raised concerns about demand.")),
}
MOVE_ZH = {UP: "{zh}股价大涨{pct}%，季度财报超出市场预期，公司上调全年指引。",
           DOWN: "{zh}股价大跌{pct}%，季度财报不及市场预期，公司下调全年指引。"}
MOVE_JA = {UP: "{ja}株が{pct}%急騰、四半期決算が市場予想を上回り通期見通しを引き上げ",
           DOWN: "{ja}株が{pct}%急落、四半期決算が市場予想を下回り通期見通しを引き下げ"}

# Background stories: (event, English headline, English body, zh line, ja line).
BACKGROUND: tuple[tuple[EventType, str, str, str, str], ...] = (
    (EventType.ANALYST_RATING, "Analyst upgrades {name} to buy, raises price target",
     ("A brokerage upgraded {name} ({ticker}) to buy and raised its price target, citing "
     "improving margins."), "分析师将{zh}评级上调至买入，并上调目标价。",
     "アナリストが{ja}を買いに格上げ、目標株価を引き上げ"),
    (EventType.ANALYST_RATING, "{name} downgraded to sell on valuation concerns",
     "A brokerage downgraded {name} ({ticker}) to sell, saying the shares look expensive.",
     "分析师将{zh}评级下调至卖出，理由是估值过高。", "アナリストが{ja}を売りに格下げ"),
    (EventType.PRODUCT_LAUNCH, "{name} unveils new product line",
     "{name} ({ticker}) launched a new product line on Tuesday, its biggest release this year.",
     "{zh}发布新产品线。", "{ja}が新製品を発表"),
    (EventType.DIVIDEND_BUYBACK, "{name} announces share repurchase program",
     "{name} ({ticker}) approved a new share repurchase program and kept its dividend.",
     "{zh}宣布股票回购计划。", "{ja}が自社株買いを発表"),
    (EventType.PARTNERSHIP_CONTRACT, "{name} wins multi-year contract",
     "{name} ({ticker}) signed a multi-year contract with a large customer.",
     "{zh}获得多年期合同。", "{ja}が複数年の契約を獲得"),
    (EventType.LEGAL_REGULATORY, "Regulators open probe into {name}",
     "Regulators opened an investigation into business practices at {name} ({ticker}).",
     "监管机构对{zh}展开调查。", "当局が{ja}の調査を開始"),
    (EventType.MANAGEMENT_CHANGE, "{name} CEO steps down, successor named",
     "The chief executive of {name} ({ticker}) will step down; the board named a successor.",
     "{zh}首席执行官辞职。", "{ja}の社長が退任"),
    (EventType.MACRO, "Fed holds interest rates steady as inflation cools",
     ("The Federal Reserve kept interest rates unchanged; {name} ({ticker}) shares were little "
     "changed."), "美联储维持利率不变，通胀降温。", "米連邦準備制度が金利を据え置き、インフレ鈍化"),
)

SOURCES_EN = ("Simwire", "Market Ledger", "The Daily Tape")
SOURCE_ZH = "模拟财经"
SOURCE_JA = "シム株式ニュース"

# A quarter's results, quoting the figures the analysis context holds: (headline variants, body
# sentences). {rev} and {eps} are that quarter's, {prior_rev} and {prior_eps} the same quarter's
# a year before, {change} "up 6.1%" or "down 2.0%", {verdict} against the year before.
RESULTS_EN = (
    ("{name} Q{q} revenue {change} at {rev}, EPS {eps}",
     "{name} reports fiscal Q{q} revenue of {rev}, EPS {eps}",
     "{short} posts Q{q} results: revenue {rev}, earnings per share {eps}"),
    (("{name} ({ticker}) reported revenue of {rev} for the fiscal {fy} quarter {q} ended {end}, "
     "{change} from {prior_rev} a year earlier."),
     ("Diluted earnings per share were {eps}, {verdict} the {prior_eps} of the same quarter last "
     "year."),
     "The company filed its quarterly report on {filed}."))
RESULTS_VERDICT_EN = {True: "beating", False: "short of"}
RESULTS_ZH = ("{zh}公布第{q}财季业绩：营收{rev}，同比{change_zh}，每股收益{eps}"
              "（去年同期{prior_eps}）。")
RESULTS_JA = ("{ja}が第{q}四半期決算を発表、売上高{rev}（前年同期比{change_ja}）、"
              "1株利益{eps}（前年同期{prior_eps}）")
