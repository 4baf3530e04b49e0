"""Which XBRL concept fills which line of the chart of accounts, in order of preference.

Per period the first concept with a value wins, so a company that changed its revenue tag
(Apple moved from Revenues to RevenueFromContractWithCustomerExcludingAssessedTax in 2018)
still has one revenue line.
"""

from __future__ import annotations

from stockflow.analysis.accounts import StatementType

_I, _B, _C = StatementType.INCOME, StatementType.BALANCE, StatementType.CASH_FLOW

CONCEPTS: dict[tuple[StatementType, str], tuple[str, ...]] = {
    (_I, "revenue"): ("RevenueFromContractWithCustomerExcludingAssessedTax", "Revenues",
                      "SalesRevenueNet", "RevenueFromContractWithCustomerIncludingAssessedTax"),
    (_I, "cost_of_revenue"): ("CostOfGoodsAndServicesSold", "CostOfRevenue", "CostOfGoodsSold"),
    (_I, "gross_profit"): ("GrossProfit",),
    (_I, "research_development"): ("ResearchAndDevelopmentExpense",),
    (_I, "selling_general_admin"): ("SellingGeneralAndAdministrativeExpense",),
    (_I, "operating_expenses"): ("OperatingExpenses", "CostsAndExpenses"),
    (_I, "operating_income"): ("OperatingIncomeLoss",),
    (_I, "interest_expense"): ("InterestExpense",),
    (_I, "pretax_income"): (
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest",
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments"),
    (_I, "income_tax"): ("IncomeTaxExpenseBenefit",),
    (_I, "net_income"): ("NetIncomeLoss", "ProfitLoss"),
    (_I, "eps_basic"): ("EarningsPerShareBasic",),
    (_I, "eps_diluted"): ("EarningsPerShareDiluted",),
    (_I, "shares_basic"): ("WeightedAverageNumberOfSharesOutstandingBasic",),
    (_I, "shares_diluted"): ("WeightedAverageNumberOfDilutedSharesOutstanding",),
    (_I, "dividends_per_share"): ("CommonStockDividendsPerShareDeclared",),
    (_B, "cash"): ("CashAndCashEquivalentsAtCarryingValue",),
    (_B, "short_term_investments"): ("MarketableSecuritiesCurrent", "ShortTermInvestments"),
    (_B, "receivables"): ("AccountsReceivableNetCurrent",),
    (_B, "inventory"): ("InventoryNet",),
    (_B, "other_current_assets"): ("OtherAssetsCurrent",),
    (_B, "total_current_assets"): ("AssetsCurrent",),
    (_B, "property_plant_equipment"): ("PropertyPlantAndEquipmentNet",),
    (_B, "goodwill_intangibles"): ("Goodwill",),
    (_B, "other_noncurrent_assets"): ("OtherAssetsNoncurrent",),
    (_B, "total_assets"): ("Assets",),
    (_B, "accounts_payable"): ("AccountsPayableCurrent",),
    (_B, "short_term_debt"): ("DebtCurrent", "LongTermDebtCurrent"),
    (_B, "other_current_liabilities"): ("OtherLiabilitiesCurrent",),
    (_B, "total_current_liabilities"): ("LiabilitiesCurrent",),
    (_B, "long_term_debt"): ("LongTermDebtNoncurrent",),
    (_B, "other_noncurrent_liabilities"): ("OtherLiabilitiesNoncurrent",),
    (_B, "total_liabilities"): ("Liabilities",),
    (_B, "common_stock"): ("CommonStocksIncludingAdditionalPaidInCapital", "CommonStockValue"),
    (_B, "retained_earnings"): ("RetainedEarningsAccumulatedDeficit",),
    (_B, "treasury_stock"): ("TreasuryStockValue",),
    (_B, "total_equity"): ("StockholdersEquity",
                           "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    (_B, "noncontrolling_interest"): ("MinorityInterest",),
    (_B, "shares_outstanding"): ("CommonStockSharesOutstanding",),
    (_C, "net_income"): ("NetIncomeLoss", "ProfitLoss"),
    (_C, "depreciation_amortization"): ("DepreciationDepletionAndAmortization",
                                        "DepreciationAndAmortization"),
    (_C, "operating_cash_flow"): ("NetCashProvidedByUsedInOperatingActivities",),
    (_C, "capital_expenditure"): ("PaymentsToAcquirePropertyPlantAndEquipment",),
    (_C, "investing_cash_flow"): ("NetCashProvidedByUsedInInvestingActivities",),
    (_C, "share_repurchase"): ("PaymentsForRepurchaseOfCommonStock",),
    (_C, "dividends_paid"): ("PaymentsOfDividends", "PaymentsOfDividendsCommonStock"),
    (_C, "financing_cash_flow"): ("NetCashProvidedByUsedInFinancingActivities",),
    (_C, "net_change_in_cash"): (
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalentsPeriodIncreaseDecreaseIncludingExchangeRateEffect",
        "CashAndCashEquivalentsPeriodIncreaseDecrease"),
}

# The cover-page share count (dei), dated at the cover, not at the balance sheet.
COVER_SHARES = "EntityCommonStockSharesOutstanding"

# Lines that cannot be negative: a negative FY − 9M for one of these means the filings disagree.
NON_NEGATIVE = frozenset({"revenue", "cost_of_revenue", "research_development",
                          "selling_general_admin", "depreciation_amortization",
                          "capital_expenditure", "dividends_paid", "share_repurchase"})
