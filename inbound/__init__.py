"""Inbound: webhooks from other systems, verified, deduplicated, stored and handled."""
