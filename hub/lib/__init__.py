"""Shared low-level helpers: one module per concern (http.py is the outbound HTTP chokepoint)."""
