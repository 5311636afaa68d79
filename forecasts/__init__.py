"""Demand forecasts from SSDA903 history: a monthly Markov stock-and-flow model with baselines, backtests,
scenarios and costs."""
