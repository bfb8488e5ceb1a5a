"""Dashboard: read-only analytics page, its JSON and the metric rollups behind them."""
